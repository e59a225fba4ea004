"""The official Node SDK's IDApi (smile-identity-core 3.2.1), unmodified, against `openkyc serve`.

Enhanced KYC (job_type 5) and Business Verification (job_type 7) both go through ``IDApi``: in
3.2.1 ``submit_job(partner_params, id_info)`` posts to ``/v1/id_verification`` (or
``/v1/business_verification`` for job_type 7) and ``submitAsyncjob(partner_params, id_info,
callbackUrl)`` to ``/v1/async_id_verification`` (``/v1/async_business_verification``); there is
no options argument and no separate business API. ``pollJobStatus`` reads ``/v1/job_status``.
The SDK only speaks https to a custom server, hence the `tls_server` fixture (see test_node_sdk.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from smile_id_core.Signature import Signature

from tests.e2e.conftest import CallbackReceiver, Server, TlsFiles
from tests.e2e.test_node_sdk import OPTIONS, NodeSdk, NodeSdkError, assert_signed_callback, selfie

pytestmark = pytest.mark.slow

APP_VERSION = "node-lookups-1"
BVN = {"country": "NG", "id_type": "BVN", "first_name": "Joe", "last_name": "Doe"}
BVN_TEST_NUMBER = "00000000000"
BUSINESS = {
    "country": "NG",
    "id_type": "BUSINESS_REGISTRATION",
    "id_number": "0000000",
    "business_type": "co",
}


@pytest.fixture(scope="module")
def sdk(node_sdk: Path, tls_server: Server, tls_files: TlsFiles, callbacks: CallbackReceiver) -> NodeSdk:
    return NodeSdk(node_sdk, tls_server, tls_files, callbacks)


def params(job_id: str, job_type: int, **extra: Any) -> dict[str, Any]:
    return {
        "user_id": "node-lookup-user",
        "job_id": job_id,
        "job_type": job_type,
        "app_version": APP_VERSION,
        **extra,
    }


def submit(sdk: NodeSdk, partner_params: dict[str, Any], id_info: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = sdk.call("id_api_submit_job", partner_params=partner_params, id_info=id_info)
    return result


def submit_async(sdk: NodeSdk, partner_params: dict[str, Any], id_info: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = sdk.call(
        "id_api_submit_async_job", partner_params=partner_params, id_info=id_info
    )
    return answer


def assert_signed(sdk: NodeSdk, body: dict[str, Any]) -> None:
    """Signed with the partner's key: checked by the Node SDK's and the Python SDK's Signature."""
    assert sdk.confirm_signature(body["timestamp"], body["signature"]), body
    assert Signature(sdk.server.partner_id, sdk.server.sandbox_key).confirm_signature(
        body["timestamp"], body["signature"]
    )


def callback_for_job(
    callbacks: CallbackReceiver, server: Server, job_id: str, timeout: float = 60.0
) -> dict[str, Any]:
    """The callback whose PartnerParams.job_id is ``job_id`` (an async answer has no SmileJobID)
    from ``server``'s partner (the receiver is shared by the embedded and scaled deployments,
    whose partners use the same job_ids)."""
    signer = Signature(server.partner_id, server.sandbox_key)
    deadline = time.monotonic() + timeout
    with callbacks.arrived:
        while True:
            for body in callbacks.received:
                partner_params = body.get("PartnerParams")
                if (
                    isinstance(partner_params, dict)
                    and partner_params.get("job_id") == job_id
                    and signer.confirm_signature(body.get("timestamp", ""), body.get("signature", ""))
                ):
                    return body
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no callback for job_id {job_id}")
            callbacks.arrived.wait(remaining)


# Final digit of the test number -> (ResultCode, Actions.Verify_ID_Number).
FAILURES = {
    "1": ("1013", "Not Verified"),
    "2": ("1014", "Not Verified"),
    "3": ("1015", "Issuer Unavailable"),
}


def test_enhanced_kyc_test_number_returns_the_sandbox_record(sdk: NodeSdk) -> None:
    result = submit(sdk, params("node-ekyc-0", 5), {**BVN, "id_number": BVN_TEST_NUMBER})
    assert result["ResultCode"] == "1012", result
    assert result["ResultType"] == "ID Verification" and result["ResultText"] == "ID Number Validated"
    assert result["FullName"] == "Joe Leo Doe"
    assert (result["FirstName"], result["MiddleName"], result["LastName"]) == ("Joe", "Leo", "Doe")
    assert result["Actions"] == {"Verify_ID_Number": "Verified", "Return_Personal_Info": "Returned"}
    assert (result["Country"], result["IDType"], result["IDNumber"]) == ("NG", "BVN", BVN_TEST_NUMBER)
    assert result["SmileJobID"]
    partner_params = result["PartnerParams"]
    assert partner_params["job_id"] == "node-ekyc-0" and partner_params["user_id"] == "node-lookup-user"
    assert partner_params["app_version"] == APP_VERSION  # extra partner_params keys are echoed
    assert_signed(sdk, result)
    assert not sdk.confirm_signature(result["timestamp"], "AAAA" + result["signature"][4:])


@pytest.mark.parametrize("digit", sorted(FAILURES))
def test_enhanced_kyc_test_number_failures_are_results(sdk: NodeSdk, digit: str) -> None:
    job_id = f"node-ekyc-{digit}"
    result = submit(sdk, params(job_id, 5), {**BVN, "id_number": BVN_TEST_NUMBER[:-1] + digit})
    code, verify = FAILURES[digit]
    assert result["ResultCode"] == code, result
    assert result["Actions"] == {"Verify_ID_Number": verify, "Return_Personal_Info": "Not Returned"}
    assert result["FullName"] == "Not Available"
    assert result["PartnerParams"]["job_id"] == job_id
    assert result["PartnerParams"]["app_version"] == APP_VERSION
    assert_signed(sdk, result)


