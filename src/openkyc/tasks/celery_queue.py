"""Handing work to Celery workers from API processes and workers (the scaled-out WorkQueue)."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery

from openkyc.tasks.celery_app import COLLECT_UPLOAD, DELIVER_CALLBACK, VERIFY_JOB

log = logging.getLogger(__name__)

# A broker that is down must not hang the request that just committed its row: the database
# sweep hands the work over again once the broker is back (tasks/sweeper.py).
_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


class CeleryQueue:
    def __init__(self, app: Celery) -> None:
        self.app = app

    def _send(self, name: str, args: list[Any]) -> None:
        try:
            self.app.send_task(name, args=args, retry=True, retry_policy=_PUBLISH_RETRY)
        except Exception:
            log.warning("could not publish %s; the sweep will hand it over again", name, exc_info=True)

    def job_queued(self, smile_job_id: str) -> None:
        self._send(VERIFY_JOB, [smile_job_id])

    def callback_due(self, delivery_id: int, attempt: int) -> None:
        self._send(DELIVER_CALLBACK, [delivery_id, attempt])

    def upload_reported(self, smile_job_id: str) -> None:
        self._send(COLLECT_UPLOAD, [smile_job_id])
