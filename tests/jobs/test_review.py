from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from smile_id_core.Signature import Signature

from openkyc.app import create_app
from openkyc.db import transaction
from openkyc.jobs.models import Job, JobState
from openkyc.jobs.review import NotUnderReview, job_summary, resolve
from openkyc.runtime import Runtime
from openkyc.users.service import find_user
from tests.server import PartnerCreds, submit_and_process

pytestmark = pytest.mark.slow


def test_provisional_registration_is_approved_by_a_reviewer_and_enrols(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path
) -> None:
    selfie = faces_dir / "ageitgey+face_recognition" / "examples" / "obama.jpg"
    smile_job_id = submit_and_process(runtime, partner, selfie, "rev-1", sandbox_result="2")
    summary = job_summary(runtime, smile_job_id)
    assert summary["state"] == JobState.REVIEW
    assert summary["result"]["IsFinalResult"] == "false"
    with transaction(runtime.sessions) as session:
        assert (
            find_user(
                db_session=session, partner_id=partner.partner_id, environment="sandbox", user_id="user-rev-1"
            )
            is None
        )

    final = resolve(runtime, smile_job_id, approve=True, reason=None)
    assert final["IsFinalResult"] == "true" and final["PartnerParams"]["sandbox_result"] == "2"
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        assert job is not None and job.state == JobState.COMPLETE
        assert [h["IsFinalResult"] for h in job.history] == ["false", "true"]
        user = find_user(
            db_session=session, partner_id=partner.partner_id, environment="sandbox", user_id="user-rev-1"
        )
        assert user is not None and user.embedding_encrypted is not None
    assert len(job_summary(runtime, smile_job_id)["callbacks"]) == 2  # provisional, then final

    with pytest.raises(NotUnderReview):
        resolve(runtime, smile_job_id, approve=False, reason=None)


def test_rejected_review_enrols_nobody(runtime: Runtime, partner: PartnerCreds, faces_dir: Path) -> None:
    selfie = faces_dir / "ageitgey+face_recognition" / "examples" / "obama2.jpg"
    smile_job_id = submit_and_process(runtime, partner, selfie, "rev-2", sandbox_result="2")
    final = resolve(runtime, smile_job_id, approve=False, reason="spoof")
    assert final["IsFinalResult"] == "true"
    with transaction(runtime.sessions) as session:
        assert (
            find_user(
                db_session=session, partner_id=partner.partner_id, environment="sandbox", user_id="user-rev-2"
            )
            is None
        )
        job = session.get(Job, smile_job_id)
        assert job is not None and job.result is not None and job.result["_success"] is False


def test_a_final_result_cannot_be_reviewed(runtime: Runtime, partner: PartnerCreds, faces_dir: Path) -> None:
    selfie = faces_dir / "ageitgey+face_recognition" / "examples" / "obama.jpg"
    smile_job_id = submit_and_process(runtime, partner, selfie, "rev-3")
    assert job_summary(runtime, smile_job_id)["state"] == JobState.COMPLETE
    with pytest.raises(NotUnderReview):
        resolve(runtime, smile_job_id, approve=True, reason=None)


def test_retry_does_not_leave_review_queue(runtime: Runtime, partner: PartnerCreds, faces_dir: Path) -> None:
    selfie = faces_dir / "ageitgey+face_recognition" / "examples" / "obama.jpg"
    smile_job_id = submit_and_process(runtime, partner, selfie, "rev-4", sandbox_result="2")
    assert job_summary(runtime, smile_job_id)["state"] == JobState.REVIEW
    params = {"user_id": "user-rev-4", "job_id": "rev-4", "job_type": 4, "sandbox_result": "2"}
    with TestClient(create_app(runtime)) as client:
        retried = client.post(
            "/v1/upload",
            json={
                "smile_client_id": partner.partner_id,
                "partner_params": params,
                "retry": True,
                **Signature(partner.partner_id, partner.sandbox_key).generate_signature(),
            },
        )
    # 2215 as for a job still being processed: the job cannot be retried while it waits for review.
    assert retried.status_code == 400 and retried.json()["code"] == "2215"
    assert job_summary(runtime, smile_job_id)["state"] == JobState.REVIEW
    assert resolve(runtime, smile_job_id, approve=True, reason=None)["IsFinalResult"] == "true"
