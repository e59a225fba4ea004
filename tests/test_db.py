"""The Alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from openkyc.db import make_engine, upgrade_schema
from openkyc.models import Base


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    upgrade_schema(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_upgrading_twice_is_harmless(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    upgrade_schema(engine)
    upgrade_schema(engine)
