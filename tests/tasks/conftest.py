"""Fixtures of the task tests: callback receivers, one that answers and one that never does."""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from openkyc.callbacks import service as callbacks
from openkyc.db import transaction
from openkyc.jobs.models import Job, JobState
from openkyc.partners.models import ApiKey
from openkyc.runtime import Runtime
from tests.server import PartnerCreds


class SilentReceiver:
    """A callback URL that accepts connections and never answers (until closed)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/callback"

    def accepted(self) -> int:
        with self._lock:
            return len(self.connections)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                self.connections.append(connection)

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            for connection in self.connections:
                connection.close()


@pytest.fixture
def silent() -> Iterator[SilentReceiver]:
    receiver = SilentReceiver()
    yield receiver
    receiver.close()


def finished_jobs_with_callbacks(runtime: Runtime, partner: PartnerCreds, url: str, count: int) -> list[str]:
    """``count`` finished jobs of ``partner``, each with its result due for delivery to ``url``."""
    ids: list[str] = []
    with transaction(runtime.sessions) as session:
        key_id = session.scalars(
            select(ApiKey.id).where(ApiKey.partner_id == partner.partner_id, ApiKey.environment == "sandbox")
        ).one()
        for _ in range(count):
            smile_job_id = f"{secrets.randbelow(10**10):010d}"
            job = Job(
                smile_job_id=smile_job_id,
                partner_id=partner.partner_id,
                environment="sandbox",
                api_key_id=key_id,
                user_id="user",
                job_id=f"job-{len(ids)}",
                job_type=4,
                partner_params={"user_id": "user", "job_id": f"job-{len(ids)}", "job_type": 4},
                state=JobState.COMPLETE,
            )
            session.add(job)
            session.flush()
            result = {"SmileJobID": smile_job_id, "ResultCode": "0840"}
            callbacks.schedule(
                db_session=session, job=job, payload=result, url=url, horizon=timedelta(hours=1)
            )
            ids.append(smile_job_id)
    return ids
