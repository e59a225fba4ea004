"""A throwaway PostgreSQL database on the CI server (postgres@127.0.0.1:5432, trust auth)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

PG_HOST, PG_PORT = "127.0.0.1", 5432


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    # No skip when the server is missing: CI guarantees it, so its absence must fail loudly.
    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres", autocommit=True, connect_timeout=5
    )


@contextmanager
def throwaway_database(prefix: str = "openkyc_obs") -> Iterator[str]:
    """Create an empty database, yield its name, drop it (with any connection left) afterwards."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    with _admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with _admin() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def database_url(name: str, port: int = PG_PORT) -> str:
    """SQLAlchemy URL of ``name`` through ``port`` (a proxy's), failing fast when unreachable."""
    return f"postgresql+psycopg://postgres@{PG_HOST}:{port}/{name}?connect_timeout=3"
