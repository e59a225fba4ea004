"""The shared KSig1 nonce store, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from openkyc.db import make_engine, make_session_factory, upgrade_schema
from openkyc.management.nonces import DatabaseNonceStore

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'nonces.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A throwaway database on the local PostgreSQL (CI guarantees it runs: no skip)."""
    name = f"openkyc_nonces_{uuid.uuid4().hex[:12]}"
    admin = make_engine(f"{POSTGRES}/postgres").execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


def process(url: str) -> tuple[Engine, DatabaseNonceStore]:
    """What one API process has: its own engine and pool over the shared database."""
    engine = make_engine(url)
    upgrade_schema(engine)
    return engine, DatabaseNonceStore(make_session_factory(engine))


def test_a_nonce_is_accepted_once(database_url: str) -> None:
    engine, store = process(database_url)
    assert store.remember("sb_key", "n-1", LATER, NOW)
    assert not store.remember("sb_key", "n-1", LATER, NOW)
    assert store.remember("sb_other", "n-1", LATER, NOW)  # nonces are per API key
    engine.dispose()


def test_replayed_nonce_refused_by_another_process(database_url: str) -> None:
    first_engine, first = process(database_url)
    second_engine, second = process(database_url)
    assert first.remember("sb_key", "n-1", LATER, NOW)
    assert not second.remember("sb_key", "n-1", LATER, NOW)
    first_engine.dispose()
    second_engine.dispose()


def test_expired_nonces_are_deleted(database_url: str) -> None:
    engine, store = process(database_url)
    assert store.remember("sb_key", "old", NOW + timedelta(seconds=1), NOW)
    assert store.remember("sb_key", "kept", LATER, NOW)
    after = NOW + timedelta(seconds=2)
    assert store.remember("sb_key", "new", LATER, after)
    assert store.count() == 2  # "old" is gone
    assert store.remember("sb_key", "old", LATER, after)  # and could be signed again (a stale request)
    engine.dispose()


def test_concurrent_uses_of_one_nonce_accept_exactly_one(database_url: str) -> None:
    stores = [process(database_url) for _ in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        accepted = list(pool.map(lambda pair: pair[1].remember("sb_key", "race", LATER, NOW), stores))
    assert sorted(accepted) == [False, False, False, True]
    for engine, _ in stores:
        engine.dispose()
