"""A fresh runtime, a partner with sandbox and production keys, and a client of the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openkyc.app import create_app
from openkyc.runtime import Runtime
from tests.server import PartnerCreds, make_partner, make_runtime


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    return make_runtime(tmp_path)


@pytest.fixture
def partner(runtime: Runtime) -> PartnerCreds:
    return make_partner(runtime)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), raise_server_exceptions=False) as test_client:
        yield test_client
