"""The sweep hands over again what a lost message or a dead worker left behind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job, JobState
from openkyc.runtime import Runtime
from openkyc.tasks.sweeper import Sweeper
from tests.callbacks.test_service import scheduled
from tests.server import PartnerCreds
from tests.tasks.test_work import queued_job


@dataclass
class RecordingQueue:
    jobs: list[str] = field(default_factory=list)
    callbacks: list[tuple[int, int]] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)

    def job_queued(self, smile_job_id: str) -> None:
        self.jobs.append(smile_job_id)

    def callback_due(self, delivery_id: int, attempt: int) -> None:
        self.callbacks.append((delivery_id, attempt))

    def upload_reported(self, smile_job_id: str) -> None:
        self.uploads.append(smile_job_id)


def age(runtime: Runtime, smile_job_id: str, state: JobState, by: timedelta) -> None:
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        assert job is not None
        job.state = state
        job.queued_at = utcnow() - by
    with transaction(runtime.sessions) as session:  # updated_at is stamped on every ORM update
        session.query(Job).filter_by(smile_job_id=smile_job_id).update({"updated_at": utcnow() - by})


def test_overdue_and_abandoned_jobs_are_handed_over_once(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path
) -> None:
    queue = RecordingQueue()
    runtime.queue = queue
    fresh = queued_job(runtime, partner, faces_dir, "fresh")
    overdue = queued_job(runtime, partner, faces_dir, "overdue")
    abandoned = queued_job(runtime, partner, faces_dir, "abandoned")
    age(runtime, overdue, JobState.QUEUED, runtime.settings.redispatch_after + timedelta(seconds=5))
    age(runtime, abandoned, JobState.PROCESSING, runtime.settings.job_lease + timedelta(seconds=5))
    queue.jobs.clear()
    sweeper = Sweeper(runtime, hand_over_callbacks=False)
    report = sweeper.sweep()
    assert sorted(report.redispatched_jobs) == sorted([overdue, abandoned]) == sorted(queue.jobs)
    assert fresh not in queue.jobs
    with transaction(runtime.sessions) as session:
        job = session.get(Job, abandoned)
        assert job is not None and job.state == JobState.QUEUED
    assert sweeper.sweep().redispatched_jobs == []  # stamped: the next sweep leaves them alone


def test_due_callbacks_are_handed_over_with_their_attempt(runtime: Runtime, partner: PartnerCreds) -> None:
    queue = RecordingQueue()
    runtime.queue = queue
    delivery_id = scheduled(runtime, partner)
    sweeper = Sweeper(runtime, redispatch_jobs=False)
    assert sweeper.sweep().due_callbacks == 1
    assert queue.callbacks == [(delivery_id, 0)]
    assert sweeper.sweep().due_callbacks == 0  # claimed for a while
