"""The objects a running openkyc shares: settings, database, secret box, blob store, link signer.

Built once per process by :func:`build_runtime`; the web app, the workers and the CLI take it
instead of reaching for globals.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from openkyc.config import Settings
from openkyc.crypto import SecretBox, load_secret_box
from openkyc.db import make_engine, make_session_factory, upgrade_schema
from openkyc.partners.key_cache import KeyCache
from openkyc.storage import LocalBlobStore
from openkyc.storage.links import LinkSigner


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    box: SecretBox
    blobs: LocalBlobStore
    links: LinkSigner
    # Set when a job is queued or a callback is due, so idle workers wake at once instead of polling.
    work_available: threading.Event = field(default_factory=threading.Event)
    key_cache: KeyCache = field(default_factory=KeyCache)

    def notify_work(self) -> None:
        self.work_available.set()


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
        blobs=LocalBlobStore(settings.blob_dir, box),
        links=LinkSigner.from_box(box),
    )
