"""The allow-lists: what a purged result keeps."""

from __future__ import annotations

from openkyc.retention.scrub import scrub_result


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
