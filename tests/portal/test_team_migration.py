"""Migration 0008 (team invitations, last sign-in, 2FA re-enrolment) on SQLite and PostgreSQL: a
database at 0007 with a member keeps them, gains the schema the models declare, and goes back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from openkyc.db import upgrade_schema
from openkyc.models import Base
from tests.migrating import DATABASES, migrate, migration_engine


@pytest.fixture(params=DATABASES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with migration_engine(request.param, tmp_path) as made:
        yield made


def test_0008_keeps_members_matches_the_models_and_goes_back(engine: Engine) -> None:
    migrate(engine, "upgrade", "0007")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO partners (id, name, production_enabled, created_at) VALUES ('p1', 'Acme', false, :now)"
            ),
            {"now": "2026-01-01 00:00:00"},
        )
        connection.execute(
            text(
                "INSERT INTO portal_users (partner_id, email_digest, email_encrypted, role, password_hash,"
                " recovery_codes, disabled, created_at, updated_at) VALUES ('p1', 'd', :blob, 'owner', 'h',"
                " '[]', false, :now, :now)"
            ),
            {"blob": b"x", "now": "2026-01-01 00:00:00"},
        )
    upgrade_schema(engine)  # what `openkyc db upgrade` runs
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT role, totp_must_enrol, last_sign_in_at FROM portal_users")
        ).one()
        assert tuple(row) == ("owner", False, None)
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    migrate(engine, "downgrade", "0007")
    names = inspect(engine)
    assert "portal_invitations" not in names.get_table_names()
    assert {column["name"] for column in names.get_columns("portal_users")}.isdisjoint(
        {"totp_must_enrol", "last_sign_in_at"}
    )
    upgrade_schema(engine)
    assert "portal_invitations" in inspect(engine).get_table_names()
