"""The `services` marker is set at collection from the fixtures and parameters that need a service."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from tests.conftest import SERVICE_FIXTURES, needs_services


def item(fixturenames: list[str], params: dict[str, Any] | None = None) -> pytest.Item:
    callspec = None if params is None else SimpleNamespace(params=params)
    return cast(pytest.Item, SimpleNamespace(fixturenames=fixturenames, callspec=callspec))


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_postgresql_parameter_marks_the_test(database: str, request: pytest.FixtureRequest) -> None:
    marked = request.node.get_closest_marker("services") is not None
    assert marked == (database == "postgresql")


def test_a_service_fixture_marks_the_test() -> None:
    for name in SERVICE_FIXTURES:
        assert needs_services(item(["tmp_path", name]))
    assert needs_services(item(["server"], {"server": "scaled"}))


def test_a_test_without_services_is_not_marked() -> None:
    assert not needs_services(item(["tmp_path", "runtime"]))
    assert not needs_services(item(["server"], {"server": "embedded", "n": 3}))
