"""Readiness checks: database, schema revision, blob store and (scaled-out) broker, each bounded in time.

Check results name the failing dependency and the exception type only: error texts can carry
URLs with passwords or SQL with values.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from openkyc.config import Settings
from openkyc.db import MIGRATIONS_DIR

log = logging.getLogger(__name__)

# Each check gets this long; a probe must answer before the orchestrator's own timeout.
CHECK_TIMEOUT_S = 3.0
OK = "ok"


class Dependencies(Protocol):
    """What is checked (openkyc.runtime.Runtime has it; observability sits below the runtime)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def engine(self) -> Engine: ...

    @property
    def blobs(self) -> object: ...


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        return all(status == OK for status in self.checks.values())

    @property
    def failing(self) -> list[str]:
        return sorted(name for name, status in self.checks.items() if status != OK)


@lru_cache(maxsize=1)
def _script_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """(heads, every revision) of the Alembic scripts this code ships."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    known = frozenset(revision.revision for revision in script.walk_revisions())
    return frozenset(script.get_heads()), known


def head_revisions() -> frozenset[str]:
    """The newest Alembic revision(s) this code ships."""
    return _script_revisions()[0]


def database_revisions(engine: Engine) -> frozenset[str]:
    """``SELECT 1``, then the revision(s) the database is at (read directly: alembic's
    MigrationContext would log two lines per probe)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        try:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except DBAPIError as error:
            if error.connection_invalidated:
                raise
            # Reachable but never migrated: the database check passes, the migration check fails.
            return frozenset()
    return frozenset(str(row) for row in rows)


def check_broker(url: str, timeout_s: float) -> None:
    """Raise unless the Celery broker accepts a connection (one quick retry at most)."""
    from kombu.connection import Connection

    with Connection(url, connect_timeout=timeout_s) as connection:  # type: ignore[no-untyped-call]
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout_s)


async def _bounded(call: Callable[[], object], timeout_s: float) -> tuple[str, object]:
    """("ok", value) or ("timeout" / "error: Type", None), never raising, never waiting longer."""
    try:
        value = await asyncio.wait_for(asyncio.to_thread(call), timeout_s)
    except TimeoutError:
        return "timeout", None
    except Exception as error:
        return f"error: {type(error).__name__}", None
    return OK, value


def migration_status(found: frozenset[str]) -> str:
    """ok; "not migrated"; "behind" (``openkyc db upgrade`` needed); "unknown revision" (the
    database was migrated by a newer openkyc than this process)."""
    heads, known = _script_revisions()
    if found == heads:
        return OK
    if not found:
        return "not migrated"
    return "behind" if found <= known else "unknown revision"


async def check_readiness(runtime: Dependencies, timeout_s: float = CHECK_TIMEOUT_S) -> Readiness:
    """Every dependency checked concurrently; the whole takes at most about ``timeout_s``."""
    settings = runtime.settings
    pending: dict[str, asyncio.Task[tuple[str, object]]] = {
        "database": asyncio.create_task(_bounded(lambda: database_revisions(runtime.engine), timeout_s))
    }
    blob_check = getattr(runtime.blobs, "check", None)
    if callable(blob_check):
        pending["blobs"] = asyncio.create_task(_bounded(blob_check, timeout_s))
    if settings.queue == "celery":
        pending["broker"] = asyncio.create_task(
            _bounded(lambda: check_broker(settings.broker_url, timeout_s), timeout_s + 1)
        )
    checks: dict[str, str] = {}
    for name, task in pending.items():
        status, value = await task
        checks[name] = status
        if name == "database":
            checks["migrations"] = migration_status(value) if isinstance(value, frozenset) else "unknown"
    readiness = Readiness(checks)
    if not readiness.ready:
        log.warning("not ready: %s", ", ".join(f"{name} {checks[name]}" for name in readiness.failing))
    return readiness
