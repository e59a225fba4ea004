from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from smile_id_core.Signature import Signature
from smile_id_core.WebApi import WebApi

from openkyc.signing.credentials import SignedCredentials, credentials_from_body, credentials_from_headers
from openkyc.signing.environment import Environment
from openkyc.signing.errors import (
    BadTimestampFormat,
    SignatureMismatch,
    StaleRequest,
    UnknownPartner,
)
from openkyc.signing.timestamps import DEFAULT_FRESHNESS
from openkyc.signing.verify import CandidateKey, MatchedKey, verify_sid_request
from tests.signing.clients import CLIENT_FORMATS, javascript

PARTNER = "001"
OTHER_PARTNER = "002"
SANDBOX = CandidateKey("key-sb", "5f0c9d1e-sandbox-key-of-001", Environment.SANDBOX)
PRODUCTION = CandidateKey("key-lv", "a7d3b2c4-production-key-of-001", Environment.PRODUCTION)
OTHER_PARTNERS_KEY = CandidateKey("key-002", "0e9f8a7b-key-of-002", Environment.SANDBOX)
SIGNED_AT = datetime(2026, 11, 21, 23, 52, 10, 123456, tzinfo=UTC)
NOT_AUTHORIZED = {"code": "2205", "error": "You're not authorized to do that"}


def signed(
    key: CandidateKey, timestamp: str | int, partner_id: str = PARTNER, signed_text: str | None = None
) -> SignedCredentials:
    """Credentials as an official SDK produces them (the SDK computes the signature)."""
    text = signed_text if signed_text is not None else str(timestamp)
    signature = Signature(partner_id, key.secret).generate_signature(text)["signature"]
    return SignedCredentials(partner_id, timestamp, signature, source="body")


def verify(
    creds: SignedCredentials,
    keys: tuple[CandidateKey, ...] = (SANDBOX, PRODUCTION),
    now: datetime = SIGNED_AT + timedelta(minutes=1),
    window: timedelta | None = DEFAULT_FRESHNESS,
) -> MatchedKey[CandidateKey]:
    return verify_sid_request(creds, keys, now, window)


@pytest.mark.parametrize("client", sorted(CLIENT_FORMATS))
def test_every_client_timestamp_format_verifies_when_fresh(client: str) -> None:
    timestamp = CLIENT_FORMATS[client](SIGNED_AT)
    matched = verify(signed(PRODUCTION, timestamp))
    assert matched.key is PRODUCTION
    assert matched.partner_id == PARTNER
    assert abs(matched.signed_at - SIGNED_AT) < timedelta(seconds=1)


@pytest.mark.parametrize("client", sorted(CLIENT_FORMATS))
def test_every_client_timestamp_format_is_stale_when_old(client: str) -> None:
    creds = signed(PRODUCTION, CLIENT_FORMATS[client](SIGNED_AT))
    with pytest.raises(StaleRequest) as info:
        verify(creds, now=SIGNED_AT + timedelta(hours=25))
    assert info.value.code == "2205"
    assert not info.value.in_future
    assert info.value.body()["error"].startswith(
        "You're not authorized to do that: the timestamp is stale, it is 1 day"
    )
    assert "within 1 day" in info.value.message


@pytest.mark.parametrize("client", sorted(CLIENT_FORMATS))
def test_every_client_timestamp_format_is_refused_when_far_in_the_future(client: str) -> None:
    creds = signed(SANDBOX, CLIENT_FORMATS[client](SIGNED_AT))
    with pytest.raises(StaleRequest) as info:
        verify(creds, now=SIGNED_AT - timedelta(minutes=10), window=timedelta(minutes=5))
    assert info.value.in_future
    # Clients that drop the fraction signed up to a second earlier than SIGNED_AT.
    assert re.search(
        r"the timestamp is (10 minutes|9 minutes 59 seconds) in the future, more than the 5 minutes allowed",
        info.value.message,
    )


