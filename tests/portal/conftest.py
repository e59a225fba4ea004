"""Fixtures of the portal tests: the app's TestClient and a partner with one member per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from openkyc.app import create_app
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
