"""The sweep hands over again what a lost message or a dead worker left behind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job, JobState
from openkyc.links import service as web_tokens
from openkyc.links.models import WebProduct, WebToken
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


def test_expired_web_tokens_are_purged_hourly(runtime: Runtime, partner: PartnerCreds) -> None:
    """A link's visits (and /v1/token's tokens) are rows until they expire; the sweep deletes the
    expired ones, at most once an hour, and keeps the live ones."""
    issued = {}
    with transaction(runtime.sessions) as session:
        for name, ttl in (("old", timedelta(seconds=-1)), ("live", timedelta(hours=1))):
            issued[name] = web_tokens.issue_token(
                db_session=session,
                partner_id=partner.partner_id,
                environment="sandbox",
                api_key_id="key-1",
                user_id="u",
                job_id=f"j-{name}",
                product=WebProduct.DOC_VERIFICATION,
                callback_url=None,
                now=utcnow(),
                ttl=ttl,
            )
    sweeper = Sweeper(runtime, redispatch_jobs=False, hand_over_callbacks=False, collect_uploads=False)
    assert sweeper.sweep().purged_tokens == 1
    with transaction(runtime.sessions) as session:
        assert session.query(WebToken).count() == 1
        assert web_tokens.lookup_token(db_session=session, token=issued["live"].token, now=utcnow())
        web_tokens.issue_token(
            db_session=session,
            partner_id=partner.partner_id,
            environment="sandbox",
            api_key_id="key-1",
            user_id="u",
            job_id="j-later",
            product=WebProduct.DOC_VERIFICATION,
            callback_url=None,
            now=utcnow(),
            ttl=timedelta(seconds=-1),
        )
    assert sweeper.sweep().purged_tokens == 0  # within the hour: not again
