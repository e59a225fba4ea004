"""The objects a running openkyc shares: settings, database, secret box, blob store, link signer,
the configured providers.

Built once per process by :func:`build_runtime`; the web app, the workers and the CLI take it
instead of reaching for globals.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from openkyc.config import Settings
from openkyc.crypto import SecretBox, load_secret_box
from openkyc.db import make_engine, make_session_factory, upgrade_schema
from openkyc.partners.key_cache import KeyCache
from openkyc.providers import Providers
from openkyc.sealed import bind_secret_box
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
    # The ID authority, business registry and PAD model the settings chose (openkyc.providers).
    providers: Providers
    # Embedded: wakes the in-process workers. Scaled out: publishes Celery tasks (tasks/celery_queue).
    queue: WorkQueue = field(default_factory=WakeWorkers)
    key_cache: KeyCache = field(default_factory=KeyCache)
    # The address `openkyc serve` listens on (e.g. http://127.0.0.1:8080), set by it when it also
    # runs the workers: the fallback for links made outside any request (a callback's KYCReceipt)
    # when OPENKYC_PUBLIC_BASE_URL is unset. Empty where unknown (a Celery worker) or no use to a
    # partner (a wildcard host such as 0.0.0.0).
    served_at: str = ""

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


# Everything the process creates from now on is its owner's alone: the SQLite database and its
# -wal/-shm files (SQLite gives those the database file's mode), blobs, the key file, temp files.
PRIVATE_UMASK = 0o077
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def sqlite_files(database_url: str) -> list[Path]:
    """The database file of a SQLite URL and the side files SQLite keeps next to it ([] otherwise)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return []
    database = Path(url.database)
    return [database, *(database.with_name(database.name + suffix) for suffix in _SQLITE_SIDE_FILES)]


def make_data_private(settings: Settings) -> None:
    """Set the private umask and take group/other access away from what already exists.

    Existing installations were created under the usual 022 umask (a world-readable database).
    Only what openkyc itself keeps is changed (the data dir, the blob dir, the key file, the SQLite
    files), never other entries of the data dir; nor every blob: with the data dir at 0700 nothing
    below it can be reached by other users, and blob files were always written 0600.
    """
    os.umask(PRIVATE_UMASK)
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    targets = [settings.data_dir, settings.blob_dir, settings.master_key_file]
    targets += sqlite_files(settings.resolved_database_url)
    for path in targets:
        # A file removed meanwhile, or one we do not own (a key file mounted read-only), stays as is.
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if path.is_symlink():
                continue  # chmod would change the link's target, which may be anywhere
            if path.is_dir():
                path.chmod(PRIVATE_DIR_MODE)
            elif path.is_file():
                path.chmod(path.stat().st_mode & PRIVATE_FILE_MODE)


def build_runtime(settings: Settings, *, migrate: bool = True, load_providers: bool = True) -> Runtime:
    """Open (and on the embedded default, create and migrate) everything under the data dir.

    ``load_providers=False`` (commands that never verify nor look up) only checks the provider
    settings' names, sparing the imports and model loading of building them; they build on first use.
    """
    # First: a provider setting that names nothing usable stops the start before anything is opened.
    providers = Providers(settings)
    if load_providers:
        providers.load()
    make_data_private(settings)
    engine = make_engine(settings.resolved_database_url)
    if migrate:
        upgrade_schema(engine)
    box = load_secret_box(settings)
    bind_secret_box(engine, box)  # job results and callback payloads are sealed with it
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        box=box,
        blobs=build_blob_store(settings, box),
        links=LinkSigner.from_box(box),
        providers=providers,
    )
