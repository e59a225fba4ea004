from __future__ import annotations

import json
import logging
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openkyc.app import create_app
from openkyc.db import transaction
from openkyc.management.service import issue_credential, revoke_credential
from openkyc.partners import service as partners
from openkyc.runtime import Runtime
from openkyc.signing import MUTATION_ELEMENTS, ManagementKey, sign_ksig1
from openkyc.signing.environment import Environment
from tests.observability.postgres import database_url, throwaway_database
from tests.server import PartnerCreds, make_partner, make_runtime


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
    """Headers signing everything a mutating call must sign (a fresh nonce each time)."""
    return sign_ksig1(
        key.api_key,
        key.secret_key,
        key.auth_token,
        method=method,
        path_and_query=path,
        body=body,
        elements=("API-Key", *MUTATION_ELEMENTS),
        timestamp=int(time.time()),
    )


def api_key_only(key: ManagementKey) -> dict[str, str]:
    """Kompliant's minimal signature: the same Authorization value on every request of the key."""
    return sign_ksig1(key.api_key, key.secret_key, key.auth_token)


def missing_header(name: str) -> dict[str, list[dict[str, str]]]:
    message = f"Required header '{name}' is missing from the request."
    return {"errors": [{"code": "AUTH_MISSING_HEADER", "message": message}]}


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


def test_a_credential_sets_its_own_environments_callback_url(
    runtime: Runtime, client: TestClient, partner: PartnerCreds, credential: ManagementKey
) -> None:
    with transaction(runtime.sessions) as session:
        production = issue_credential(
            db_session=session,
            box=runtime.box,
            partner_id=partner.partner_id,
            environment=Environment.PRODUCTION,
        )
    path = "/v1/management/callback"
    for key, url in ((credential, "https://test.example/cb"), (production, "https://live.example/cb")):
        body = json.dumps({"default_callback_url": url}).encode()
        assert client.put(path, content=body, headers=signed(key, "PUT", path, body)).status_code == 200
    assert client.get(path, headers=signed(credential, "GET", path)).json() == {
        "default_callback_url": "https://test.example/cb"
    }
    assert client.get(path, headers=signed(production, "GET", path)).json() == {
        "default_callback_url": "https://live.example/cb"
    }
    with transaction(runtime.sessions) as session:
        row = partners.get_partner(db_session=session, partner_id=partner.partner_id)
        assert (row.sandbox_callback_url, row.production_callback_url) == (
            "https://test.example/cb",
            "https://live.example/cb",
        )


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


def test_get_signed_with_the_api_key_alone_is_accepted(client: TestClient, credential: ManagementKey) -> None:
    response = client.get("/v1/management/callback", headers=api_key_only(credential))
    assert response.status_code == 200


def test_replayed_management_header_refused(
    client: TestClient, runtime: Runtime, credential: ManagementKey
) -> None:
    # A header captured from a GET (API key alone signed) does not authorise a change.
    captured = api_key_only(credential)
    assert client.get("/v1/management/callback", headers=captured).status_code == 200
    body = json.dumps({"default_callback_url": "https://attacker.example/cb"}).encode()
    redirected = client.put("/v1/management/callback", content=body, headers=captured)
    assert redirected.status_code == 401
    assert redirected.json() == missing_header("X-API-Signed-Elements")
    minted = client.post("/v1/management/keys", headers=captured)
    assert minted.status_code == 401 and minted.json() == missing_header("X-API-Signed-Elements")

    # A fully signed change works once; the same headers again are refused, on this process...
    path = "/v1/management/keys"
    headers = signed(credential, "POST", path)
    assert client.post(path, headers=headers).status_code == 200
    replayed = client.post(path, headers=headers)
    assert replayed.status_code == 401
    assert replayed.json()["errors"][0]["code"] == "AUTH_INVALID_HEADER"
    assert "nonce" in replayed.json()["errors"][0]["message"].lower()
    # ... and on another API process sharing the database (its own app, engine and memory).
    other = make_runtime(runtime.settings.data_dir.parent)
    with TestClient(create_app(other), raise_server_exceptions=False) as other_client:
        elsewhere = other_client.post(path, headers=headers)
    assert elsewhere.status_code == 401 and elsewhere.json() == replayed.json()
    with transaction(runtime.sessions) as session:
        keys = partners.list_keys(
            db_session=session, partner_id=credential.partner_id, environment=Environment.SANDBOX
        )
    assert len(keys) == 2  # the original sandbox key and the one minted once


