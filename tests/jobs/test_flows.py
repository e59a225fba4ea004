from __future__ import annotations

from pathlib import Path

import pytest

from openkyc.db import transaction
from openkyc.jobs.models import Job, JobState
from openkyc.runtime import Runtime
from openkyc.users import service as users
from openkyc.users.models import UserStatus
from tests.server import PartnerCreds, submit_and_process

pytestmark = pytest.mark.slow


def test_a_user_deleted_after_the_upload_gets_a_final_answer_at_once(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path
) -> None:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    submit_and_process(
        runtime, partner, examples / "knn_examples" / "test" / "obama1.jpg", "reg", user_id="u1"
    )

    def delete_user() -> None:
        with transaction(runtime.sessions) as session:
            users.set_status(
                db_session=session,
                partner_id=partner.partner_id,
                environment="sandbox",
                user_id="u1",
                status=UserStatus.DELETED,
            )

    smile_job_id = submit_and_process(
        runtime,
        partner,
        examples / "obama2.jpg",
        "auth",
        job_type=2,
        user_id="u1",
        before_processing=delete_user,
    )
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        assert job is not None and job.state == JobState.FAILED and job.attempts == 1
        assert (
            job.result is not None and job.result["ResultCode"] == "0001" and job.result["_success"] is False
        )


def test_registration_then_authentication_of_the_same_person(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path
) -> None:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    submit_and_process(
        runtime, partner, examples / "knn_examples" / "test" / "obama1.jpg", "reg", user_id="u2"
    )
    smile_job_id = submit_and_process(
        runtime, partner, examples / "obama2.jpg", "auth", job_type=2, user_id="u2"
    )
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        assert job is not None and job.result is not None
        assert job.result["_success"] is True and job.result["ResultType"] == "SAIA"
        assert [entry["ResultCode"] for entry in job.history] == [job.result["ResultCode"]]
