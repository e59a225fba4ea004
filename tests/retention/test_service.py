"""purge_expired: jobs past retention lose their images and PII, keep their results."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openkyc.audit.models import AuditEvent
from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job, JobState
from openkyc.retention import service as retention
from openkyc.retention.scrub import KEPT_RESULT_KEYS
from openkyc.retention.service import purge_expired
from openkyc.runtime import Runtime
from openkyc.users.models import EnrolledUser
from tests.retention.conftest import RETENTION_DAYS
from tests.retention.jobs import DOB, FULL_NAME, ID_NUMBER, finished_job, stored_text
from tests.server import PartnerCreds

OLD = timedelta(days=RETENTION_DAYS, hours=1)


def _job_blobs(runtime: Runtime, smile_job_id: str) -> list[str]:
    return list(runtime.blobs.keys(f"jobs/{smile_job_id}/"))


def test_expired_jobs_lose_images_and_pii_and_keep_their_results(
    runtime: Runtime, partner: PartnerCreds, client: TestClient
) -> None:
    old = finished_job(client, runtime, partner, "old", utcnow() - OLD)
    recent = finished_job(client, runtime, partner, "recent", utcnow() - timedelta(days=1))
    assert FULL_NAME in stored_text(runtime, old) and len(_job_blobs(runtime, old)) == 6

    report = purge_expired(runtime, utcnow())

    assert (report.jobs, report.blobs) == (1, 6)
    assert _job_blobs(runtime, old) == []
    text = stored_text(runtime, old)
    for pii in (FULL_NAME, DOB, ID_NUMBER, "Joe"):
        assert pii not in text
    assert len(_job_blobs(runtime, recent)) == 6 and FULL_NAME in stored_text(runtime, recent)
    with transaction(runtime.sessions) as session:
        job = session.get(Job, old)
        assert job is not None and job.purged_at is not None
        assert job.inputs == {"lookup_counted": True}
        assert job.partner_params == {"user_id": "user-1", "job_id": "old", "job_type": 5}
        event = session.scalars(select(AuditEvent).where(AuditEvent.target_id == old)).one()
        assert (event.action, event.actor_type, event.detail) == (
            "job.purged",
            "system",
            {"reason": "retention", "blobs_deleted": 6},
        )

    status = client.post(
        "/v1/job_status", json=partner.signed(user_id="user-1", job_id="old", history=True, image_links=True)
    ).json()
    assert status["job_complete"] is True and status["job_success"] is True
    assert status["result"]["ResultCode"] == "1012" and status["result"]["SmileJobID"] == old
    assert set(status["result"]) <= KEPT_RESULT_KEYS
    assert status["result"]["Actions"]["Verify_ID_Number"] == "Verified"
    assert all(set(entry) <= KEPT_RESULT_KEYS for entry in status["history"])
    assert "error" in status["image_links"]
    assert FULL_NAME not in repr(status) and ID_NUMBER not in repr(status)


def test_purging_again_finds_nothing(runtime: Runtime, partner: PartnerCreds, client: TestClient) -> None:
    finished_job(client, runtime, partner, "old", utcnow() - OLD)
    assert purge_expired(runtime, utcnow()).jobs == 1
    assert purge_expired(runtime, utcnow()).jobs == 0
    assert purge_expired(runtime, utcnow() + timedelta(days=365)).jobs == 0


def test_retention_off_keeps_everything(runtime: Runtime, partner: PartnerCreds, client: TestClient) -> None:
    old = finished_job(client, runtime, partner, "old", utcnow() - timedelta(days=3650))
    runtime.settings.retention_days = 0
    assert purge_expired(runtime, utcnow()).jobs == 0
    assert FULL_NAME in stored_text(runtime, old)


def test_dry_run_counts_and_changes_nothing(
    runtime: Runtime, partner: PartnerCreds, client: TestClient
) -> None:
    old = finished_job(client, runtime, partner, "old", utcnow() - OLD)
    finished_job(client, runtime, partner, "recent", utcnow())
    report = purge_expired(runtime, utcnow(), dry_run=True)
    assert (report.jobs, report.dry_run) == (1, True)
    assert FULL_NAME in stored_text(runtime, old) and len(_job_blobs(runtime, old)) == 6


def test_jobs_under_review_keep_their_images(
    runtime: Runtime, partner: PartnerCreds, client: TestClient
) -> None:
    waiting = finished_job(client, runtime, partner, "review", utcnow() - OLD)
    with transaction(runtime.sessions) as session:
        job = session.get(Job, waiting)
        assert job is not None
        job.state = JobState.REVIEW
    assert purge_expired(runtime, utcnow()).jobs == 0
    assert len(_job_blobs(runtime, waiting)) == 6


def test_a_registered_face_stays_and_superseded_copies_go(
    runtime: Runtime, partner: PartnerCreds, client: TestClient
) -> None:
    first = finished_job(client, runtime, partner, "first-registration", utcnow() - OLD)
    second = finished_job(client, runtime, partner, "second-registration", utcnow() - OLD)
    superseded, registered = (f"users/{partner.partner_id}/{job}/selfie" for job in (first, second))
    runtime.blobs.put(superseded, b"\xff\xd8 the face registered first")
    runtime.blobs.put(registered, b"\xff\xd8 the face registered now")
    with transaction(runtime.sessions) as session:
        session.add(
            EnrolledUser(
                partner_id=partner.partner_id, environment="sandbox", user_id="user-1", selfie_blob=registered
            )
        )
    assert purge_expired(runtime, utcnow()).jobs == 2
    assert not runtime.blobs.exists(superseded)
    assert runtime.blobs.get(registered) == b"\xff\xd8 the face registered now"


def test_concurrent_purges_purge_each_job_once(
    runtime: Runtime, partner: PartnerCreds, client: TestClient
) -> None:
    jobs = [finished_job(client, runtime, partner, f"old-{n}", utcnow() - OLD) for n in range(6)]
    reports = []
    threads = [
        threading.Thread(target=lambda: reports.append(purge_expired(runtime, utcnow()))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(report.jobs for report in reports) == len(jobs)
    with transaction(runtime.sessions) as session:
        events = session.scalars(select(AuditEvent.target_id).where(AuditEvent.action == "job.purged")).all()
    assert sorted(events) == sorted(jobs)
    assert all(_job_blobs(runtime, job) == [] for job in jobs)


def test_large_backlogs_are_purged_in_batches_up_to_a_limit(
    runtime: Runtime, partner: PartnerCreds, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "BATCH", 2)
    for n in range(5):
        finished_job(client, runtime, partner, f"old-{n}", utcnow() - OLD)
    assert purge_expired(runtime, utcnow(), limit=3).jobs == 3
    assert purge_expired(runtime, utcnow()).jobs == 2
