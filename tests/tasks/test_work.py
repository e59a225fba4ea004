"""Task bodies: claims make every task idempotent, and a superseded claim publishes nothing."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

from openkyc.callbacks import service as callbacks
from openkyc.callbacks.dispatch import CallbackDispatcher
from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import transaction, utcnow
from openkyc.jobs import service as jobs
from openkyc.jobs.flows import process_job
from openkyc.jobs.models import Job, JobState
from openkyc.runtime import Runtime
from openkyc.tasks import work
from openkyc.tasks.work import Outcome
from testkit.callback_receiver import CallbackReceiver
from tests.server import PartnerCreds, make_partner, make_runtime, upload_job
from tests.tasks.conftest import SilentReceiver, finished_jobs_with_callbacks

OBAMA = "ageitgey+face_recognition/examples/obama.jpg"


def queued_job(runtime: Runtime, partner: PartnerCreds, faces_dir: Path, job_id: str) -> str:
    params = {"user_id": f"user-{job_id}", "job_id": job_id, "job_type": 4}
    upload = upload_job(runtime, partner, faces_dir / OBAMA, params)
    assert upload.put_status == 200
    return upload.smile_job_id


def deliveries(runtime: Runtime, smile_job_id: str) -> int:
    with transaction(runtime.sessions) as session:
        return session.query(CallbackDelivery).filter_by(smile_job_id=smile_job_id).count()


def test_the_same_task_run_twice_at_once_verifies_once(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path
) -> None:
    smile_job_id = queued_job(runtime, partner, faces_dir, "twice")
    outcomes: list[Outcome] = []
    threads = [
        threading.Thread(target=lambda: outcomes.append(work.verify_job(runtime, smile_job_id)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted([Outcome.DONE, Outcome.NOTHING_TO_DO, Outcome.NOTHING_TO_DO])
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        assert job is not None and job.state == JobState.COMPLETE and len(job.history) == 1
    assert deliveries(runtime, smile_job_id) == 1
    # Delivered again after the answer: nothing more.
    assert work.verify_job(runtime, smile_job_id) == Outcome.NOTHING_TO_DO
    assert deliveries(runtime, smile_job_id) == 1


def test_a_job_under_a_live_lease_is_not_taken_over(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path
) -> None:
    smile_job_id = queued_job(runtime, partner, faces_dir, "leased")
    lease = runtime.settings.job_lease
    with transaction(runtime.sessions) as session:
        assert jobs.claim_job(db_session=session, smile_job_id=smile_job_id, lease=lease) == 1
    assert work.verify_job(runtime, smile_job_id) == Outcome.NOTHING_TO_DO
    with transaction(runtime.sessions) as session:  # the holder died: its lease runs out
        job = session.get(Job, smile_job_id)
        assert job is not None
        job.updated_at = utcnow() - lease - timedelta(seconds=1)
    assert work.verify_job(runtime, smile_job_id) == Outcome.DONE
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        assert job is not None and job.attempts == 2 and len(job.history) == 1


def test_a_worker_that_lost_its_claim_publishes_nothing(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path
) -> None:
    smile_job_id = queued_job(runtime, partner, faces_dir, "superseded")
    lease = runtime.settings.job_lease
    with transaction(runtime.sessions) as session:
        assert jobs.claim_job(db_session=session, smile_job_id=smile_job_id, lease=lease) == 1
        job = session.get(Job, smile_job_id)
        assert job is not None
        job.updated_at = utcnow() - lease - timedelta(seconds=1)
    with transaction(runtime.sessions) as session:  # a second worker takes the job over
        assert jobs.claim_job(db_session=session, smile_job_id=smile_job_id, lease=lease) == 2
        job = session.get(Job, smile_job_id)
        assert job is not None
        job.attempts = 2
    # The first worker (claim 1) finishes late: process_job reads the job as claim 2 now, so
    # simulate the stale worker by publishing under claim 1 directly.
    from openkyc.jobs.flows import publish_result, system_error

    with transaction(runtime.sessions) as session:
        stale = session.get(Job, smile_job_id)
        assert stale is not None
        session.expunge(stale)
    stale.attempts = 1
    publish_result(runtime, stale, system_error(stale), {})
    assert deliveries(runtime, smile_job_id) == 0
    process_job(runtime, smile_job_id)  # the holder of claim 2 publishes
    assert deliveries(runtime, smile_job_id) == 1


def test_a_lease_is_renewed_while_the_job_runs(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path
) -> None:
    from openkyc.tasks.lease import held_lease

    smile_job_id = queued_job(runtime, partner, faces_dir, "renewed")
    runtime.settings.job_lease = timedelta(seconds=0.9)
    with transaction(runtime.sessions) as session:
        attempt = jobs.claim_job(
            db_session=session, smile_job_id=smile_job_id, lease=runtime.settings.job_lease
        )
    assert attempt == 1
    with held_lease(runtime, smile_job_id, attempt):
        threading.Event().wait(2.0)  # longer than the lease
        with transaction(runtime.sessions) as session:
            taken = jobs.claim_job(
                db_session=session, smile_job_id=smile_job_id, lease=runtime.settings.job_lease
            )
        assert taken is None  # renewed in time: nobody can take it over


def test_callback_tasks_return_at_once_and_a_never_answering_host_delays_no_other_partner(
    tmp_path: Path, silent: SilentReceiver, receiver: CallbackReceiver
) -> None:
    runtime = make_runtime(
        tmp_path, callback_timeout=timedelta(seconds=4), callback_per_host=2, callback_per_partner=2
    )
    slow_partner, other_partner = make_partner(runtime, "Slow"), make_partner(runtime, "Other")
    slow = finished_jobs_with_callbacks(runtime, slow_partner, silent.url, 6)
    others = finished_jobs_with_callbacks(runtime, other_partner, receiver.url, 3)
    dispatcher = CallbackDispatcher(
        lambda due: work.deliver_from_dispatcher(runtime, due), workers=3, per_host=2, per_partner=2
    )
    with transaction(runtime.sessions) as session:
        ids = dict(session.query(CallbackDelivery.smile_job_id, CallbackDelivery.id).all())
    try:
        started = time.monotonic()
        # The tasks as the callbacks queue hands them out: the slow partner's first, one duplicated.
        for smile_job_id in [*slow, slow[0], *others]:
            work.dispatch_callback(runtime, dispatcher, ids[smile_job_id], 0)
        assert time.monotonic() - started < 2.0  # no task waited on a receiver
        for smile_job_id in others:
            receiver.wait_accepted(smile_job_id, timeout=8)
        assert time.monotonic() - started < 2.0
        assert silent.accepted() == 2
        # What waits in this process is held: the sweep does not hand it out again meanwhile.
        assert callbacks.claim_due(runtime, limit=100) == []
    finally:
        silent.close()
        dispatcher.close(wait_s=5)
    with transaction(runtime.sessions) as session:
        first = session.get(CallbackDelivery, ids[slow[0]])
        assert first is not None and first.attempts == 1  # the duplicated task sent nothing more
    # A task for an attempt already made (a redelivered message) is dropped without a thread.
    assert work.dispatch_callback(runtime, dispatcher, ids[slow[0]], 0) == Outcome.NOTHING_TO_DO