@pytest.mark.parametrize(
    ("elements", "header"),
    [
        (("API-Key", "URL-Path", "Content-MD5", "Timestamp", "Nonce"), "X-API-Signed-Elements"),
        (("API-Key", "HTTP-Verb", "Content-MD5", "Timestamp", "Nonce"), "X-API-Signed-Elements"),
        (("API-Key", "HTTP-Verb", "URL-Path", "Timestamp", "Nonce"), "X-API-Content-Hash"),
        (("API-Key", "HTTP-Verb", "URL-Path", "Content-MD5", "Nonce"), "X-API-Timestamp"),
        (("API-Key", "HTTP-Verb", "URL-Path", "Content-MD5", "Timestamp"), "X-API-Nonce"),
    ],
)
def test_mutating_management_call_without_method_path_digest_refused(
    client: TestClient, credential: ManagementKey, elements: tuple[str, ...], header: str
) -> None:
    body = json.dumps({"default_callback_url": "https://attacker.example/cb"}).encode()
    path = "/v1/management/callback"
    headers = sign_ksig1(
        credential.api_key,
        credential.secret_key,
        credential.auth_token,
        method="PUT",
        path_and_query=path,
        body=body,
        elements=elements,
        timestamp=int(time.time()),
    )
    response = client.put(path, content=body, headers=headers)
    assert response.status_code == 401 and response.json() == missing_header(header)
    got = client.get(path, headers=signed(credential, "GET", path))
    assert got.json() == {"default_callback_url": None}  # nothing changed


def test_stale_signed_timestamp_is_refused(client: TestClient, credential: ManagementKey) -> None:
    path = "/v1/management/keys"
    headers = sign_ksig1(
        credential.api_key,
        credential.secret_key,
        credential.auth_token,
        method="POST",
        path_and_query=path,
        elements=("API-Key", *MUTATION_ELEMENTS),
        timestamp=int(time.time()) - 3600,
    )
    response = client.post(path, headers=headers)
    assert response.status_code == 401 and response.json()["errors"][0]["code"] == "AUTH_INVALID_HEADER"


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_nul_in_a_callback_url_or_user_id_is_refused_not_500(database: str, tmp_path: Path) -> None:
    # PostgreSQL refuses NUL in text: stored or even looked up, it was a 500.
    with ExitStack() as stack:
        overrides: dict[str, Any] = {}
        if database == "postgresql":
            overrides["database_url"] = database_url(stack.enter_context(throwaway_database("openkyc_mgmt")))
        runtime = make_runtime(tmp_path, **overrides)
        stack.callback(runtime.engine.dispose)
        partner = make_partner(runtime)
        with transaction(runtime.sessions) as session:
            key = issue_credential(
                db_session=session,
                box=runtime.box,
                partner_id=partner.partner_id,
                environment=Environment.SANDBOX,
            )
        client = stack.enter_context(TestClient(create_app(runtime), raise_server_exceptions=False))
        for body in (
            b'{"default_callback_url": "https://x/\\u0000"}',
            b'{"default_callback_url": "\\ud800"}',
        ):
            put = client.put(
                "/v1/management/callback",
                content=body,
                headers=signed(key, "PUT", "/v1/management/callback", body),
            )
            assert (put.status_code, put.json()["code"]) == (400, "2413"), put.text
        for path in ("/v1/management/users/%00/disable", "/v1/management/users/u%00/delete"):
            changed = client.post(path, headers=signed(key, "POST", path))
            assert (changed.status_code, changed.json()["code"]) == (404, "2404"), changed.text


def test_a_refused_management_request_is_logged_with_its_code_and_partner(
    client: TestClient, credential: ManagementKey, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="openkyc.management")
    path = "/v1/management/keys"
    forged = {**signed(credential, "GET", path), "X-API-Auth-Token": "a-guessed-token"}
    unknown = signed(
        ManagementKey("no-such-api-key", credential.secret_key, credential.auth_token, False, "0"),
        "GET",
        path,
    )
    assert client.get(path, headers=forged).status_code == 401
    assert client.get(path, headers=unknown).status_code == 401
    first, second = [r for r in caplog.records if r.name == "openkyc.management.views"]
    assert first.levelno == second.levelno == logging.WARNING
    assert first.getMessage() == (
        f"management request refused (401 AUTH_INVALID_AUTH_TOKEN) for partner {credential.partner_id}"
    )
    assert second.getMessage() == "management request refused (401 AUTH_INVALID_API_KEY)"
    for line in (first, second):
        for secret in ("a-guessed-token", credential.auth_token, credential.secret_key, "no-such-api-key"):
            assert secret not in line.getMessage()


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        (
            "https://user:pw@partner.example/callback?sig=x",
            "refused by the SSRF policy: credentials in the URL",
        ),
        ("https://partner.example/callback", None),
        ("http://127.0.0.1:9/callback", None),  # this test runtime allows private receivers
        (None, None),
    ],
)
def test_a_default_callback_url_no_attempt_can_reach_is_stored_with_a_warning(
    client: TestClient,
    credential: ManagementKey,
    caplog: pytest.LogCaptureFixture,
    url: str | None,
    warned: str,
) -> None:
    caplog.set_level(logging.WARNING, logger="openkyc.management")
    body = json.dumps({"default_callback_url": url}).encode()
    path = "/v1/management/callback"
    put = client.put(path, content=body, headers=signed(credential, "PUT", path, body))
    assert put.status_code == 200 and put.json() == {"default_callback_url": url}
    lines = [r.getMessage() for r in caplog.records if r.name == "openkyc.management.views"]
    if warned is None:
        assert lines == []
    else:
        assert lines == [
            f"partner {credential.partner_id} set a sandbox default callback URL that every delivery attempt "
            f"will refuse: {warned}"
        ]
