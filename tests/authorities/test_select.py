"""Which authority answers: the provider OPENKYC_ID_AUTHORITY_PROVIDER names, for the key's environment."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient

from openkyc.app import create_app
from openkyc.authorities.base import Authority, LookupRequest
from openkyc.authorities.http import GatewayAuthority
from openkyc.authorities.registry import RegistryAuthority
from openkyc.authorities.sandbox import SandboxAuthority
from openkyc.authorities.select import authority_for
from openkyc.config import Settings
from openkyc.db import transaction
from openkyc.partners import service as partners
from openkyc.products.authority import AuthorityRecord
from openkyc.runtime import Runtime
from tests.server import PartnerCreds, make_partner, make_runtime


class OperatorAuthority:
    name = "operator"

    def lookup(self, request: LookupRequest) -> AuthorityRecord:
        return AuthorityRecord(full_name="Grace Brewster Hopper", dob="1906-12-09")


class OperatorAuthorities:
    """An operator's provider, named by its dotted path: the same authority for every key."""

    def __init__(self, settings: Settings) -> None:
        pass

    def authority_for(self, runtime: Runtime, environment: str) -> Authority:
        return OperatorAuthority()


def test_by_default_sandbox_keys_get_the_test_numbers_and_production_keys_the_registry(
    runtime: Runtime,
) -> None:
    assert isinstance(authority_for(runtime, "sandbox"), SandboxAuthority)
    assert isinstance(authority_for(runtime, "production"), RegistryAuthority)


def enhanced_kyc(
    partner: PartnerCreds, key: str, country: str, id_type: str, id_number: str
) -> dict[str, Any]:
    return partner.signed(
        key=key,
        partner_params={"user_id": "user-1", "job_id": f"job-{key[:6]}-{id_number}", "job_type": 5},
        country=country,
        id_type=id_type,
        id_number=id_number,
        source_sdk="rest_api",
        source_sdk_version="1.0.0",
    )


def test_the_provider_setting_reaches_the_lookups_of_the_api(tmp_path: Path) -> None:
    runtime = make_runtime(
        tmp_path, id_authority_provider="tests.authorities.test_select:OperatorAuthorities"
    )
    partner = make_partner(runtime)
    with TestClient(create_app(runtime)) as client:
        answer = client.post(
            "/v1/id_verification", json=enhanced_kyc(partner, partner.sandbox_key, "NG", "BVN", "00000000000")
        ).json()
    assert answer["ResultCode"] == "1012" and answer["FullName"] == "Grace Brewster Hopper"


class Gateway(BaseHTTPRequestHandler):
    """A national-ID gateway on loopback: one record, for KE 12345678."""

    seen: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Gateway.seen.append((self.headers.get("Authorization", ""), body))
        found = body["id_number"] == "12345678"
        answer = json.dumps({"full_name": "Ada King Lovelace", "dob": "1815-12-10"} if found else {}).encode()
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def gateway_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    Gateway.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/lookup"
    server.shutdown()
    server.server_close()


def test_the_http_provider_sends_production_lookups_to_the_gateway(
    tmp_path: Path, gateway_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    runtime = make_runtime(
        tmp_path,
        id_authority_provider="http",
        id_authority_url=gateway_url,
        id_authority_token="s3cret-token",
    )
    assert isinstance(authority_for(runtime, "production"), GatewayAuthority)
    assert isinstance(authority_for(runtime, "sandbox"), SandboxAuthority)  # test numbers stay
    partner = make_partner(runtime)
    with transaction(runtime.sessions) as session:
        partners.set_production_enabled(db_session=session, partner_id=partner.partner_id, enabled=True)
    with TestClient(create_app(runtime)) as client:
        found = client.post(
            "/v1/id_verification",
            json=enhanced_kyc(partner, partner.production_key, "KE", "NATIONAL_ID", "12345678"),
        ).json()
        missing = client.post(
            "/v1/id_verification",
            json=enhanced_kyc(partner, partner.production_key, "KE", "NATIONAL_ID", "87654321"),
        ).json()
        sandbox = client.post(
            "/v1/id_verification", json=enhanced_kyc(partner, partner.sandbox_key, "NG", "BVN", "00000000000")
        ).json()
    assert found["ResultCode"] == "1012" and found["FullName"] == "Ada King Lovelace", found
    assert missing["ResultCode"] == "1013", missing
    assert sandbox["ResultCode"] == "1012" and sandbox["FullName"] == "Joe Leo Doe"
    # Only the production look-ups reached the gateway, with the operator's token.
    assert [(auth, body["id_number"]) for auth, body in Gateway.seen] == [
        ("Bearer s3cret-token", "12345678"),
        ("Bearer s3cret-token", "87654321"),
    ]
    assert "s3cret-token" not in caplog.text