def test_javascript_epoch_millisecond_number_verifies_and_ages() -> None:
    epoch_ms = int(SIGNED_AT.timestamp() * 1000)
    # JS generate_signature(n) signs new Date(n).toISOString() and sends n itself.
    creds = signed(PRODUCTION, epoch_ms, signed_text=javascript(SIGNED_AT))
    assert verify(creds).environment == "production"
    with pytest.raises(StaleRequest):
        verify(creds, now=SIGNED_AT + timedelta(days=2))


def test_header_credentials_verify() -> None:
    timestamp = javascript(SIGNED_AT)
    signature = Signature(PARTNER, SANDBOX.secret).generate_signature(timestamp)["signature"]
    creds = credentials_from_headers(
        {
            "smileid-partner-id": PARTNER,
            "smileid-timestamp": timestamp,
            "smileid-request-signature": signature,
        }
    )
    assert verify(creds).environment == "sandbox"


@pytest.mark.parametrize(
    ("key", "environment"), [(SANDBOX, Environment.SANDBOX), (PRODUCTION, Environment.PRODUCTION)]
)
@pytest.mark.parametrize("order", [(SANDBOX, PRODUCTION), (PRODUCTION, SANDBOX)])
def test_the_environment_is_the_matched_keys(
    key: CandidateKey, environment: Environment, order: tuple[CandidateKey, ...]
) -> None:
    matched = verify(signed(key, javascript(SIGNED_AT)), keys=order)
    assert matched.environment == environment
    assert matched.key_id == key.key_id


def test_a_tampered_signature_fails() -> None:
    creds = signed(SANDBOX, javascript(SIGNED_AT))
    flipped = ("A" if creds.signature[0] != "A" else "B") + creds.signature[1:]
    tampered = SignedCredentials(creds.partner_id, creds.timestamp_raw, flipped, creds.source)
    with pytest.raises(SignatureMismatch) as info:
        verify(tampered)
    assert not isinstance(info.value, UnknownPartner)
    assert info.value.body() == NOT_AUTHORIZED


def test_a_timestamp_other_than_the_signed_one_fails() -> None:
    creds = signed(SANDBOX, javascript(SIGNED_AT))
    later = javascript(SIGNED_AT + timedelta(seconds=1))
    with pytest.raises(SignatureMismatch) as info:
        verify(SignedCredentials(PARTNER, later, creds.signature, "body"))
    assert info.value.body() == NOT_AUTHORIZED


def test_the_same_instant_spelled_differently_fails() -> None:
    creds = signed(SANDBOX, "2026-11-21T23:52:10.123Z")
    with pytest.raises(SignatureMismatch):
        verify(SignedCredentials(PARTNER, "2026-11-21T23:52:10.123+00:00", creds.signature, "body"))


def test_a_key_of_another_partner_fails() -> None:
    # Signed with partner 002's key while claiming partner 001: 001's keys do not reproduce it.
    creds = signed(OTHER_PARTNERS_KEY, javascript(SIGNED_AT), partner_id=PARTNER)
    with pytest.raises(SignatureMismatch) as info:
        verify(creds)
    assert info.value.body() == NOT_AUTHORIZED


def test_own_key_with_another_partners_id_fails() -> None:
    # 002 reusing its own valid signature but sending 001's id is not 001.
    creds = signed(OTHER_PARTNERS_KEY, javascript(SIGNED_AT), partner_id=OTHER_PARTNER)
    with pytest.raises(SignatureMismatch):
        verify(SignedCredentials(PARTNER, creds.timestamp_raw, creds.signature, "body"))


def test_a_revoked_key_fails() -> None:
    revoked = CandidateKey("key-old", "3c2b1a09-revoked-key", Environment.PRODUCTION, active=False)
    creds = signed(revoked, javascript(SIGNED_AT))
    with pytest.raises(SignatureMismatch) as info:
        verify(creds, keys=(SANDBOX, revoked))
    assert info.value.body() == NOT_AUTHORIZED
    with pytest.raises(SignatureMismatch) as info:
        verify(creds, keys=(revoked,))
    assert not isinstance(info.value, UnknownPartner)


