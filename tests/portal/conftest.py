"""Fixtures of the portal tests: the app's TestClient and a partner with one member per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from openkyc.app import create_app
from openkyc.portal import passwords
from openkyc.portal.models import PortalRole
from openkyc.runtime import Runtime
from tests.portal.helpers import Member, add_member
from tests.server import PartnerCreds


@pytest.fixture
def portal(runtime: Runtime) -> Iterator[TestClient]:
    """The app without workers; redirects are not followed (tests look at them)."""
    with TestClient(create_app(runtime), raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


@pytest.fixture
def team(runtime: Runtime, partner: PartnerCreds) -> dict[PortalRole, Member]:
    return {role: add_member(runtime, partner.partner_id, role) for role in PortalRole}


@pytest.fixture(autouse=True)
def quick_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its real cost (64 MiB, 3 passes: ~0.1 s a hash) would spend most of a portal
    test's time adding the team and signing in. The tests of the hashing itself keep the real
    parameters (tests/portal/test_passwords.py); servers started by the browser tests are separate
    processes and use them too."""
    if request.module.__name__.endswith("test_passwords"):
        return
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
