from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from openkyc.db import transaction
from openkyc.links import service
from openkyc.links.models import WebProduct, WebToken
from openkyc.runtime import Runtime
from tests.server import PartnerCreds

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def issue(runtime: Runtime, partner: PartnerCreds, now: datetime = T0) -> service.IssuedToken:
    with transaction(runtime.sessions) as session:
        return service.issue_token(
            db_session=session,
            partner_id=partner.partner_id,
            environment="sandbox",
            api_key_id="key-1",
            user_id="user-1",
            job_id="job-1",
            product=WebProduct.BIOMETRIC_KYC,
            callback_url="https://partner.example/callback",
            now=now,
        )


def test_a_token_is_bound_to_what_it_was_issued_for(runtime: Runtime, partner: PartnerCreds) -> None:
    issued = issue(runtime, partner)
    assert issued.expires_at == T0 + service.TOKEN_TTL
    with transaction(runtime.sessions) as session:
        grant = service.lookup_token(db_session=session, token=issued.token, now=T0 + timedelta(minutes=59))
        assert grant is not None
        assert (grant.partner_id, grant.environment, grant.user_id, grant.job_id) == (
            partner.partner_id,
            "sandbox",
            "user-1",
            "job-1",
        )
        assert grant.product == "biometric_kyc"
        assert grant.callback_url == "https://partner.example/callback"


def test_tokens_are_random_and_stored_only_hashed(runtime: Runtime, partner: PartnerCreds) -> None:
    first, second = issue(runtime, partner), issue(runtime, partner)
    assert first.token != second.token and len(first.token) >= 43  # 32 random bytes
    with transaction(runtime.sessions) as session:
        hashes = set(session.scalars(select(WebToken.token_hash)))
    assert hashes == {service.token_hash(first.token), service.token_hash(second.token)}


def test_expired_unknown_and_absurd_tokens_find_nothing(runtime: Runtime, partner: PartnerCreds) -> None:
    issued = issue(runtime, partner)
    with transaction(runtime.sessions) as session:
        assert service.lookup_token(db_session=session, token=issued.token, now=issued.expires_at) is None
        assert service.lookup_token(db_session=session, token="not-a-token", now=T0) is None
        assert service.lookup_token(db_session=session, token="", now=T0) is None
        assert service.lookup_token(db_session=session, token="x" * 10_000, now=T0) is None


def test_looking_up_does_not_consume(runtime: Runtime, partner: PartnerCreds) -> None:
    issued = issue(runtime, partner)
    for _ in range(2):
        with transaction(runtime.sessions) as session:
            assert service.lookup_token(db_session=session, token=issued.token, now=T0) is not None


def test_purge_removes_only_expired_tokens(runtime: Runtime, partner: PartnerCreds) -> None:
    old, fresh = issue(runtime, partner, T0), issue(runtime, partner, T0 + timedelta(hours=2))
    with transaction(runtime.sessions) as session:
        assert service.purge_expired(db_session=session, now=T0 + timedelta(hours=2)) == 1
    with transaction(runtime.sessions) as session:
        now = T0 + timedelta(hours=2)
        assert service.lookup_token(db_session=session, token=old.token, now=T0) is None
        assert service.lookup_token(db_session=session, token=fresh.token, now=now) is not None
