"""Sessions expire when idle and when old; CSRF tokens belong to one cookie."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from openkyc.audit import operator
from openkyc.db import transaction, utcnow
from openkyc.portal import accounts, sessions
from openkyc.portal.models import PortalRole, PortalSession
from openkyc.runtime import Runtime
from tests.portal.helpers import PASSWORD
from tests.server import PartnerCreds


def _token(runtime: Runtime, partner: PartnerCreds, *, pending: bool = False) -> str:
    with transaction(runtime.sessions) as db:
        user = accounts.add_user(
            db,
            runtime.box,
            partner_id=partner.partner_id,
            email="a@example.test",
            role=PortalRole.AUDITOR,
            password=PASSWORD,
            actor=operator(),
        )
        return sessions.open_session(db, user, pending=pending, now=utcnow())


def test_only_the_tokens_digest_is_stored(runtime: Runtime, partner: PartnerCreds) -> None:
    token = _token(runtime, partner)
    with transaction(runtime.sessions) as db:
        [row] = db.scalars(select(PortalSession)).all()
        assert row.token_digest == sessions.token_digest(token) != token


def test_a_session_ends_after_the_idle_time(runtime: Runtime, partner: PartnerCreds) -> None:
    token = _token(runtime, partner)
    now = utcnow()
    with transaction(runtime.sessions) as db:
        assert sessions.live_session(db, token, now=now + sessions.IDLE - timedelta(seconds=5)) is not None
    with transaction(runtime.sessions) as db:  # that request moved last_seen_at on
        assert sessions.live_session(db, token, now=now + sessions.IDLE + timedelta(minutes=10)) is not None
    with transaction(runtime.sessions) as db:
        assert sessions.live_session(db, token, now=now + 3 * sessions.IDLE) is None
    with transaction(runtime.sessions) as db:
        assert db.get(PortalSession, sessions.token_digest(token)) is None


def test_a_session_ends_after_the_absolute_time_however_busy(runtime: Runtime, partner: PartnerCreds) -> None:
    token = _token(runtime, partner)
    moment = utcnow()
    end = moment + sessions.ABSOLUTE
    while moment < end - timedelta(minutes=20):
        moment += timedelta(minutes=20)
        with transaction(runtime.sessions) as db:
            assert sessions.live_session(db, token, now=moment) is not None
    with transaction(runtime.sessions) as db:
        assert sessions.live_session(db, token, now=end) is None


def test_a_session_waiting_for_its_code_ends_soon(runtime: Runtime, partner: PartnerCreds) -> None:
    token = _token(runtime, partner, pending=True)
    with transaction(runtime.sessions) as db:
        assert sessions.live_session(db, token, now=utcnow() + sessions.PENDING) is None


def test_a_csrf_token_belongs_to_its_cookie(runtime: Runtime) -> None:
    one, other = sessions.new_token(), sessions.new_token()
    token = sessions.csrf_token(runtime.box, one)
    assert sessions.csrf_valid(runtime.box, one, token)
    assert not sessions.csrf_valid(runtime.box, other, token)
    assert not sessions.csrf_valid(runtime.box, one, None)
    assert not sessions.csrf_valid(runtime.box, None, token)
