"""The v1 business verification endpoints, sync and async, as the SDKs call them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from smile_id_core.Signature import Signature

from openkyc.business.base import BusinessLookup, BusinessRecord
from openkyc.business.registry import import_jsonl
from openkyc.callbacks import service as callbacks
from openkyc.callbacks.client import DeliveryOutcome
from openkyc.db import transaction
from openkyc.partners import service as partners
from openkyc.ratelimit import service as ratelimit
from openkyc.runtime import Runtime
from openkyc.web import business as views
from tests.business.test_registry import business, write_lines
from tests.server import PartnerCreds

COMPANY_KEYS = {
    "company_type", "country", "address", "registration_number", "search_number",
    "authorized_shared_capital", "industry", "tax_id", "registration_date", "phone",
    "legal_name", "state", "email", "status",
}  # fmt: skip
RESULT_KEYS = {
    "SmileJobID", "PartnerParams", "ResultType", "ResultText", "ResultCode", "Actions",
    "company_information", "fiduciaries", "beneficial_owners", "proprietors", "documents",
    "directors", "success", "timestamp", "signature",
}  # fmt: skip


def kyb_body(
    partner: PartnerCreds, job_id: str = "kyb-1", key: str | None = None, **fields: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "partner_params": {"user_id": "user-1", "job_id": job_id, "job_type": 7, "custom": "kept"},
        "source_sdk": "rest_api",
        "source_sdk_version": "1.0.0",
        "country": "NG",
        "id_type": "BUSINESS_REGISTRATION",
        "id_number": "0000000",
        "business_type": "co",
    }
    body.update(fields)
    return {k: v for k, v in partner.signed(key, **body).items() if v is not None}


def test_sample_business_is_verified_and_signed(client: TestClient, partner: PartnerCreds) -> None:
    response = client.post("/v1/business_verification", json=kyb_body(partner))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == RESULT_KEYS
    assert set(body["company_information"]) == COMPANY_KEYS
    assert (body["ResultType"], body["ResultText"], body["ResultCode"]) == (
        "Business Verification",
        "Business Verified",
        "1012",
    )
    assert body["Actions"] == {"Verify_Business": "Verified", "Return_Business_Info": "Returned"}
    assert body["PartnerParams"] == {"user_id": "user-1", "job_id": "kyb-1", "job_type": 7, "custom": "kept"}
    assert body["directors"] and body["beneficial_owners"] and body["documents"] == {"search_certificate": ""}
    assert body["success"] is True and isinstance(body["timestamp"], str)
    assert Signature(partner.partner_id, partner.sandbox_key).confirm_signature(
        body["timestamp"], body["signature"]
    )


def test_job_status_finds_the_job(client: TestClient, partner: PartnerCreds) -> None:
    smile_job_id = client.post("/v1/business_verification", json=kyb_body(partner)).json()["SmileJobID"]
    status = client.post("/v1/job_status", json=partner.signed(user_id="user-1", job_id="kyb-1")).json()
    assert status["job_complete"] is True and status["job_success"] is True
    assert status["result"]["SmileJobID"] == smile_job_id and status["result"]["ResultCode"] == "1012"
    assert "_success" not in status["result"]


@pytest.mark.parametrize(
    ("number", "code", "text"),
    [
        ("1234567", "1013", "Business Not Found"),
        ("0000002", "1014", "Invalid Business Number"),
        ("0000003", "1015", "Business Registry Unavailable"),
    ],
)
def test_failed_lookups_are_results(
    client: TestClient, partner: PartnerCreds, number: str, code: str, text: str
) -> None:
    response = client.post("/v1/business_verification", json=kyb_body(partner, id_number=number))
    assert response.status_code == 200
    body = response.json()
    assert (body["ResultCode"], body["ResultText"], body["success"]) == (code, text, False)
    assert "company_information" not in body
    assert Signature(partner.partner_id, partner.sandbox_key).confirm_signature(
        body["timestamp"], body["signature"]
    )


def test_unsupported_business_type_is_2413(client: TestClient, partner: PartnerCreds) -> None:
    response = client.post("/v1/business_verification", json=kyb_body(partner, business_type="zz"))
    assert response.status_code == 400
    assert response.json() == {"error": "Unsupported business type", "code": "2413", "success": False}


@pytest.mark.parametrize("missing", ["id_number", "id_type", "country", "business_type"])
def test_missing_field_is_2213(client: TestClient, partner: PartnerCreds, missing: str) -> None:
    without: dict[str, Any] = {missing: None}
    response = client.post("/v1/business_verification", json=kyb_body(partner, **without))
    assert response.status_code == 400 and response.json()["code"] == "2213"


def test_unsupported_id_type_and_wrong_job_type(client: TestClient, partner: PartnerCreds) -> None:
    bad_type = client.post("/v1/business_verification", json=kyb_body(partner, id_type="NIN"))
    assert bad_type.status_code == 400 and bad_type.json()["code"] == "2413"
    params = {"user_id": "u", "job_id": "j", "job_type": 5}
    wrong_job = client.post("/v1/business_verification", json=kyb_body(partner, partner_params=params))
    assert wrong_job.status_code == 400 and wrong_job.json()["code"] == "2212"


def test_bad_signature_is_2205(client: TestClient, partner: PartnerCreds) -> None:
    body = kyb_body(partner)
    body["signature"] = Signature(partner.partner_id, "not-the-key").generate_signature(body["timestamp"])[
        "signature"
    ]
    response = client.post("/v1/business_verification", json=body)
    assert response.status_code == 400 and response.json()["code"] == "2205"


def test_production_refuses_sandbox_numbers(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    with transaction(runtime.sessions) as session:
        partners.set_production_enabled(db_session=session, partner_id=partner.partner_id, enabled=True)
    runtime.key_cache.invalidate(partner.partner_id)
    response = client.post("/v1/business_verification", json=kyb_body(partner, key=partner.production_key))
    assert response.status_code == 200 and response.json()["ResultCode"] == "1014"


def test_registry_crash_is_unavailable_not_500(
    client: TestClient, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        name = "broken"

        def lookup(self, request: BusinessLookup) -> BusinessRecord:
            raise RuntimeError("boom")

    monkeypatch.setattr(views, "registry_for", lambda runtime, environment: Broken())
    response = client.post("/v1/business_verification", json=kyb_body(partner))
    assert response.status_code == 200 and response.json()["ResultCode"] == "1015"


def test_async_answers_success_and_calls_back_signed(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[str, dict[str, Any]]] = []

    def fake_post(url: str, body: dict[str, Any], **_: Any) -> DeliveryOutcome:
        sent.append((url, body))
        return DeliveryOutcome(True, 200, None, 1.0)

    monkeypatch.setattr(callbacks, "post_json", fake_post)
    body = kyb_body(partner, job_id="kyb-async", callback_url="http://127.0.0.1:9/cb")
    response = client.post("/v1/async_business_verification", json=body)
    assert response.status_code == 200 and response.json() == {"success": True}
    for delivery_id, attempt in callbacks.claim_due(runtime):
        assert callbacks.deliver(runtime, delivery_id, attempt)
    [(url, payload)] = sent
    assert url == "http://127.0.0.1:9/cb"
    assert set(payload) == RESULT_KEYS and payload["ResultCode"] == "1012"
    assert payload["PartnerParams"]["job_id"] == "kyb-async"
    assert Signature(partner.partner_id, partner.sandbox_key).confirm_signature(
        payload["timestamp"], payload["signature"]
    )


def test_duplicate_job_id_is_2215(client: TestClient, partner: PartnerCreds) -> None:
    assert client.post("/v1/business_verification", json=kyb_body(partner, job_id="dup")).status_code == 200
    again = client.post("/v1/business_verification", json=kyb_body(partner, job_id="dup"))
    assert again.status_code == 400 and again.json()["code"] == "2215"


def test_the_31st_lookup_of_one_number_is_rate_limited(client: TestClient, partner: PartnerCreds) -> None:
    for index in range(30):
        assert (
            client.post("/v1/business_verification", json=kyb_body(partner, job_id=f"rl-{index}")).status_code
            == 200
        )
    blocked = client.post("/v1/business_verification", json=kyb_body(partner, job_id="rl-30"))
    assert blocked.status_code == 429 and blocked.json()["code"] == "2222"
    # No job was opened for the blocked request: its job_id is still free after a reset.
    reset = client.post(
        "/v1/id_number_rate_limit_reset",
        json=partner.signed(country="NG", id_type="BUSINESS_REGISTRATION", id_number="0000000"),
    )
    assert reset.status_code == 200
    assert client.post("/v1/business_verification", json=kyb_body(partner, job_id="rl-30")).status_code == 200


def test_an_unavailable_registry_does_not_count_against_the_rate_limit(
    client: TestClient, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "LIMIT", 1)
    for attempt in range(3):  # without the release the second would be 429 / 2222
        answer = client.post(
            "/v1/business_verification", json=kyb_body(partner, f"kyb-down-{attempt}", id_number="0000003")
        )
        assert answer.status_code == 200 and answer.json()["ResultCode"] == "1015"


def test_production_verifies_a_business_from_the_local_registry(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, tmp_path: Path
) -> None:
    with transaction(runtime.sessions) as session:
        partners.set_production_enabled(db_session=session, partner_id=partner.partner_id, enabled=True)
    runtime.key_cache.invalidate(partner.partner_id)
    import_jsonl(runtime, write_lines(tmp_path, business()))
    found = client.post(
        "/v1/business_verification",
        json=kyb_body(partner, "kyb-prod", key=partner.production_key, id_number="RC123456"),
    ).json()
    assert found["ResultCode"] == "1012", found
    assert found["company_information"]["legal_name"] == "QUILLFEATHER HOLDINGS LIMITED"
    assert found["directors"][0]["name"] == "ZEBEDEE MARCHBANKS"
    missing = client.post(
        "/v1/business_verification",
        json=kyb_body(partner, "kyb-prod-2", key=partner.production_key, id_number="RC654321"),
    ).json()
    assert missing["ResultCode"] == "1013"
