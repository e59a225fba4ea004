"""Keeping a job's claim alive while it is verified, so a dead worker's jobs are found quickly.

A claim is the job's ``updated_at`` plus its attempt number. A worker renews it every third of
the lease; one that stops renewing (killed, frozen, cut off from the database) loses the job to
the next sweep after ``job_lease``, and its late result is dropped by the claim fence.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from openkyc.db import transaction
from openkyc.jobs import service as jobs
from openkyc.runtime import Runtime

log = logging.getLogger(__name__)


@contextmanager
def held_lease(runtime: Runtime, smile_job_id: str, attempt: int) -> Iterator[None]:
    """Renew the claim ``attempt`` on ``smile_job_id`` in the background until the block ends."""
    stop = threading.Event()
    interval = max(0.2, runtime.settings.job_lease.total_seconds() / 3)

    def renew() -> None:
        while not stop.wait(interval):
            try:
                with transaction(runtime.sessions) as session:
                    if not jobs.renew_lease(db_session=session, smile_job_id=smile_job_id, attempt=attempt):
                        return  # taken over: nothing left to renew
            except Exception:
                # The database may be briefly away; the next renewal may still be in time.
                log.warning("job %s: lease renewal failed", smile_job_id, exc_info=True)

    thread = threading.Thread(target=renew, name=f"lease-{smile_job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(interval + 5)
