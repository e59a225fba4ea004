"""Fraud reports applied to jobs (jobs.fraud_screen), through the real pipeline: a flagged user's
next job is rejected, so is another user's job with the flagged face, and clearing reverses both;
an Enhanced KYC job of a flagged user is rejected without a look-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openkyc.db import transaction
from openkyc.jobs import fraud_screen
from openkyc.jobs.models import Job
from openkyc.runtime import Runtime
from openkyc.users import service as users
from openkyc.users.fraud import FraudReason, Report
from tests.jobs.test_v2_views import ENROLL, submit
from tests.server import PartnerCreds, submit_and_process

EXAMPLES = Path("ageitgey+face_recognition/examples")
FLAG = Report(
    is_fraud=True, reason=FraudReason.IDENTITY_FARMING, notes=None, reported_by="risk@partner.example"
)
CLEAR = Report(
    is_fraud=False, reason=None, notes="Cleared by appeals review", reported_by="risk@partner.example"
)


def report(runtime: Runtime, partner: PartnerCreds, user_id: str, given: Report) -> None:
    assert fraud_screen.report(
        runtime,
        partner_id=partner.partner_id,
        environment="sandbox",
        api_key_id="key-1",
        user_id=user_id,
        given=given,
    )


def result_of(runtime: Runtime, smile_job_id: str) -> dict[str, Any]:
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        assert job is not None and job.result is not None
        return dict(job.result)


def enrolled(runtime: Runtime, partner: PartnerCreds, user_id: str) -> bool:
    with transaction(runtime.sessions) as session:
        user = users.find_user(
            db_session=session, partner_id=partner.partner_id, environment="sandbox", user_id=user_id
        )
        return user is not None and user.embedding_encrypted is not None


@pytest.mark.slow
def test_a_flagged_user_and_its_face_are_blocked_until_cleared(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path
) -> None:
    examples = faces_dir / EXAMPLES
    flagged_photo, other_photo = examples / "knn_examples" / "test" / "obama1.jpg", examples / "obama2.jpg"
    submit_and_process(runtime, partner, flagged_photo, "reg-1", user_id="u1")
    assert not fraud_screen.report(
        runtime,
        partner_id=partner.partner_id,
        environment="sandbox",
        api_key_id="k",
        user_id="nobody",
        given=FLAG,
    )
    report(runtime, partner, "u1", FLAG)

    # The flagged user's next job: rejected for the report, whatever the checks found.
    own = result_of(
        runtime, submit_and_process(runtime, partner, other_photo, "auth-1", job_type=2, user_id="u1")
    )
    assert (own["ResultCode"], own["ResultText"]) == ("0871", "Rejected - User Reported for Fraud")
    assert own["_success"] is False and own["IsFinalResult"] == "true"
    assert (
        own["Actions"]["Selfie_To_Registered_Selfie_Compare"] == "Completed"
    )  # the checks still say what they found
    assert own["_decision"]["evidence"]["fraud"]["cause"] == "user_flagged"
    assert "fraud.user_flagged" in own["_decision"]["reasons"]

    # Another user_id, another photo of the flagged face: rejected too, nothing enrolled.
    other = result_of(runtime, submit_and_process(runtime, partner, other_photo, "reg-2", user_id="u2"))
    assert (other["ResultCode"], other["ResultText"]) == (
        "0881",
        "Rejected - Face Matches a User Reported for Fraud",
    )
    assert other["_success"] is False and other["Actions"]["Register_Selfie"] == "Rejected"
    evidence = other["_decision"]["evidence"]["fraud"]
    assert evidence["cause"] == "face_match" and evidence["score"] >= evidence["threshold"] == 0.77
    assert "u1" not in str(evidence)  # the other user is never named
    assert not enrolled(runtime, partner, "u2")

    # Cleared: both are decided as before.
    report(runtime, partner, "u1", CLEAR)
    again = result_of(
        runtime, submit_and_process(runtime, partner, other_photo, "auth-2", job_type=2, user_id="u1")
    )
    assert again["_success"] is True and again["ResultCode"] not in {"0871", "0881"}
    third = result_of(runtime, submit_and_process(runtime, partner, other_photo, "reg-3", user_id="u3"))
    assert third["_success"] is True and enrolled(runtime, partner, "u3")


def test_a_flagged_user_s_enhanced_kyc_is_rejected_without_a_look_up(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    def verify(job_id: str) -> dict[str, Any]:
        body = partner.signed(
            partner_params={"user_id": "user-1", "job_id": job_id, "job_type": 5},
            country="NG",
            id_type="BVN",
            id_number="00000000000",
            source_sdk="rest_api",
            source_sdk_version="1.0.0",
        )
        answer = client.post("/v1/id_verification", json=body)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    assert verify("job-0")["ResultCode"] == "1012"
    report(runtime, partner, "user-1", FLAG)
    blocked = verify("job-1")
    assert (blocked["ResultCode"], blocked["ResultText"]) == ("0871", "Rejected - User Reported for Fraud")
    assert blocked["Actions"] == {"Verify_ID_Number": "Not Done", "Return_Personal_Info": "Not Returned"}
    assert blocked["FullName"] == "Not Available" and not any(key.startswith("_") for key in blocked)
    stored = result_of(runtime, blocked["SmileJobID"])
    assert stored["_success"] is False and stored["_reasons"] == ["fraud.user_flagged"]

    report(runtime, partner, "user-1", CLEAR)
    assert verify("job-2")["ResultCode"] == "1012"


@pytest.mark.slow
def test_a_synchronous_v2_answer_says_the_job_was_blocked(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, faces_dir: Path
) -> None:
    examples = faces_dir / EXAMPLES
    flagged, other = (
        (examples / "knn_examples" / "test" / "obama1.jpg").read_bytes(),
        (examples / "obama2.jpg").read_bytes(),
    )
    assert submit(client, ENROLL, partner, selfie=flagged, user_id="u1").json()["status"] == "approved"
    report(runtime, partner, "u1", FLAG)
    answer = submit(client, ENROLL, partner, selfie=other, user_id="u2")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["code"], body["message"], body["status"]) == (
        "0881",
        "Rejected - Face Matches a User Reported for Fraud",
        "rejected",
    )
    assert not enrolled(runtime, partner, "u2")