def test_enhanced_kyc_custom_data_from_partner_params(sdk: NodeSdk) -> None:
    partner_params = params("node-ekyc-4", 5, FullName="Nelson Mandela")
    result = submit(sdk, partner_params, {**BVN, "id_number": BVN_TEST_NUMBER[:-1] + "4"})
    assert result["ResultCode"] == "1012", result
    assert result["FullName"] == "Nelson Mandela"
    assert (result["FirstName"], result["LastName"]) == ("Nelson", "Mandela")
    assert result["PartnerParams"]["FullName"] == "Nelson Mandela"
    assert result["PartnerParams"]["app_version"] == APP_VERSION
    assert_signed(sdk, result)


def test_async_enhanced_kyc_delivers_a_signed_callback(sdk: NodeSdk, callbacks: CallbackReceiver) -> None:
    answer = submit_async(sdk, params("node-ekyc-async", 5), {**BVN, "id_number": BVN_TEST_NUMBER})
    assert answer == {"success": True}
    body = callback_for_job(callbacks, sdk.server, "node-ekyc-async")
    assert body["ResultCode"] == "1012" and body["FullName"] == "Joe Leo Doe", body
    assert body["PartnerParams"]["app_version"] == APP_VERSION
    assert_signed(sdk, body)

    # IDApi.pollJobStatus finds the same job, complete, with the same result.
    status = sdk.call(
        "id_api_poll_job_status",
        partner_params={"user_id": "node-lookup-user", "job_id": "node-ekyc-async", "job_type": 5},
        max_retries=2,
        timeout_ms=500,
    )
    assert status["job_complete"] is True and status["job_success"] is True, status
    assert status["result"]["SmileJobID"] == body["SmileJobID"]
    assert status["result"]["ResultCode"] == "1012"
    assert_signed(sdk, status)


def test_business_verification_returns_the_sample_company(sdk: NodeSdk) -> None:
    result = submit(sdk, params("node-kyb-0", 7), dict(BUSINESS))
    assert result["ResultCode"] == "1012", result
    assert result["ResultType"] == "Business Verification" and result["ResultText"] == "Business Verified"
    assert result["Actions"] == {"Verify_Business": "Verified", "Return_Business_Info": "Returned"}
    company = result["company_information"]
    assert company["registration_number"] == "0000000"
    assert company["legal_name"] == "SANDBOX TEST COMPANY LIMITED" and company["status"] == "ACTIVE"
    assert [director["name"] for director in result["directors"]] == ["JOE LEO DOE", "JANE ANN DOE"]
    assert result["beneficial_owners"] and result["fiduciaries"]
    assert result["PartnerParams"]["app_version"] == APP_VERSION
    assert result["SmileJobID"]
    assert_signed(sdk, result)


def test_business_verification_not_found_is_a_result(sdk: NodeSdk) -> None:
    result = submit(sdk, params("node-kyb-1", 7), {**BUSINESS, "id_number": "0000001"})
    assert result["ResultCode"] == "1013", result
    assert "company_information" not in result
    assert_signed(sdk, result)


def test_async_business_verification_delivers_a_signed_callback(
    sdk: NodeSdk, callbacks: CallbackReceiver
) -> None:
    answer = submit_async(sdk, params("node-kyb-async", 7), dict(BUSINESS))
    assert answer == {"success": True}
    body = callback_for_job(callbacks, sdk.server, "node-kyb-async")
    assert body["ResultCode"] == "1012", body
    assert body["company_information"]["legal_name"] == "SANDBOX TEST COMPANY LIMITED"
    assert body["PartnerParams"]["app_version"] == APP_VERSION
    assert_signed(sdk, body)


def test_unsupported_id_type_rejects_with_2413(sdk: NodeSdk) -> None:
    with pytest.raises(NodeSdkError) as failure:
        submit(sdk, params("node-ekyc-2413", 5), {**BVN, "id_type": "NOPE", "id_number": BVN_TEST_NUMBER})
    answer = failure.value.answer
    assert answer["request"]["url"] == "/id_verification", answer
    assert answer["status"] == 400, answer
    assert answer["response"]["code"] == "2413" and answer["response"]["success"] is False, answer
    assert "NOPE" in answer["response"]["error"]


def test_unsupported_business_type_rejects_with_2413(sdk: NodeSdk) -> None:
    with pytest.raises(NodeSdkError) as failure:
        submit(sdk, params("node-kyb-2413", 7), {**BUSINESS, "business_type": "xx"})
    answer = failure.value.answer
    assert answer["request"]["url"] == "/business_verification", answer
    assert answer["status"] == 400 and answer["response"]["code"] == "2413", answer


def test_biometric_kyc_through_web_api(sdk: NodeSdk, faces_dir: Path) -> None:
    """WebApi.submit_job with job_type 1: the JS SDK sends ``entered`` as the string "true" and
    spreads id_info into the prep-upload body; the ID card image stands in for the authority photo."""
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    answer = sdk.submit_job(
        {"user_id": "node-bkyc", "job_id": "node-bkyc-1", "job_type": 1, "app_version": "node-e2e-1"},
        [
            selfie(examples / "obama2.jpg"),
            {"image_type_id": 1, "image": str(examples / "knn_examples" / "test" / "obama1.jpg")},
        ],
        {"country": "NG", "id_type": "BVN", "id_number": "00000000000", "entered": "true"},
        OPTIONS,
    )
    assert answer["job_complete"] is True and answer["job_success"] is True, answer
    result = answer["result"]
    assert (result["ResultCode"], result["ResultType"], result["FullName"]) == ("0810", "DIVA", "Joe Leo Doe")
    assert_signed_callback(sdk, result)
