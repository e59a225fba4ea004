"""The database itself refuses to change or remove audit events (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError

from openkyc import audit
from openkyc.db import MIGRATIONS_DIR, make_engine, make_session_factory, transaction, upgrade_schema

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """A throwaway database on the local PostgreSQL (CI guarantees it runs: no skip)."""
    name = f"openkyc_audit_{uuid.uuid4().hex[:12]}"
    admin = make_engine(f"{POSTGRES}/postgres").execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(f"{POSTGRES}/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _refuses_changes(engine: Engine, statements: list[str]) -> None:
    upgrade_schema(engine)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        audit.record(session, actor=audit.SYSTEM, action="kept", target_type="t", target_id="1")
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT action FROM audit_events")).scalars().all() == ["kept"]
    with transaction(sessions) as session:  # appending still works
        audit.record(session, actor=audit.SYSTEM, action="appended", target_type="t", target_id="2")


def test_sqlite_refuses_update_and_delete(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    _refuses_changes(engine, ["UPDATE audit_events SET action = 'changed'", "DELETE FROM audit_events"])


def test_postgresql_refuses_update_delete_and_truncate(postgres_engine: Engine) -> None:
    _refuses_changes(
        postgres_engine,
        [
            "UPDATE audit_events SET action = 'changed'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
        ],
    )


def _down_and_up_again(engine: Engine) -> None:
    upgrade_schema(engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    upgrade_schema(engine)
    _refuses_changes(engine, ["DELETE FROM audit_events"])


def test_the_migration_downgrades_and_upgrades_again_on_sqlite(tmp_path: Path) -> None:
    _down_and_up_again(make_engine(f"sqlite:///{tmp_path / 'audit.db'}"))


def test_the_migration_downgrades_and_upgrades_again_on_postgresql(postgres_engine: Engine) -> None:
    _down_and_up_again(postgres_engine)
