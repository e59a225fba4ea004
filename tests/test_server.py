"""The test runtimes' migrated template database (tests/server.py)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from openkyc.db import MIGRATIONS_DIR, transaction
from openkyc.partners.models import Partner
from tests.server import make_partner, make_runtime


@pytest.fixture
def lax_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def test_copied_template_database_is_at_head_and_private(tmp_path: Path, lax_umask: None) -> None:
    runtime = make_runtime(tmp_path)
    database = runtime.settings.data_dir / "openkyc.db"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(runtime.settings.data_dir.stat().st_mode) == 0o700
    with runtime.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()
    runtime.engine.dispose()


def test_second_runtime_on_a_data_dir_keeps_its_database(tmp_path: Path) -> None:
    first = make_runtime(tmp_path)
    make_partner(first)
    first.engine.dispose()
    second = make_runtime(tmp_path)
    with transaction(second.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Partner)) == 1
    second.engine.dispose()


def test_each_test_runtime_gets_its_own_copy(tmp_path: Path) -> None:
    one = make_runtime(tmp_path / "one")
    make_partner(one)
    other = make_runtime(tmp_path / "other")
    with transaction(other.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Partner)) == 0
    one.engine.dispose()
    other.engine.dispose()
