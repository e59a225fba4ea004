"""The in-process worker pool of `openkyc serve`: callback deliveries shared out fairly."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import transaction
from openkyc.tasks import inprocess
from openkyc.tasks.inprocess import WorkerPool
from testkit.callback_receiver import CallbackReceiver
from tests.server import make_partner, make_runtime
from tests.tasks.conftest import SilentReceiver, finished_jobs_with_callbacks

SLOW_TIMEOUT_S = 4.0


def test_a_never_answering_callback_host_does_not_delay_another_partners_callbacks(
    tmp_path: Path, silent: SilentReceiver, receiver: CallbackReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inprocess, "_warm_up", lambda: None)  # no models: no job is verified here
    runtime = make_runtime(
        tmp_path,
        callback_timeout=timedelta(seconds=SLOW_TIMEOUT_S),
        callback_workers=4,
        callback_per_host=2,
        callback_per_partner=3,
    )
    slow_partner, other_partner = make_partner(runtime, "Slow"), make_partner(runtime, "Other")
    # The slow partner's ten are due first, as in the attack; the other partner's five after them.
    finished_jobs_with_callbacks(runtime, slow_partner, silent.url, 10)
    others = finished_jobs_with_callbacks(runtime, other_partner, receiver.url, 5)
    pool = WorkerPool(runtime, lambda runtime, smile_job_id: None)
    started = time.monotonic()
    pool.start()
    try:
        for smile_job_id in others:
            receiver.wait_accepted(smile_job_id, timeout=SLOW_TIMEOUT_S * 2)
        elapsed = time.monotonic() - started
        # Well before the first silent delivery gives up, and far from 10 x the timeout.
        assert elapsed < SLOW_TIMEOUT_S / 2, elapsed
        assert silent.accepted() == 2  # the slow host gets its two delivery threads, no more
    finally:
        silent.close()  # its deliveries fail now, rather than at the timeout
        pool.stop()
    with transaction(runtime.sessions) as session:
        deliveries = session.scalars(select(CallbackDelivery)).all()
        slow = [d for d in deliveries if d.url == silent.url]
        assert all(d.delivered for d in deliveries if d.url == receiver.url)
        # At least once: the slow partner's callbacks are kept, to be retried on its schedule.
        assert not any(d.delivered or d.abandoned for d in slow)
