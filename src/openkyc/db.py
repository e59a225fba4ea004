"""SQLAlchemy engine, sessions and the declarative base; schema changes go through Alembic.

Each domain package declares its tables in its own ``models.py`` on :class:`Base`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import JSON, CursorResult, DateTime, Engine, Result, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use openkyc.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout so API and workers can share it."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # Bound values stay out of exception texts (they may be PII); a database that does not answer
    # fails a connection attempt in seconds instead of hanging requests (psycopg's URL may override).
    connect_args = (
        {"connect_timeout": 5} if url.startswith("postgresql") and "connect_timeout" not in url else {}
    )
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def rows_matched(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an UPDATE or DELETE matched (the compare-and-set claims read it).

    Session.execute is typed as returning a Result whatever it runs; for UPDATE and DELETE it is a
    CursorResult, the one that carries rowcount.
    """
    if not isinstance(result, CursorResult):
        raise TypeError(f"no row count on a {type(result).__name__}: not an UPDATE or DELETE")
    return result.rowcount


def upgrade_schema(engine: Engine) -> None:
    """Bring the database to the newest Alembic revision (what ``openkyc db upgrade`` runs)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # API processes and workers starting together would otherwise race to migrate; the
            # lock is released with this transaction.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7400531)")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
