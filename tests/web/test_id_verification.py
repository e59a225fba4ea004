"""The ID verification endpoints through the API: Enhanced KYC (v1) and Basic KYC (v2)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from smile_id_core.Signature import Signature
from sqlalchemy import select

from openkyc.callbacks import service as callbacks
from openkyc.callbacks.client import DeliveryOutcome
from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import transaction
from openkyc.ratelimit import service as ratelimit
from openkyc.ratelimit.models import IdNumberRequests
from openkyc.runtime import Runtime
from tests.server import PartnerCreds

BVN_TEST = "0000000000"  # NG BVN test number without its final (outcome) digit


def body(partner: PartnerCreds, job_id: str, digit: int | str = 0, **fields: Any) -> dict[str, Any]:
    extra_params = fields.pop("partner_params", {})
    return partner.signed(
        partner_params={"user_id": "user-1", "job_id": job_id, "job_type": 5, "app": "x", **extra_params},
        country="NG",
        id_type="BVN",
        id_number=f"{BVN_TEST}{digit}",
        source_sdk="rest_api",
        source_sdk_version="1.0.0",
        **fields,
    )


def assert_signed(partner: PartnerCreds, answer: dict[str, Any]) -> None:
    assert Signature(partner.partner_id, partner.sandbox_key).confirm_signature(
        answer["timestamp"], answer["signature"]
    )


def test_digit_0_validates_and_returns_the_record(client: TestClient, partner: PartnerCreds) -> None:
    response = client.post("/v1/id_verification", json=body(partner, "job-0", 0))
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["ResultCode"] == "1012" and result["ResultText"] == "ID Number Validated"
    assert result["ResultType"] == "ID Verification" and result["IsFinalResult"] == "true"
    assert result["Actions"] == {"Verify_ID_Number": "Verified", "Return_Personal_Info": "Returned"}
    assert result["PartnerParams"] == {"user_id": "user-1", "job_id": "job-0", "job_type": 5, "app": "x"}
    assert (result["Country"], result["IDType"], result["IDNumber"]) == ("NG", "BVN", "00000000000")
    assert result["FullName"] == "Joe Leo Doe" and result["DOB"] == "1990-01-01"
    for key in ("JSONVersion", "SmileJobID", "ExpirationDate", "Photo", "PhoneNumber", "Gender", "Address"):
        assert isinstance(result[key], str) and result[key], key
    assert result["Photo"] == "Not Available" and result["FullData"]["FullName"] == "Joe Leo Doe"
    assert result["Source"] and not any(key.startswith("_") for key in result)
    assert_signed(partner, result)

    status = client.post(
        "/v1/job_status", json=partner.signed(user_id="user-1", job_id="job-0", history=True)
    ).json()
    assert status["job_complete"] is True and status["job_success"] is True
    assert status["result"]["ResultCode"] == "1012"
    assert status["result"]["SmileJobID"] == result["SmileJobID"]


@pytest.mark.parametrize(
    ("digit", "code", "verify_id_number"),
    [(1, "1013", "Not Verified"), (2, "1014", "Not Verified"), (3, "1015", "Issuer Unavailable")],
)
def test_failing_test_numbers(
    client: TestClient, partner: PartnerCreds, digit: int, code: str, verify_id_number: str
) -> None:
    result = client.post("/v1/id_verification", json=body(partner, f"job-{digit}", digit)).json()
    assert result["ResultCode"] == code, result
    assert result["Actions"] == {"Verify_ID_Number": verify_id_number, "Return_Personal_Info": "Not Returned"}
    assert result["FullName"] == "Not Available" and result["FullData"] == {}
    assert_signed(partner, result)
    status = client.post(
        "/v1/job_status", json=partner.signed(user_id="user-1", job_id=f"job-{digit}")
    ).json()
    assert status["job_complete"] is True and status["job_success"] is False


def test_digit_4_returns_custom_data_from_partner_params(client: TestClient, partner: PartnerCreds) -> None:
    custom = {"FullName": "Nelson Rolihlahla Mandela", "DOB": "1918-07-18"}
    result = client.post("/v1/id_verification", json=body(partner, "job-4", 4, partner_params=custom)).json()
    assert result["ResultCode"] == "1012"
    assert result["FullName"] == "Nelson Rolihlahla Mandela" and result["DOB"] == "1918-07-18"
    assert (result["FirstName"], result["MiddleName"], result["LastName"]) == (
        "Nelson",
        "Rolihlahla",
        "Mandela",
    )
    assert result["PartnerParams"]["FullName"] == "Nelson Rolihlahla Mandela"  # echoed as sent


def test_malformed_number_is_1014_without_a_look_up(
    client: TestClient, partner: PartnerCreds, runtime: Runtime
) -> None:
    fields = body(partner, "job-bad")
    fields["id_number"] = "12AB"
    result = client.post("/v1/id_verification", json=fields).json()
    assert result["ResultCode"] == "1014" and result["ResultText"] == "Unsupported ID number format"
    with transaction(runtime.sessions) as session:
        assert session.scalars(select(IdNumberRequests)).all() == []  # not counted as a look-up


def test_unknown_id_type_and_missing_fields_are_documented_errors(
    client: TestClient, partner: PartnerCreds
) -> None:
    fields = body(partner, "job-x")
    fields["id_type"] = "SPACESHIP_LICENSE"
    response = client.post("/v1/id_verification", json=fields)
    assert response.status_code == 400 and response.json()["code"] == "2413"
    fields = body(partner, "job-y")
    del fields["id_number"]
    response = client.post("/v1/id_verification", json=fields)
    assert response.status_code == 400 and response.json()["code"] == "2213"
    fields = body(partner, "job-z", partner_params={"job_type": 1})
    response = client.post("/v1/id_verification", json=fields)
    assert response.status_code == 400 and response.json()["code"] == "2212"


@pytest.mark.parametrize("path", ["/v1/id_verification", "/v2/verify", "/v1/async_id_verification"])
def test_bad_json_is_400_with_a_code(client: TestClient, path: str) -> None:
    for raw in (b"{not json", b"[1, 2]", b""):
        response = client.post(path, content=raw)
        assert response.status_code == 400, (path, raw, response.text)
        assert response.json()["code"] in ("2203", "2204")


def test_duplicate_job_id_is_2215_unless_retry(client: TestClient, partner: PartnerCreds) -> None:
    assert client.post("/v1/id_verification", json=body(partner, "dup", 3)).json()["ResultCode"] == "1015"
    again = client.post("/v1/id_verification", json=body(partner, "dup", 0))
    assert again.status_code == 400 and again.json()["code"] == "2215"
    retried = client.post("/v1/id_verification", json=body(partner, "dup", 0, retry=True))
    assert retried.status_code == 200 and retried.json()["ResultCode"] == "1012"


def test_the_31st_request_for_a_number_is_rate_limited(client: TestClient, partner: PartnerCreds) -> None:
    for n in range(30):
        response = client.post("/v1/id_verification", json=body(partner, f"rl-{n}", 1))
        assert response.status_code == 200, (n, response.text)
    blocked = client.post("/v1/id_verification", json=body(partner, "rl-30", 1))
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "2222"
    assert blocked.json()["error"].startswith("This ID number has been blocked due to multiple submissions")
    basic = client.post("/v2/verify", json=body(partner, "rl-basic", 1, first_name="Joe"))
    assert basic.status_code == 429  # Basic KYC look-ups share the count
    other_number = client.post("/v1/id_verification", json=body(partner, "rl-other", 0))
    assert other_number.status_code == 200


def test_async_posts_the_signed_result_to_the_callback(
    client: TestClient, partner: PartnerCreds, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = client.post(
        "/v1/async_id_verification", json=body(partner, "async-0", 0, callback_url="http://127.0.0.1:9/cb")
    )
    assert response.status_code == 200 and response.json() == {"success": True}
    sent: list[tuple[str, dict[str, Any]]] = []

    def fake_post(url: str, payload: dict[str, Any], **_: Any) -> DeliveryOutcome:
        sent.append((url, payload))
        return DeliveryOutcome(True, 200, None, 1.0)

    monkeypatch.setattr(callbacks, "post_json", fake_post)
    with transaction(runtime.sessions) as session:
        (delivery_id,) = session.scalars(select(CallbackDelivery.id)).all()
    assert callbacks.deliver(runtime, delivery_id, 0) is True
    ((url, payload),) = sent
    assert url == "http://127.0.0.1:9/cb"
    assert payload["ResultCode"] == "1012" and payload["PartnerParams"]["job_id"] == "async-0"
    assert payload["FullName"] == "Joe Leo Doe" and not any(key.startswith("_") for key in payload)
    assert_signed(partner, payload)


def test_async_without_any_callback_destination_is_refused(client: TestClient, partner: PartnerCreds) -> None:
    response = client.post("/v1/async_id_verification", json=body(partner, "async-none", 0))
    assert response.status_code == 400 and response.json()["code"] == "2213"
    response = client.post("/v2/verify_async", json=body(partner, "async-basic", 0, first_name="Joe"))
    assert response.status_code == 400 and response.json()["code"] == "2213"


# --- Basic KYC -----------------------------------------------------------------------------


def basic(client: TestClient, partner: PartnerCreds, job_id: str, **details: Any) -> dict[str, Any]:
    response = client.post("/v2/verify", json=body(partner, job_id, 0, **details))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert_signed(partner, answer)
    assert "FullName" not in answer and "DOB" not in answer  # Basic KYC returns no personal data
    return answer


def test_basic_kyc_exact_match(client: TestClient, partner: PartnerCreds) -> None:
    result = basic(
        client,
        partner,
        "b-exact",
        first_name="JOE",
        middle_name="Leo",
        last_name="doe",
        dob="1990-01-01",
        gender="male",
        phone_number="+000 000 0000",
    )
    assert result["ResultCode"] == "1020" and result["ResultText"] == "Exact Match"
    assert result["Actions"] == {
        "Verify_ID_Number": "Verified",
        "Names": "Exact Match",
        "DOB": "Exact Match",
        "Gender": "Exact Match",
        "Phone_Number": "Exact Match",
        "ID_Verification": "Exact Match",
    }


def test_basic_kyc_partial_match(client: TestClient, partner: PartnerCreds) -> None:
    result = basic(
        client, partner, "b-partial", first_name="Joe", last_name="Doe", dob="1990-01-15", gender="M"
    )
    assert result["ResultCode"] == "1021", result
    actions = result["Actions"]
    assert actions["Names"] == "Partial Match" and actions["DOB"] == "Partial Match"
    assert actions["Gender"] == "Exact Match" and actions["Phone_Number"] == "Not Provided"
    assert actions["ID_Verification"] == "Partial Match"


def test_basic_kyc_no_match(client: TestClient, partner: PartnerCreds) -> None:
    result = basic(
        client, partner, "b-none", first_name="Amina", last_name="Clearwater", dob="1975-06-30", gender="F"
    )
    assert result["ResultCode"] == "1022", result
    assert {result["Actions"][k] for k in ("Names", "DOB", "Gender", "ID_Verification")} == {"No Match"}
    status = client.post("/v1/job_status", json=partner.signed(user_id="user-1", job_id="b-none")).json()
    assert status["job_complete"] is True and status["result"]["ResultCode"] == "1022"


def test_basic_kyc_look_up_failures_and_required_details(client: TestClient, partner: PartnerCreds) -> None:
    for digit, code in ((1, "1013"), (2, "1014"), (3, "1015")):
        response = client.post("/v2/verify", json=body(partner, f"b-fail-{digit}", digit, first_name="Joe"))
        assert response.json()["ResultCode"] == code
    response = client.post("/v2/verify", json=body(partner, "b-nothing", 0))
    assert response.status_code == 400 and response.json()["code"] == "2213"
    response = client.post("/v2/verify", json=body(partner, "b-dob", 0, dob="01/02/1990"))
    assert response.status_code == 400 and response.json()["code"] == "2413"


def test_basic_kyc_async_schedules_the_callback(
    client: TestClient, partner: PartnerCreds, runtime: Runtime
) -> None:
    response = client.post(
        "/v2/verify_async",
        json=body(
            partner, "b-async", 0, first_name="Joe", last_name="Doe", callback_url="http://127.0.0.1:9/b"
        ),
    )
    assert response.status_code == 200 and response.json() == {"success": True}
    with transaction(runtime.sessions) as session:
        (delivery,) = session.scalars(select(CallbackDelivery)).all()
        assert delivery.url == "http://127.0.0.1:9/b" and delivery.payload["ResultCode"] == "1021"


def test_an_unavailable_authority_does_not_count_against_the_rate_limit(
    client: TestClient, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "LIMIT", 1)
    for attempt in range(3):  # without the release the second would be 429 / 2222
        answer = client.post("/v1/id_verification", json=body(partner, f"unavailable-{attempt}", 3))
        assert answer.status_code == 200 and answer.json()["ResultCode"] == "1015"
    client.post("/v1/id_verification", json=body(partner, "found-1", 0))
    blocked = client.post("/v1/id_verification", json=body(partner, "found-2", 0))
    assert blocked.status_code == 429 and blocked.json()["code"] == "2222"  # a real look-up counts
