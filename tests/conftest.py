"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openkyc.app import create_app
from openkyc.runtime import Runtime
from testkit.callback_receiver import CallbackReceiver
from tests.fuzz.summary import FUZZ_LINES, FUZZ_SUMMARY
from tests.server import PartnerCreds, make_partner, make_runtime

REPO_ROOT = Path(__file__).resolve().parents[1]
# The shared test data lives beside the checkout (CI clones with ../shared next to it).
TESTDATA = REPO_ROOT.parent / "shared" / "testdata"


@pytest.fixture(scope="session")
def testdata_dir() -> Path:
    if not TESTDATA.is_dir():
        pytest.fail(f"shared test data not found at {TESTDATA}")
    return TESTDATA


@pytest.fixture(scope="session")
def faces_dir(testdata_dir: Path) -> Path:
    return testdata_dir / "faces"


@pytest.fixture(scope="session")
def docs_dir(testdata_dir: Path) -> Path:
    return testdata_dir / "docs"


@pytest.fixture(scope="session")
def examples(faces_dir: Path) -> Path:
    """The face photos of ageitgey/face_recognition's examples (obama, biden, knn_examples, ...)."""
    return faces_dir / "ageitgey+face_recognition" / "examples"


# --- Tests that need a service beyond this checkout ------------------------------------------

# The fixtures that bring in a server CI runs beside the suite (PostgreSQL on 5432, Redis on 6379,
# RabbitMQ on 5672) or Node with npm, and the parameter values that choose one (a "postgresql"
# database, a "scaled" deployment: PostgreSQL and Celery on Redis). A test that calls such a thing
# in its body carries @pytest.mark.services itself.
SERVICE_FIXTURES = frozenset({"postgres_engine", "postgres_url", "proxied", "node_sdk"})
SERVICE_PARAMS = frozenset({"postgresql", "scaled"})


def needs_services(item: pytest.Item) -> bool:
    if SERVICE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and any(
        isinstance(value, str) and value in SERVICE_PARAMS for value in callspec.params.values()
    )


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `services` where a fixture or parameter brings a service in (deselect: -m "not services")."""
    for item in items:
        if needs_services(item):
            item.add_marker(pytest.mark.services)


# --- API-server fixtures (a fresh data dir per test) ----------------------------------------


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on a temporary data dir (SQLite, blobs, master key), callbacks to loopback allowed.

    Its database connections are closed afterwards: an app keeps its runtime's engine reachable
    (the /metrics collector is registered for the process), and each test's SQLite file would
    otherwise hold three descriptors until the worker ends, past select()'s 1024 in a long run.
    """
    made = make_runtime(tmp_path)
    yield made
    made.engine.dispose()


@pytest.fixture
def partner(runtime: Runtime) -> PartnerCreds:
    return make_partner(runtime)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    """The app without workers; server errors come back as responses (they must be JSON, not 500s)."""
    with TestClient(create_app(runtime), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    """A callback receiver on loopback that records what it is sent (a test module may define its own)."""
    started = CallbackReceiver()
    started.start()
    yield started
    started.stop()


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: absent when run with -p no:xdist
def pytest_testnodedown(node: Any, error: object) -> None:
    """The controller keeps the fuzz summary a worker hands back (tests/fuzz/conftest.py)."""
    lines = node.workeroutput.get(FUZZ_SUMMARY)
    if lines:
        node.config.stash[FUZZ_LINES] = lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = terminalreporter.config.stash.get(FUZZ_LINES, None)
    if lines:
        terminalreporter.section("fuzz harness")
        for line in lines:
            terminalreporter.write_line(line)