def test_an_unknown_partner_fails_exactly_like_a_bad_signature() -> None:
    creds = signed(SANDBOX, javascript(SIGNED_AT))
    with pytest.raises(UnknownPartner) as info:
        verify(creds, keys=())
    assert info.value.body() == NOT_AUTHORIZED


@pytest.mark.parametrize("timestamp", ["now", "2026-11-21", "21/11/2026 23:52", "2026-11-21T25:00:00Z"])
def test_an_unparseable_timestamp_is_2205_saying_the_format_is_wrong(timestamp: str) -> None:
    # Correctly signed, so only the format can be at fault.
    with pytest.raises(BadTimestampFormat) as info:
        verify(signed(SANDBOX, timestamp))
    assert info.value.code == "2205"
    assert info.value.timestamp_raw == timestamp
    assert info.value.body() == {
        "code": "2205",
        "error": "You're not authorized to do that: the timestamp is not in a recognised format "
        "(use ISO 8601, e.g. yyyy-MM-dd'T'HH:mm:ss.fffK)",
    }


def test_a_bad_signature_on_a_stale_request_reports_the_signature() -> None:
    creds = signed(OTHER_PARTNERS_KEY, javascript(SIGNED_AT))
    with pytest.raises(SignatureMismatch):
        verify(creds, now=SIGNED_AT + timedelta(days=3))


def test_window_none_disables_the_freshness_check() -> None:
    creds = signed(SANDBOX, javascript(SIGNED_AT))
    assert verify(creds, now=SIGNED_AT + timedelta(days=365), window=None).key is SANDBOX


def test_any_object_with_the_key_attributes_can_be_a_candidate() -> None:
    @dataclass
    class KeyRow:
        key_id: str
        secret: str
        environment: Environment
        active: bool
        label: str

    row = KeyRow("row-7", "9f8e7d6c-row-key", Environment.PRODUCTION, True, "CI")
    creds = signed(CandidateKey("x", row.secret, Environment.SANDBOX), javascript(SIGNED_AT))
    matched = verify_sid_request(creds, iter([row]), SIGNED_AT, DEFAULT_FRESHNESS)
    assert matched.key is row
    assert matched.environment == "production"


def test_candidate_key_repr_hides_the_secret() -> None:
    assert SANDBOX.secret not in repr(SANDBOX)


@pytest.mark.parametrize(
    ("age", "accepted"),
    [(timedelta(hours=23, minutes=59), True), (timedelta(hours=24, seconds=1), False)],
)
def test_a_long_lived_python_webapi_object_is_accepted_for_a_day(age: timedelta, accepted: bool) -> None:
    # WebApi signs once in its constructor and reuses that timestamp for every request it makes.
    web_api = WebApi(PARTNER, "https://partner.example/cb", PRODUCTION.secret, "http://localhost:8080/v1")
    prepare: Callable[..., dict[str, object]] = web_api._WebApi__prepare_prep_upload_payload
    body = json.loads(json.dumps(prepare({"job_type": 4}, web_api.signature_params, False)))
    created = datetime.fromisoformat(web_api.signature_params["timestamp"])
    creds = credentials_from_body(body)
    if accepted:
        assert verify(creds, now=created + age).environment == "production"
    else:
        with pytest.raises(StaleRequest):
            verify(creds, now=created + age)


def test_keys_sharing_a_secret_resolve_to_the_first_in_the_callers_order() -> None:
    twin = CandidateKey("key-twin", SANDBOX.secret, Environment.PRODUCTION)
    creds = signed(SANDBOX, javascript(SIGNED_AT))
    assert verify(creds, keys=(SANDBOX, twin)).key is SANDBOX
    assert verify(creds, keys=(twin, SANDBOX)).key is twin
