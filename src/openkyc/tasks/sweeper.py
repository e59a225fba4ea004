"""The periodic sweep: the database is the source of truth, the queue only a fast path.

Whatever a lost message, a killed worker or a restarted API process left behind is found here
from the rows and handed over again: queued jobs nobody started, processing jobs whose lease ran
out, callback retries that fell due, direct uploads that arrived in storage (and, deleted, those
no job waits for any more), (hourly) data past its retention, (hourly) expired hosted-web
tokens (a verification link's visits: their jobs are found by their source, not the token), and
(each minute) the AML-monitored people whose answer predates the loaded lists. Several sweepers may run at once
(one per worker process); every hand-over is claimed atomically, so a duplicate costs a look-up
and nothing more.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from openkyc.callbacks import service as callbacks
from openkyc.db import transaction, utcnow
from openkyc.jobs import aml_monitoring, uploads
from openkyc.jobs import service as jobs
from openkyc.links import service as web_tokens
from openkyc.observability.context import bind_job
from openkyc.runtime import Runtime

log = logging.getLogger(__name__)

RETENTION_EVERY_S = 3600.0
# AML lists change rarely (an operator loads them), and `openkyc lists load` screens the monitored
# people itself: the sweep only catches what it could not (another process's load, a crash).
RESCREEN_EVERY_S = 60.0


@dataclass
class SweepReport:
    redispatched_jobs: list[str] = field(default_factory=list)
    due_callbacks: int = 0
    collected_uploads: list[str] = field(default_factory=list)
    removed_uploads: list[str] = field(default_factory=list)
    purged_tokens: int = 0  # expired hosted-web tokens deleted
    rescreened: int = 0  # AML-monitored people screened again (the lists changed)


@dataclass
class Sweeper:
    runtime: Runtime
    # What this process sweeps: a verification worker redispatches jobs and takes in uploads, a
    # callbacks worker hands over due retries (the in-process pool delivers those itself).
    redispatch_jobs: bool = True
    hand_over_callbacks: bool = True
    collect_uploads: bool = True
    purge_retention: bool = True
    # Screen AML-monitored people again when the lists changed (builds the screening index: a
    # verification worker's job, not a callbacks worker's).
    rescreen_monitoring: bool = True
    _last_purge: float = field(default=0.0, repr=False)
    _last_token_purge: float = field(default=0.0, repr=False)
    _last_rescreen: float = field(default=0.0, repr=False)

    def sweep(self) -> SweepReport:
        report = SweepReport()
        settings = self.runtime.settings
        if self.redispatch_jobs:
            with transaction(self.runtime.sessions) as session:
                report.redispatched_jobs = jobs.jobs_to_redispatch(
                    db_session=session, lease=settings.job_lease, redispatch_after=settings.redispatch_after
                )
            for smile_job_id in report.redispatched_jobs:
                self.runtime.queue.job_queued(smile_job_id)
        if self.hand_over_callbacks:
            due = callbacks.claim_due(self.runtime, limit=100)
            for delivery_id, attempt in due:
                self.runtime.queue.callback_due(delivery_id, attempt)
            report.due_callbacks = len(due)
        if self.collect_uploads and settings.uses_s3:
            for smile_job_id in uploads.pending_direct_uploads(self.runtime):
                with bind_job(smile_job_id):
                    if uploads.collect_direct_upload(self.runtime, smile_job_id):
                        report.collected_uploads.append(smile_job_id)
            # After the collection, so that what it just took in is not looked at twice.
            report.removed_uploads = uploads.remove_leftover_uploads(self.runtime)
        if self.purge_retention and settings.retention_days > 0:
            self._purge_if_due()
        if self.purge_retention:
            report.purged_tokens = self._purge_tokens_if_due()
        if self.rescreen_monitoring:
            report.rescreened = self._rescreen_if_due()
        return report

    def _rescreen_if_due(self) -> int:
        if self._last_rescreen and time.monotonic() - self._last_rescreen < RESCREEN_EVERY_S:
            return 0
        self._last_rescreen = time.monotonic()
        return aml_monitoring.rescreen_due(self.runtime).screened

    def _purge_tokens_if_due(self) -> int:
        if self._last_token_purge and time.monotonic() - self._last_token_purge < RETENTION_EVERY_S:
            return 0
        self._last_token_purge = time.monotonic()
        with transaction(self.runtime.sessions) as session:
            return web_tokens.purge_expired(db_session=session, now=utcnow())

    def _purge_if_due(self) -> None:
        from openkyc.retention.service import purge_expired

        if time.monotonic() - self._last_purge < RETENTION_EVERY_S and self._last_purge:
            return
        self._last_purge = time.monotonic()
        purge_expired(self.runtime)

    def run(self, stop: threading.Event) -> None:
        """Sweep every ``sweep_interval`` until ``stop`` is set; never dies of an error."""
        interval = self.runtime.settings.sweep_interval.total_seconds()
        while not stop.is_set():
            try:
                self.sweep()
            except Exception:
                # The database or broker may be briefly away: the next sweep tries again.
                log.warning("sweep failed", exc_info=True)
            stop.wait(interval)
