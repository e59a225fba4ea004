"""The objects a running openkyc shares: settings, database, secret box, blob store, link signer.

Built once per process by :func:`build_runtime`; the web app, the workers and the CLI take it
instead of reaching for globals.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from openkyc.config import Settings
from openkyc.crypto import SecretBox, load_secret_box
from openkyc.db import make_engine, make_session_factory, upgrade_schema
from openkyc.partners.key_cache import KeyCache
from openkyc.storage import BlobStore, build_blob_store
from openkyc.storage.links import LinkSigner


class WorkQueue(Protocol):
    """Where work is handed over once its row is committed (the row stays the source of truth)."""

    def job_queued(self, smile_job_id: str) -> None:
        """A job entered the queued state."""

    def callback_due(self, delivery_id: int, attempt: int) -> None:
        """A callback delivery is due; ``attempt`` is its attempt count when it was scheduled."""

    def upload_reported(self, smile_job_id: str) -> None:
        """A direct (S3) upload may have finished: look for it now rather than at the next sweep."""


class WakeWorkers:
    """The embedded queue: the database is the queue, so handing over is waking idle threads."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def job_queued(self, smile_job_id: str) -> None:
        self.event.set()

    def callback_due(self, delivery_id: int, attempt: int) -> None:
        self.event.set()

    def upload_reported(self, smile_job_id: str) -> None:
        self.event.set()


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    box: SecretBox
    blobs: BlobStore
    links: LinkSigner
    # Embedded: wakes the in-process workers. Scaled out: publishes Celery tasks (tasks/celery_queue).
    queue: WorkQueue = field(default_factory=WakeWorkers)
    key_cache: KeyCache = field(default_factory=KeyCache)

    @property
    def work_available(self) -> threading.Event:
        """What idle in-process workers wait on (set by :class:`WakeWorkers`)."""
        queue = self.queue
        return queue.event if isinstance(queue, WakeWorkers) else _NEVER_SET

    def notify_work(self) -> None:
        """Wake in-process workers (a no-op when Celery workers do the work)."""
        if isinstance(self.queue, WakeWorkers):
            self.queue.event.set()


_NEVER_SET = threading.Event()


def build_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Open (and on the embedded default, create and migrate) everything under the data dir."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    if migrate:
        upgrade_schema(engine)
    box = load_secret_box(settings)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        box=box,
        blobs=build_blob_store(settings, box),
        links=LinkSigner.from_box(box),
    )
