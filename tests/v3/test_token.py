"""POST /v3/token and the SmileID-Token check every other V3 call makes."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient

from openkyc.db import transaction, utcnow
from openkyc.partners import service as partners
from openkyc.runtime import Runtime
from openkyc.signing import v3_tokens
from openkyc.signing.environment import Environment
from openkyc.signing.v3_tokens import InvalidToken, TokenScope
from openkyc.v3 import limits
from openkyc.v3.auth import V3Caller, token_caller
from openkyc.webdeps import RuntimeDep
from tests.server import PartnerCreds
from tests.v3.conftest import token_for


def _headers(partner: PartnerCreds, key: str | None = None) -> dict[str, str]:
    return {"smileid-partner-id": partner.partner_id, "smileid-api-key": key or partner.sandbox_key}


def test_the_sdks_request_without_a_body_gets_a_token_expiring_in_15_minutes(
    client: TestClient, partner: PartnerCreds
) -> None:
    answer = client.post("/v3/token", headers=_headers(partner))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    token = answer.json()["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    lifetime = claims["exp"] - utcnow().timestamp()
    assert 14 * 60 < lifetime <= 15 * 60
    assert claims["sub"] == partner.partner_id and claims["env"] == "sandbox"


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 400, "smileid-partner-id header is required."),
        ({"smileid-partner-id": "1"}, 400, "smileid-api-key header is required."),
        ({"smileid-partner-id": "007", "smileid-api-key": "k"}, 401, "Invalid authentication credentials."),
        ({"smileid-partner-id": "99999", "smileid-api-key": "k"}, 401, "Invalid authentication credentials."),
    ],
)
def test_refused_credentials_get_the_spec_envelope(
    client: TestClient, headers: dict[str, str], status: int, message: str
) -> None:
    answer = client.post("/v3/token", headers=headers)
    assert answer.status_code == status
    assert answer.json() == {
        "status": "Bad Request" if status == 400 else "Unauthorized",
        "message": message,
    }


def test_a_wrong_key_of_a_real_partner_is_401(client: TestClient, partner: PartnerCreds) -> None:
    answer = client.post("/v3/token", headers=_headers(partner, key=partner.sandbox_key + "x"))
    assert answer.status_code == 401


def test_a_json_body_is_415(client: TestClient, partner: PartnerCreds) -> None:
    answer = client.post("/v3/token", headers=_headers(partner), json={"user_id": "u"})
    assert answer.status_code == 415
    assert answer.json() == {
        "status": "Unsupported Media Type",
        "message": "Unsupported Media Type. Required Content-Type is multipart/form-data",
    }


def test_a_scoped_token_seals_the_persons_data(
    client: TestClient, partner: PartnerCreds, runtime: Runtime
) -> None:
    payload = (
        '{"given_names": "Amina Fatou", "last_name": "Clearwater", "country": "NG", '
        '"callback_url": "https://partner.example/cb", "consent": {"granted": true, '
        '"granted_at": "2026-01-01T00:00:00Z", "notice_language": "en", '
        '"notice_privacy_policy_url": "http://example.com/privacy"}}'
    )
    token = token_for(client, partner, user_id="user-7", product="enhanced_kyc", payload=payload)
    readable = jwt.decode(token, options={"verify_signature": False})
    assert readable["user_id"] == "user-7" and readable["product"] == "enhanced_kyc"
    assert "Clearwater" not in token and "Clearwater" not in str(readable)
    assert readable["payload"]["country"] == "NG"
    claims = v3_tokens.read(runtime.box, token, now=utcnow())
    assert claims.scope.payload["last_name"] == "Clearwater"
    assert claims.scope.payload["callback_url"] == "https://partner.example/cb"
    assert claims.scope.payload["consent"]["notice_language"] == "EN"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"product": "teleportation"}, "Field 'product' is invalid."),
        ({"payload": "[1]"}, "Field 'payload' is invalid."),
        (
            {"payload": '{"consent": {"granted": true}}'},
            "Required field 'consent.granted_at' is missing or invalid.",
        ),
        ({"payload": '{"country": "Atlantis"}'}, "Field 'payload.country' is invalid."),
    ],
)
def test_a_bad_scope_is_400(
    client: TestClient, partner: PartnerCreds, form: dict[str, str], message: str
) -> None:
    answer = client.post(
        "/v3/token", headers=_headers(partner), files={k: (None, v) for k, v in form.items()}
    )
    assert answer.status_code == 400
    assert answer.json()["message"] == message


@pytest.mark.parametrize("given", ["ng", "Nigeria", " NG "])
def test_a_payloads_country_is_normalised_to_its_code(
    client: TestClient, partner: PartnerCreds, runtime: Runtime, given: str
) -> None:
    # The entry endpoints take the token's country over the body's and accept codes only: kept as
    # sent, a name or a lower-case code made every call with the token a 400.
    token = token_for(client, partner, payload=f'{{"country": "{given}"}}')
    assert v3_tokens.read(runtime.box, token, now=utcnow()).scope.payload["country"] == "NG"


def test_tokens_expire_and_are_ours_only(runtime: Runtime) -> None:
    now = utcnow()
    token = v3_tokens.issue(runtime.box, partner_id="1", key_id="k", environment=Environment.SANDBOX, now=now)
    assert v3_tokens.read(runtime.box, token, now=now + timedelta(minutes=14)).partner_id == "1"
    with pytest.raises(InvalidToken):
        v3_tokens.read(runtime.box, token, now=now + timedelta(minutes=15))
    forged = jwt.encode(
        jwt.decode(token, options={"verify_signature": False}),
        "a key of 32 bytes that is not ours!",
        algorithm="HS256",
        headers={"kid": "k"},
    )
    with pytest.raises(InvalidToken):
        v3_tokens.read(runtime.box, forged, now=now)
    unsigned = jwt.encode(jwt.decode(token, options={"verify_signature": False}), "", algorithm="none")
    with pytest.raises(InvalidToken):
        v3_tokens.read(runtime.box, unsigned, now=now)


@pytest.fixture
def probe(client: TestClient) -> TestClient:
    """A route behind the token check, so the check is tested before any operation uses it."""
    router = APIRouter()

    @router.get("/v3/_probe")
    async def probe_route(request: Request, runtime: RuntimeDep) -> dict[str, str]:
        caller = await token_caller(request, runtime)
        return {"partner_id": caller.partner_id, "environment": caller.environment.value}

    client.app.include_router(router)  # type: ignore[attr-defined]
    return client


def test_a_token_authenticates_later_calls(probe: TestClient, partner: PartnerCreds, token: str) -> None:
    answer = probe.get("/v3/_probe", headers={"SmileID-Token": token})
    assert answer.json() == {"partner_id": partner.partner_id, "environment": "sandbox"}
    for headers in ({}, {"SmileID-Token": token + "x"}, {"SmileID-Token": "a.b.c"}):
        refused = probe.get("/v3/_probe", headers=headers)
        assert refused.status_code == 401
        assert refused.json() == {"status": "Unauthorized", "message": "Invalid authentication credentials."}


def test_rotating_the_key_ends_its_tokens(
    probe: TestClient, partner: PartnerCreds, runtime: Runtime, token: str
) -> None:
    claims = v3_tokens.read(runtime.box, token, now=utcnow())
    with transaction(runtime.sessions) as session:
        partners.rotate_key(
            db_session=session, box=runtime.box, partner_id=partner.partner_id, key_id=claims.key_id
        )
    runtime.key_cache.invalidate(partner.partner_id)
    assert probe.get("/v3/_probe", headers={"SmileID-Token": token}).status_code == 401


def test_a_production_token_needs_production_enabled(probe: TestClient, partner: PartnerCreds) -> None:
    token = token_for(probe, partner, key=partner.production_key)
    answer = probe.get("/v3/_probe", headers={"SmileID-Token": token})
    assert answer.status_code == 403
    assert answer.json() == {"status": "Forbidden", "message": "Production access is not enabled."}


def test_token_issuance_is_limited_per_partner(
    client: TestClient, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "TOKENS_PER_WINDOW", 3)
    answers = [client.post("/v3/token", headers=_headers(partner)).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def test_an_unknown_v3_route_answers_in_the_v3_shape(client: TestClient) -> None:
    answer = client.get("/v3/nowhere")
    assert answer.status_code == 404
    assert answer.json() == {"status": "Not Found", "message": "Not Found"}


def test_scope_defaults_bind_nothing() -> None:
    assert TokenScope().payload == {} and TokenScope().user_id is None


def test_reprs_show_neither_the_api_key_nor_the_persons_data() -> None:
    # A caller or a scope in a log line or a traceback's locals must not leak the key or the PII.
    scope = TokenScope(user_id="user-7", payload={"last_name": "Clearwater", "id_number": "00000000000"})
    caller = V3Caller(
        partner_id="1", key_id="key-1", environment=Environment.SANDBOX, api_key="sk-secret-123", scope=scope
    )
    shown = repr(caller)
    assert "sk-secret-123" not in shown and "Clearwater" not in shown and "00000000000" not in shown
    assert "user-7" in shown and "key-1" in shown
