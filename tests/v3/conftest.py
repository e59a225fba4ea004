"""Fixtures of the V3 API's tests: a token for the test partner, headers that carry it, and the
contract check: every answer a V3 test's ``client`` gets is checked against the spec."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from openkyc.db import transaction
from openkyc.partners.models import Partner
from openkyc.runtime import Runtime
from tests.server import PartnerCreds
from tests.v3.contract import watch
from tests.v3.e2e_server import V3Server, serve


def token_for(client: TestClient, partner: PartnerCreds, *, key: str | None = None, **form: str) -> str:
    """A token from POST /v3/token for ``partner``'s sandbox key (or ``key``); ``form`` scopes it."""
    answer = client.post(
        "/v3/token",
        headers={"smileid-partner-id": partner.partner_id, "smileid-api-key": key or partner.sandbox_key},
        files={name: (None, value) for name, value in form.items()} or None,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


@pytest.fixture
def token(client: TestClient, partner: PartnerCreds) -> str:
    return token_for(client, partner)


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"SmileID-Token": token}


@pytest.fixture
def production_auth(client: TestClient, runtime: Runtime, partner: PartnerCreds) -> dict[str, str]:
    """Token headers for the partner's production key, production enabled."""
    with transaction(runtime.sessions) as session:
        found = session.get(Partner, partner.partner_id)
        assert found is not None
        found.production_enabled = True
    runtime.key_cache.invalidate(partner.partner_id)
    return {"SmileID-Token": token_for(client, partner, key=partner.production_key)}


@pytest.fixture(autouse=True)
def conforming(request: pytest.FixtureRequest) -> None:
    """A test using ``client`` has each answer to a spec operation checked against the vendored
    spec as it arrives (tests/v3/contract.py): a V3 answer the spec does not allow fails the test
    at the call that got it. (A test that must see such an answer makes its own TestClient.)"""
    if "client" in request.fixturenames:
        watch(request.getfixturevalue("client"))


@pytest.fixture(scope="module")
def v3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[V3Server]:
    """A real ``openkyc serve`` over HTTPS with its callback receiver, for the SDKs' e2e modules."""
    yield from serve(tmp_path_factory)
