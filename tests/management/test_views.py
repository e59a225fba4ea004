from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from openkyc.db import transaction
from openkyc.management.service import issue_credential, revoke_credential
from openkyc.partners.models import Environment
from openkyc.runtime import Runtime
from openkyc.signing import ManagementKey, sign_ksig1
from tests.server import PartnerCreds


@pytest.fixture
def credential(runtime: Runtime, partner: PartnerCreds) -> ManagementKey:
    with transaction(runtime.sessions) as session:
        return issue_credential(
            db_session=session,
            box=runtime.box,
            partner_id=partner.partner_id,
            environment=Environment.SANDBOX,
        )


def signed(key: ManagementKey, method: str, path: str, body: bytes = b"") -> dict[str, str]:
    return sign_ksig1(
        key.api_key,
        key.secret_key,
        key.auth_token,
        method=method,
        path_and_query=path,
        body=body,
        elements=("API-Key", "HTTP-Verb", "URL-Path", "Content-MD5"),
    )


def test_keys_can_be_listed_created_and_rotated(client: TestClient, credential: ManagementKey) -> None:
    listed = client.get("/v1/management/keys", headers=signed(credential, "GET", "/v1/management/keys"))
    assert listed.status_code == 200
    assert [k["environment"] for k in listed.json()] == ["sandbox"]  # a sandbox credential sees sandbox keys
    old_id = listed.json()[0]["key_id"]
    rotated = client.post(
        f"/v1/management/keys/{old_id}/rotate",
        headers=signed(credential, "POST", f"/v1/management/keys/{old_id}/rotate"),
    )
    assert rotated.status_code == 200 and rotated.json()["api_key"]
    after = client.get("/v1/management/keys", headers=signed(credential, "GET", "/v1/management/keys")).json()
    assert {k["key_id"]: k["active"] for k in after} == {old_id: False, rotated.json()["key_id"]: True}


def test_callback_settings_round_trip(client: TestClient, credential: ManagementKey) -> None:
    body = json.dumps({"default_callback_url": "https://partner.example/callback"}).encode()
    put = client.put(
        "/v1/management/callback",
        content=body,
        headers=signed(credential, "PUT", "/v1/management/callback", body),
    )
    assert put.status_code == 200
    got = client.get("/v1/management/callback", headers=signed(credential, "GET", "/v1/management/callback"))
    assert got.json() == {"default_callback_url": "https://partner.example/callback"}


def test_missing_header_is_the_seed_body(client: TestClient) -> None:
    response = client.get("/v1/management/keys")
    assert response.status_code == 401
    assert response.json() == {
        "errors": [
            {
                "code": "AUTH_MISSING_HEADER",
                "message": "Required header 'Authorization' is missing from the request.",
            }
        ]
    }


def test_signature_over_another_path_is_a_mismatch(client: TestClient, credential: ManagementKey) -> None:
    response = client.get("/v1/management/keys", headers=signed(credential, "GET", "/v1/management/users"))
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "AUTH_SIGNATURE_MISMATCH"


def test_revoked_credential_is_an_invalid_api_key(
    client: TestClient, runtime: Runtime, credential: ManagementKey
) -> None:
    with transaction(runtime.sessions) as session:
        revoke_credential(db_session=session, partner_id=credential.partner_id, api_key=credential.api_key)
    response = client.get("/v1/management/keys", headers=signed(credential, "GET", "/v1/management/keys"))
    assert response.status_code == 401
    assert response.json() == {
        "errors": [
            {
                "code": "AUTH_INVALID_API_KEY",
                "message": "The provided API key is not valid or has been revoked.",
            }
        ]
    }


def test_unknown_user_is_404_json(client: TestClient, credential: ManagementKey) -> None:
    path = "/v1/management/users/nobody/disable"
    response = client.post(path, headers=signed(credential, "POST", path))
    assert response.status_code == 404 and response.json()["success"] is False


def test_a_key_revoked_through_the_api_stops_signing_at_once(
    client: TestClient, credential: ManagementKey, partner: PartnerCreds
) -> None:
    status_body = partner.signed(user_id="u", job_id="j")
    assert (
        client.post("/v1/job_status", json=status_body).json()["code"] == "2304"
    )  # authenticated (job unknown)
    keys = client.get("/v1/management/keys", headers=signed(credential, "GET", "/v1/management/keys")).json()
    sandbox_key = keys[0]["key_id"]
    path = f"/v1/management/keys/{sandbox_key}/revoke"
    assert client.post(path, headers=signed(credential, "POST", path)).status_code == 200
    assert (
        client.post("/v1/job_status", json=partner.signed(user_id="u", job_id="j")).json()["code"] == "2205"
    )
