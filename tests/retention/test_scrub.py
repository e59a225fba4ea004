"""The allow-lists: what a purged result keeps."""

from __future__ import annotations

from openkyc.jobs.models import Job
from openkyc.retention.scrub import scrub_job, scrub_result, scrub_v3_payload


def test_results_keep_only_allow_listed_fields() -> None:
    result = {
        "SmileJobID": "0000000001",
        "PartnerParams": {"user_id": "u", "job_id": "j", "job_type": 1, "customer_name": "Ada Byron"},
        "ResultCode": "1210",
        "ResultText": "Enroll User",
        "ResultType": "SAIA",
        "Actions": {"Liveness_Check": "Passed", "Nested": {"Photo": "base64..."}},
        "ConfidenceValue": "99",
        "IsFinalResult": "true",
        "IsMachineResult": "true",
        "Source": "WebAPI",
        "Country": "NG",
        "IDType": "BVN",
        "FullName": "Ada Byron",
        "DOB": "1815-12-10",
        "IDNumber": "12345678",
        "Photo": "/9j/4AAQ...",
        "Document": "/9j/4AAQ...",
        "Addresses": ["12 Marylebone"],
        "FullData": {"anything": "from the authority"},
        "SomeFieldAddedLater": "kept out by default",
        "_success": True,
        "_decision": {
            "product": "smart_selfie_registration",
            "result_code": "1210",
            "actions": {"Liveness_Check": "Passed"},
            "id_fields": {"FullName": "Ada Byron"},
            "reasons": ["face.ok"],
        },
    }
    assert scrub_result(result) == {
        "SmileJobID": "0000000001",
        "PartnerParams": {"user_id": "u", "job_id": "j", "job_type": 1},
        "ResultCode": "1210",
        "ResultText": "Enroll User",
        "ResultType": "SAIA",
        "Actions": {"Liveness_Check": "Passed"},
        "ConfidenceValue": "99",
        "IsFinalResult": "true",
        "IsMachineResult": "true",
        "Source": "WebAPI",
        "Country": "NG",
        "IDType": "BVN",
        "_success": True,
        "_decision": {
            "product": "smart_selfie_registration",
            "result_code": "1210",
            "actions": {"Liveness_Check": "Passed"},
            "reasons": ["face.ok"],
        },
    }


def test_a_pending_text_result_stays_and_odd_values_go() -> None:
    assert scrub_result("Job is being processed") == "Job is being processed"
    assert scrub_result(["not", "a", "result"]) is None
    assert scrub_result({"PartnerParams": "not an object"}) == {"PartnerParams": {}}


def test_a_v3_job_s_request_keeps_only_what_it_asked_for() -> None:
    job = Job(
        inputs={},
        partner_params={},
        history=[],
        v3_request={
            "product": "enhanced_kyc",
            "user_details": {"given_names": "Ada", "last_name": "Byron", "email": "ada@example.com"},
            "consent": {"granted": True},
            "metadata": [{"name": "device", "value": "phone"}],
            "queued_lookup": {"country": "NG", "id_type": "NIN", "id_number": "12345678901"},
            "sandbox_result": "1012",
        },
    )
    scrub_job(job)
    assert job.v3_request == {"product": "enhanced_kyc", "sandbox_result": "1012"}


def test_a_pending_v3_callback_keeps_its_outcome_and_nobody_s_data() -> None:
    body = {
        "job_id": "job_01h2xcejqtf2nbrexx3vqjhp41",
        "user_id": "user-7",
        "status": "block",
        "reason": "identifier_not_found",
        "message": "Verification failed: Unable to validate ID - Not Found",
        "product": "enhanced_kyc",
        "created_at": "2026-12-05T00:00:00.000Z",
        "completed_at": "2026-12-05T00:00:01.000Z",
        "partner_params": {"job_id": "job_01h2xcejqtf2nbrexx3vqjhp41", "customer_name": "Amina"},
        "user_provided_info": {"given_names": "Amina", "last_name": "Clearwater"},
        "id_fields": {"id_number": "12345678901"},
        "consent": {"granted": True},
        "kyc_receipt": None,
    }
    kept = scrub_v3_payload(body)
    assert kept == {
        "job_id": body["job_id"],
        "user_id": "user-7",
        "status": "block",
        "reason": "identifier_not_found",
        "message": body["message"],
        "product": "enhanced_kyc",
        "created_at": body["created_at"],
        "completed_at": body["completed_at"],
        "partner_params": {"job_id": body["job_id"]},
    }
    # A v1 cleaner would have left nothing of it to send.
    assert scrub_result(body) == {}
