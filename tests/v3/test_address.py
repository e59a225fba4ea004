"""POST /v3/address: checks in the spec's order, the job it stores, its outcome and callback body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import transaction, utcnow
from openkyc.job_types import JobType
from openkyc.jobs.models import ApiVersion, Job, JobState
from openkyc.jobs.v3_results import callback_payload, outcome
from openkyc.partners import service as partners
from openkyc.runtime import Runtime
from openkyc.typeid import is_typeid
from tests.server import PartnerCreds
from tests.v3.conftest import token_for

pytestmark = pytest.mark.usefixtures("conforming")

CALLBACK = "https://partner.example/address-callback"
CONSENT = {
    "granted": True,
    "granted_at": "2026-03-06T12:00:00.000Z",
    "notice_language": "EN",
    "notice_privacy_policy_url": "https://example.com/privacy",
}
AMINA = {"given_names": "Amina", "last_name": "Clearwater", "email": "amina@example.com"}
ZA = {"address": "12 Test Road, Testville", "country": "ZA", "id_number": "9001015800085"}
NG = {
    "address": "12 Test Road, Testville",
    "country": "NG",
    "utility_number": "0123456789",
    "utility_provider": "IKEDC",
    "utility_type": "PrePaid",
}


def _parts(**fields: Any) -> dict[str, Any]:
    """Multipart parts as the SDKs send them: scalars as text, objects and arrays as JSON parts."""
    parts: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, dict | list):
            parts[name] = (None, json.dumps(value), "application/json")
        else:
            parts[name] = (None, str(value))
    return parts


def _submit(client: TestClient, auth: dict[str, str], **fields: Any) -> Any:
    body = {"consent": CONSENT, "user_details": AMINA, "callback_url": CALLBACK, **fields}
    return client.post("/v3/address", headers=auth, files=_parts(**body))


def _job(runtime: Runtime, job_id: str) -> Job:
    with transaction(runtime.sessions) as session:
        job = session.scalars(select(Job).where(Job.job_id == job_id)).one()
        session.expunge(job)
    return job


def _delivery(runtime: Runtime, job: Job) -> CallbackDelivery:
    with transaction(runtime.sessions) as session:
        delivery = session.scalars(
            select(CallbackDelivery).where(CallbackDelivery.smile_job_id == job.smile_job_id)
        ).one()
        session.expunge(delivery)
    return delivery


def test_the_spec_example_is_accepted_stored_and_clear(
    client: TestClient, auth: dict[str, str], runtime: Runtime
) -> None:
    answer = _submit(client, auth, **ZA, user_id="user_addr_001", partner_params={"ref": "7"})
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert set(body) == {"status", "message", "job_id", "user_id"}
    assert (body["status"], body["message"], body["user_id"]) == (
        "accepted",
        "Job submitted successfully",
        "user_addr_001",
    )
    assert is_typeid(body["job_id"], "job")
    job = _job(runtime, body["job_id"])
    assert (job.api_version, job.job_type, job.state) == (
        ApiVersion.V3,
        JobType.ADDRESS_VERIFICATION,
        JobState.COMPLETE,
    )
    assert job.user_id == "user_addr_001" and job.callback_url == CALLBACK
    assert job.v3_request is not None
    assert job.v3_request["product"] == "address_verification"
    assert (
        job.v3_request["address"] == "12 Test Road, Testville"
        and job.v3_request["id_number"] == "9001015800085"
    )
    assert (
        job.v3_request["consent"]["granted"] is True
        and job.v3_request["user_details"]["last_name"] == "Clearwater"
    )
    assert (outcome(job).status, outcome(job).reason) == ("clear", None)

    delivery = _delivery(runtime, job)
    assert delivery.wire == "v3" and delivery.url == CALLBACK
    payload = delivery.payload
    assert (payload["status"], payload["reason"], payload["product"]) == (
        "clear",
        None,
        "address_verification",
    )
    assert (payload["job_id"], payload["user_id"]) == (body["job_id"], "user_addr_001")
    assert payload["partner_params"] == {"ref": "7"}
    assert payload["address_check"] == {
        "address": "12 Test Road, Testville",
        "country": "ZA",
        "distance_m": 0,
        "record_date": payload["address_check"]["record_date"],
        "name_match": "Partial Match",
    }
    assert "9001015800085" not in json.dumps(payload)  # the identifier is never sent back


@pytest.mark.parametrize(
    ("fields", "given", "status", "reason"),
    [
        (NG, "Amina", "clear", None),
        ({**NG, "address": "40 Test Road, Testville"}, "Amina", "clear", None),
        ({**NG, "utility_number": "0123456788"}, "Amina", "attention", "information_outdated"),
        ({**ZA, "address": "7 Distant Avenue, Farville"}, "Amina", "block", "address_out_of_range"),
        (ZA, "Rashid", "block", "name_mismatch"),
        ({**ZA, "id_number": "9001015800093"}, "Amina", "block", "no_address_on_record"),
        ({**ZA, "id_number": "1234567890123"}, "Amina", "block", "identifier_not_found"),
        ({**NG, "utility_number": "0123456786"}, "Amina", "error", "service_unavailable"),
    ],
)
def test_sandbox_outcomes(
    client: TestClient,
    auth: dict[str, str],
    runtime: Runtime,
    fields: dict[str, str],
    given: str,
    status: str,
    reason: str | None,
) -> None:
    answer = _submit(client, auth, **fields, user_details={**AMINA, "given_names": given})
    assert answer.status_code == 202, answer.text
    job = _job(runtime, answer.json()["job_id"])
    assert (outcome(job).status, outcome(job).reason) == (status, reason)
    payload = _delivery(runtime, job).payload
    assert (payload["status"], payload["reason"]) == (status, reason)
    assert payload == callback_payload(runtime, job)  # replay sends the same body


def test_production_without_a_provider_ends_service_unavailable(
    client: TestClient, partner: PartnerCreds, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    with transaction(runtime.sessions) as session:
        partners.set_production_enabled(db_session=session, partner_id=partner.partner_id, enabled=True)
    runtime.key_cache.invalidate(partner.partner_id)
    token = token_for(client, partner, key=partner.production_key)
    answer = _submit(client, {"SmileID-Token": token}, **ZA)
    assert answer.status_code == 202, answer.text
    job = _job(runtime, answer.json()["job_id"])
    assert job.environment == "production"
    assert (outcome(job).status, outcome(job).reason) == ("error", "service_unavailable")
    assert job.result is not None and job.result["ResultCode"] == "1015"
    assert "no address provider is configured for production keys" in caplog.text
    assert "9001015800085" not in caplog.text and "Test Road" not in caplog.text


def test_a_token_scoped_to_the_product_may_bind_the_id_number(
    client: TestClient, partner: PartnerCreds
) -> None:
    scoped = token_for(
        client,
        partner,
        product="address_verification",
        payload=json.dumps({"country": "ZA", "id_number": "9001015800085"}),
    )
    fields = {key: value for key, value in ZA.items() if key not in ("country", "id_number")}
    answer = _submit(client, {"SmileID-Token": scoped}, **fields)
    assert answer.status_code == 202, answer.text
    other = token_for(client, partner, product="enhanced_kyc")
    refused = _submit(client, {"SmileID-Token": other}, **ZA)
    assert refused.status_code == 403
    assert refused.json() == {"status": "Forbidden", "message": "Product not enabled for this partner."}


def test_no_token_no_multipart(client: TestClient, auth: dict[str, str]) -> None:
    assert _submit(client, {}, **ZA).json() == {
        "status": "Unauthorized",
        "message": "Invalid authentication credentials.",
    }
    answer = client.post("/v3/address", headers=auth, json=ZA)
    assert answer.status_code == 415


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"address": None}, "Required field 'address' is missing or invalid."),
        ({"address": "   "}, "Required field 'address' is missing or invalid."),
        ({"address": "x" * 513}, "Required field 'address' is missing or invalid."),
        ({"country": None}, "Required field 'country' is missing or invalid."),
        ({"country": "KE"}, "Field 'country' must be one of NG, ZA."),
        ({"country": "za"}, "Field 'country' must be one of NG, ZA."),
        ({"id_number": None}, "Either 'id_number' or 'utility_number' is required."),
        (
            {"id_number": None, "utility_number": "0123456789"},
            "Required field 'id_number' is missing or invalid.",
        ),
        ({"id_number": "9" * 257}, "Field 'id_number' is invalid."),
        ({"country": "NG"}, "Required field 'utility_number' is missing or invalid."),
        ({"consent": None}, "Required field 'consent' is missing or invalid."),
        (
            {"user_details": {"given_names": "Amina", "last_name": "Clearwater"}},
            "Either email or phone_number is required.",
        ),
        ({"callback_url": "http://partner.example/cb"}, "Field 'callback_url' is invalid."),
    ],
)
def test_bad_requests_get_the_spec_messages(
    client: TestClient, auth: dict[str, str], change: dict[str, Any], message: str
) -> None:
    body = {"consent": CONSENT, "user_details": AMINA, "callback_url": CALLBACK, **ZA, **change}
    answer = client.post("/v3/address", headers=auth, files=_parts(**body))
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"status": "Bad Request", "message": message}


def test_a_production_job_needs_a_callback_url_or_the_partner_default(
    client: TestClient, auth: dict[str, str], production_auth: dict[str, str]
) -> None:
    body = {"consent": CONSENT, "user_details": AMINA, **ZA}
    answer = client.post("/v3/address", headers=production_auth, files=_parts(**body))
    assert answer.status_code == 400, answer.text
    assert answer.json() == {
        "status": "Bad Request",
        "message": "A valid callback_url is required in the request or a default callback URL must be "
        "configured in the portal.",
    }
    # The sandbox takes it: its result is read with GET /v3/status.
    assert client.post("/v3/address", headers=auth, files=_parts(**body)).status_code == 202


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"utility_provider": None}, "Required field 'utility_provider' is missing or invalid."),
        ({"utility_type": None}, "Required field 'utility_type' is missing or invalid."),
        ({"utility_type": "prepaid"}, "Field 'utility_type' is invalid."),
    ],
)
def test_nigeria_needs_the_whole_utility_account(
    client: TestClient, auth: dict[str, str], change: dict[str, Any], message: str
) -> None:
    answer = _submit(client, auth, **{**NG, **change})
    assert answer.status_code == 400
    assert answer.json()["message"] == message


def test_the_partners_default_callback_url_is_used(
    client: TestClient, auth: dict[str, str], partner: PartnerCreds, runtime: Runtime
) -> None:
    with transaction(runtime.sessions) as session:
        stored = partners.get_partner(db_session=session, partner_id=partner.partner_id)
        stored.sandbox_callback_url = "https://partner.example/default"
    answer = client.post(
        "/v3/address",
        headers=auth,
        files=_parts(consent=CONSENT, user_details=AMINA, **ZA),
    )
    assert answer.status_code == 202, answer.text
    job = _job(runtime, answer.json()["job_id"])
    assert job.callback_url is None
    assert _delivery(runtime, job).url == "https://partner.example/default"
    assert utcnow() >= job.created_at
