"""Tests of one Alembic migration: an engine on SQLite or a throwaway PostgreSQL database, taken
to a revision, given rows, then upgraded and downgraded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from openkyc.db import MIGRATIONS_DIR, make_engine
from tests.observability.postgres import database_url, throwaway_database

DATABASES = ["sqlite", "postgresql"]


@contextmanager
def migration_engine(kind: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of ``kind`` ("sqlite" or "postgresql", which CI runs: no skip)."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrating.db'}")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    with throwaway_database("openkyc_migration") as name:
        engine = make_engine(database_url(name))
        try:
            yield engine
        finally:
            engine.dispose()


def migrate(engine: Engine, action: str, revision: str) -> None:
    """``alembic upgrade|downgrade REVISION`` on ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)
