"""Worker threads inside `openkyc serve`: verification jobs and callback deliveries.

The database is the queue: a queued job is a row, claimed atomically, so a restart (or a crash)
loses nothing — jobs left in processing are requeued and undelivered callbacks are retried.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from openkyc.callbacks import service as callbacks
from openkyc.callbacks.dispatch import CallbackDispatcher
from openkyc.db import transaction
from openkyc.engine.warmup import load_models
from openkyc.jobs import service as jobs
from openkyc.runtime import Runtime
from openkyc.tasks.sweeper import Sweeper

log = logging.getLogger(__name__)

IDLE_POLL_S = 1.0
STOP_WAIT_S = 10.0
# Deliveries claimed per round; the dispatcher starts them as threads and caps allow.
CLAIM_BATCH = 50
# A job in processing longer than this is taken for abandoned by a dead worker.
STALE_PROCESSING = timedelta(minutes=10)


def _warm_up() -> None:
    try:
        load_models()
    except Exception:
        log.exception("loading the verification models failed; jobs will retry loading them")


class WorkerPool:
    def __init__(self, runtime: Runtime, process_job: Callable[[Runtime, str], None]) -> None:
        self.runtime = runtime
        self.process_job = process_job
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        with transaction(self.runtime.sessions) as session:
            requeued = jobs.requeue_interrupted(db_session=session, older_than=timedelta(0))
        if requeued:
            log.info("requeued %d job(s) interrupted by the last shutdown", requeued)
        # Models load in the background: the API answers at once, the first job does not pay for it.
        self._spawn("openkyc-warmup", _warm_up)
        for index in range(self.runtime.settings.workers):
            self._spawn(f"openkyc-worker-{index}", self._run_jobs)
        self._spawn("openkyc-callbacks", self._run_callbacks)
        # The database is this pool's queue and it delivers callbacks itself; the sweep only takes
        # in direct (S3) uploads and purges data past its retention.
        sweeper = Sweeper(self.runtime, redispatch_jobs=False, hand_over_callbacks=False)
        self._spawn("openkyc-sweeper", lambda: sweeper.run(self._stop))

    def stop(self, timeout: float = STOP_WAIT_S) -> None:
        self._stop.set()
        self.runtime.notify_work()
        for thread in self._threads:
            thread.join(timeout)

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _run_jobs(self) -> None:
        while not self._stop.is_set():
            try:
                with transaction(self.runtime.sessions) as session:
                    smile_job_id = jobs.claim_next_queued(db_session=session)
                if smile_job_id is None:
                    self._idle()
                    continue
                self.process_job(self.runtime, smile_job_id)
                self.runtime.notify_work()  # a callback may now be due
            except Exception:
                # The job stays in processing and is requeued on restart; never kill the worker.
                log.exception("worker error")
                self._idle()

    def _run_callbacks(self) -> None:
        """Claim due deliveries and hand them to the dispatcher, which sends them on its threads
        with the per-host and per-partner caps (callbacks/dispatch.py)."""
        settings = self.runtime.settings
        dispatcher = CallbackDispatcher(
            lambda due: callbacks.deliver(self.runtime, due.id, due.attempt),
            workers=settings.callback_workers,
            per_host=settings.callback_per_host,
            per_partner=settings.callback_per_partner,
        )
        try:
            while not self._stop.is_set():
                try:
                    room = dispatcher.room()
                    if not room:
                        dispatcher.wait_for_room(IDLE_POLL_S)
                        continue
                    due = callbacks.claim_due_deliveries(self.runtime, limit=min(room, CLAIM_BATCH))
                    for delivery in due:
                        # Refused when its receiver's backlog is full: the claim just made keeps
                        # it aside for a while, so the next round reaches other receivers' rows.
                        dispatcher.offer(delivery)
                    if not due:
                        self._idle()
                except Exception:
                    log.exception("callback dispatcher error")
                    self._idle()
        finally:
            # Deliveries under way get to record their attempt (stop() waits as long for this thread).
            dispatcher.close(wait_s=min(settings.callback_timeout.total_seconds(), STOP_WAIT_S))

    def _idle(self) -> None:
        self.runtime.work_available.wait(IDLE_POLL_S)
        self.runtime.work_available.clear()
