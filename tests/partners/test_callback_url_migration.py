"""Migration 0010 (a default callback URL per environment) on SQLite and PostgreSQL: a partner's
one default URL becomes both environments', so every job reports where it did; and back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from openkyc.db import upgrade_schema
from openkyc.models import Base
from tests.migrating import DATABASES, migrate, migration_engine


@pytest.fixture(params=DATABASES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with migration_engine(request.param, tmp_path) as made:
        yield made


def test_0010_gives_both_environments_the_old_default_and_goes_back(engine: Engine) -> None:
    migrate(engine, "upgrade", "0009")
    with engine.begin() as connection:
        for partner_id, url in (("p1", "https://partner.example/cb"), ("p2", None)):
            connection.execute(
                text(
                    "INSERT INTO partners (id, name, production_enabled, default_callback_url, created_at)"
                    " VALUES (:id, 'Acme', false, :url, '2026-01-01 00:00:00')"
                ),
                {"id": partner_id, "url": url},
            )
    upgrade_schema(engine)  # what `openkyc db upgrade` runs
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, sandbox_callback_url, production_callback_url FROM partners ORDER BY id")
        ).all()
        assert [tuple(row) for row in rows] == [
            ("p1", "https://partner.example/cb", "https://partner.example/cb"),
            ("p2", None, None),
        ]
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    with engine.begin() as connection:
        connection.execute(text("UPDATE partners SET production_callback_url = 'https://live.example/cb'"))
    migrate(engine, "downgrade", "0009")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, default_callback_url FROM partners ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [("p1", "https://partner.example/cb"), ("p2", None)]
