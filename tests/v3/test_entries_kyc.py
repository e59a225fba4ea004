"""POST /v3/enhanced_kyc and /v3/enhanced_kyc/sync (openkyc.v3.kyc): the job on the v1 pipeline,
the async job's look-up made by a worker, the sync answer signed as a webhook, the refusals."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from openkyc.audit import SYSTEM
from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import transaction, utcnow
from openkyc.jobs import id_verification
from openkyc.jobs.models import Job, JobState
from openkyc.partners.models import Partner
from openkyc.retention.purge import purge_job
from openkyc.runtime import Runtime
from openkyc.signing.sid_request import compute_signature
from openkyc.tasks.work import verify_job
from openkyc.typeid import is_typeid
from openkyc.v3 import kyc
from tests.server import PartnerCreds
from tests.v3.conftest import token_for
from tests.v3.entry_forms import CALLBACK, CLEARWATER, DOWNSWORTH, accepted, post, refused, stored

pytestmark = pytest.mark.usefixtures("conforming")

EKYC = "/v3/enhanced_kyc"
SYNC = "/v3/enhanced_kyc/sync"
ID: dict[str, Any] = {"country": "NG", "id_type": "NIN", "id_number": "00000000000"}  # the sandbox's record
UNAVAILABLE: dict[str, Any] = {**ID, "id_number": "00000000003"}  # the sandbox authority out of reach


def deliveries(runtime: Runtime, smile_job_id: str) -> list[CallbackDelivery]:
    with transaction(runtime.sessions) as session:
        found = list(
            session.scalars(select(CallbackDelivery).where(CallbackDelivery.smile_job_id == smile_job_id))
        )
        for delivery in found:
            session.expunge(delivery)
    return found


def test_async_answers_202_with_a_queued_v3_job_a_worker_then_verifies_and_calls_back(
    client: TestClient, runtime: Runtime, auth: dict[str, str]
) -> None:
    answer = post(client, EKYC, auth, **ID, partner_params={"order": "A-1"}, headers={"User-ID": "cust-7"})
    body = accepted(answer)
    assert is_typeid(body["job_id"], "job") and body["user_id"] == "cust-7"
    job = stored(runtime, body["job_id"])
    # Recorded before the answer: committed, queued, a V3 job from its INSERT on.
    assert job.state == JobState.QUEUED and job.api_version == "v3" and job.job_type == 5
    assert job.user_id == "cust-7" and job.callback_url == CALLBACK
    assert job.partner_params == {
        "order": "A-1",
        "user_id": "cust-7",
        "job_id": body["job_id"],
        "job_type": 5,
    }
    request = job.v3_request or {}
    assert request["product"] == "enhanced_kyc" and request["user_details"]["last_name"] == "Clearwater"
    assert request["consent"]["granted"] is True and request["metadata"] == []
    assert request[id_verification.QUEUED_LOOKUP]["id_number"] == ID["id_number"]
    with runtime.engine.connect() as connection:
        at_rest = connection.execute(
            text("SELECT v3_request FROM jobs WHERE job_id = :job"), {"job": body["job_id"]}
        ).scalar_one()
    assert "Clearwater" not in at_rest and ID["id_number"] not in at_rest  # sealed

    assert verify_job(runtime, job.smile_job_id) == "done"  # what a worker does with it
    done = stored(runtime, body["job_id"])
    assert done.state == JobState.COMPLETE and done.result is not None
    assert done.result["ResultCode"] == "1012"  # ID Number Validated
    (delivery,) = deliveries(runtime, job.smile_job_id)
    assert delivery.url == CALLBACK and delivery.wire == "v3"
    assert delivery.payload["job_id"] == body["job_id"] and delivery.payload["status"] == "clear"
    assert delivery.payload["product"] == "enhanced_kyc"


def test_a_worker_dying_mid_look_up_leaves_the_job_to_be_done_again(
    client: TestClient, runtime: Runtime, auth: dict[str, str]
) -> None:
    body = accepted(post(client, EKYC, auth, **ID))
    job = stored(runtime, body["job_id"])
    with transaction(runtime.sessions) as session:  # claimed by a worker that then died
        claimed = session.get(Job, job.smile_job_id)
        assert claimed is not None
        claimed.state, claimed.attempts = JobState.PROCESSING, 1
    id_verification.run_queued(runtime, stored(runtime, body["job_id"]))  # the next claimant's run
    assert stored(runtime, body["job_id"]).state == JobState.COMPLETE
    assert len(deliveries(runtime, job.smile_job_id)) == 1
    # A result from a superseded claim is dropped, not published twice.
    id_verification.run_queued(runtime, job)
    assert len(deliveries(runtime, job.smile_job_id)) == 1


def test_a_queued_job_purged_before_its_look_up_still_gets_its_system_error_callback(
    client: TestClient, runtime: Runtime, auth: dict[str, str]
) -> None:
    # Its user deleted while the job waits in the queue: the purge takes the look-up's inputs, and
    # the accepted job still ends with its documented answer, called back in the V3 format.
    body = accepted(post(client, EKYC, auth, **ID))
    job = stored(runtime, body["job_id"])
    purge_job(
        runtime, job.smile_job_id, now=utcnow(), reason="user_deleted", actor=SYSTEM, keep_enrolled=False
    )
    assert verify_job(runtime, job.smile_job_id) == "done"
    done = stored(runtime, body["job_id"])
    assert done.state == JobState.FAILED and (done.result or {})["ResultCode"] == "2201"
    (delivery,) = deliveries(runtime, job.smile_job_id)
    assert delivery.wire == "v3" and delivery.payload["status"] == "error"


def test_async_needs_a_callback_url_or_the_partner_default(
    client: TestClient,
    runtime: Runtime,
    partner: PartnerCreds,
    auth: dict[str, str],
    production_auth: dict[str, str],
) -> None:
    real = {**ID, "id_number": "12345678901"}
    refused(
        post(client, EKYC, production_auth, **real, callback_url=None),
        400,
        "A valid callback_url is required in the request or a default callback URL must be configured in "
        "the portal.",
    )
    # The sandbox takes it (the SDKs' own end-to-end test sends none): read by status, or replayed.
    no_destination = accepted(post(client, EKYC, auth, **ID, callback_url=None))
    assert stored(runtime, no_destination["job_id"]).callback_url is None
    with transaction(runtime.sessions) as session:
        found = session.get(Partner, partner.partner_id)
        assert found is not None
        found.production_callback_url = "https://partner.example/default"
    body = accepted(post(client, EKYC, production_auth, **real, callback_url=None))
    assert stored(runtime, body["job_id"]).callback_url is None  # the default, read at delivery


def test_a_token_bound_to_a_callback_and_an_id_fills_them_in(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    token = token_for(
        client,
        partner,
        product="enhanced_kyc",
        payload='{"country": "NG", "id_type": "NIN", "id_number": "00000000000", '
        '"callback_url": "https://bound.example/cb"}',
    )
    body = accepted(post(client, EKYC, {"SmileID-Token": token}, callback_url=None))
    job = stored(runtime, body["job_id"])
    assert job.callback_url == "https://bound.example/cb"
    assert (job.v3_request or {})[id_verification.QUEUED_LOOKUP]["id_type"] == "NIN"


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"country": None}, 400, "Required field 'country' is missing or invalid."),
        ({"id_number": None}, 400, "Required field 'id_number' is missing or invalid."),
        ({"id_number": "123"}, 400, "Invalid ID number format for the specified country and ID type."),
        ({"id_type": "SPACESHIP"}, 403, "ID type not enabled for this partner."),
        (
            {"id_type": "BANK_ACCOUNT", "id_number": "0123456789"},
            400,
            "Required field 'bank_code' is missing or invalid.",
        ),
        (
            {"user_details": {"given_names": "A", "last_name": "B"}},
            400,
            "Either email or phone_number is required.",
        ),
        ({"user_details": {**CLEARWATER, "email": "nope"}}, 400, "Field 'email' is invalid."),
        ({"consent": None}, 400, "Required field 'consent' is missing or invalid."),
        ({"callback_url": "http://partner.example/cb"}, 400, "Field 'callback_url' is invalid."),
    ],
)
def test_refusals_carry_the_spec_s_texts(
    client: TestClient,
    runtime: Runtime,
    auth: dict[str, str],
    fields: dict[str, Any],
    status: int,
    message: str,
) -> None:
    refused(post(client, EKYC, auth, **{**ID, **fields}), status, message)
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(Job).limit(1)) is None  # no job opened


def test_user_id_header_body_and_token_must_agree(client: TestClient, partner: PartnerCreds) -> None:
    token = token_for(client, partner, user_id="cust-1")
    answer = post(client, EKYC, {"SmileID-Token": token}, **ID, headers={"User-ID": "cust-2"})
    refused(answer, 403, "Token is not authorized for this user ID.")
    body = accepted(post(client, EKYC, {"SmileID-Token": token}, **ID))
    assert body["user_id"] == "cust-1"


def test_a_token_scoped_to_another_product_is_refused(client: TestClient, partner: PartnerCreds) -> None:
    token = {"SmileID-Token": token_for(client, partner, product="biometric_kyc")}
    refused(post(client, EKYC, token, **ID), 403, "Product not enabled for this partner.")
    refused(
        post(client, SYNC, token, **ID),
        403,
        "This feature requires you to activate ID Validation for your Smile ID account.",
    )


def test_a_body_that_is_not_multipart_is_415(client: TestClient, auth: dict[str, str]) -> None:
    answer = client.post(EKYC, json=ID, headers=auth)
    refused(answer, 415, "Unsupported Media Type. Required Content-Type is multipart/form-data")


def test_sync_answers_the_webhook_body_signed_as_a_webhook_is(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    answer = post(client, SYNC, auth, **ID, callback_url=None)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "clear" and body["product"] == "enhanced_kyc"
    assert is_typeid(body["job_id"], "job") and answer.headers["SmileID-Job-ID"] == body["job_id"]
    assert answer.headers["User-ID"] == body["user_id"] and body["user_id"].startswith("user_")
    stamp = answer.headers["Response-Timestamp"]
    assert answer.headers["Response-Signature"] == compute_signature(
        partner.sandbox_key, partner.partner_id, stamp
    )
    job = stored(runtime, body["job_id"])
    assert job.api_version == "v3" and job.state == JobState.COMPLETE
    assert (job.v3_request or {})["product"] == "enhanced_kyc"
    assert deliveries(runtime, job.smile_job_id) == []  # no webhook


def test_sync_without_consent_is_its_own_400_text(client: TestClient, auth: dict[str, str]) -> None:
    # The sync operation's spec example for a missing consent block; the async one keeps the
    # shared "Required field 'consent' is missing or invalid." (test_refusals_carry_the_spec_s_texts).
    refused(post(client, SYNC, auth, **ID, consent=None), 400, "consent is required")
    refused(
        post(client, SYNC, auth, **ID, consent={"granted": False}),
        400,
        "Required field 'consent.granted' is missing or invalid.",
    )


def test_sync_ignores_a_callback_url(client: TestClient, runtime: Runtime, auth: dict[str, str]) -> None:
    answer = post(client, SYNC, auth, **ID)
    assert answer.status_code == 200, answer.text
    job = stored(runtime, answer.json()["job_id"])
    assert job.callback_url is None and deliveries(runtime, job.smile_job_id) == []


def test_sync_reports_an_unavailable_authority_as_424_with_the_job_id(
    client: TestClient, runtime: Runtime, auth: dict[str, str]
) -> None:
    answer = post(client, SYNC, auth, **UNAVAILABLE, user_details=DOWNSWORTH)
    refused(answer, 424, "Unable to verify ID — ID authority unavailable.")
    job = stored(runtime, answer.headers["SmileID-Job-ID"])
    assert job.state == JobState.COMPLETE and job.result is not None and job.result["ResultCode"] == "1015"


def test_sync_past_its_deadline_is_408_and_the_job_still_finishes(
    client: TestClient, runtime: Runtime, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kyc, "SYNC_DEADLINE_S", 0.0)
    answer = post(client, SYNC, auth, **ID)
    assert answer.status_code == 408, answer.text
    assert answer.json()["message"].startswith("The ID authority did not respond in time.")
    job_id = answer.headers["SmileID-Job-ID"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with transaction(runtime.sessions) as session:
            state = session.scalar(select(Job.state).where(Job.job_id == job_id))
        if state == JobState.COMPLETE:
            break
        time.sleep(0.05)
    assert state == JobState.COMPLETE


def test_a_reported_user_s_async_job_is_blocked_by_the_worker_without_a_look_up(
    client: TestClient, runtime: Runtime, auth: dict[str, str]
) -> None:
    first = accepted(post(client, EKYC, auth, **ID, headers={"User-ID": "cust-7"}))
    report = {"is_fraud": "true", "reason": "ACCOUNT_TAKEOVER", "reported_by": "risk@partner.example"}
    flagged = client.post(
        "/v3/users/cust-7/report_fraud", data=report, files=[("_", (None, ""))], headers=auth
    )
    assert flagged.status_code == 202, flagged.text
    second = accepted(post(client, EKYC, auth, **ID, headers={"User-ID": "cust-7"}))
    for body in (first, second):
        assert verify_job(runtime, stored(runtime, body["job_id"]).smile_job_id) == "done"
    (delivery,) = deliveries(runtime, stored(runtime, second["job_id"]).smile_job_id)
    assert (delivery.payload["status"], delivery.payload["reason"]) == ("block", "high_risk")


def test_sandbox_identities_are_not_counted_against_the_number_s_rate_limit(
    client: TestClient,
    runtime: Runtime,
    auth: dict[str, str],
    partner: PartnerCreds,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The SDKs' end-to-end tests send one test number on every run: no authority is asked for it in
    the V3 sandbox, so nothing is counted; a production look-up of it still is."""
    from openkyc.ratelimit import service as ratelimit

    monkeypatch.setattr(ratelimit, "LIMIT", 1)
    for _ in range(3):
        accepted(post(client, EKYC, auth, **ID))
    with transaction(runtime.sessions) as session:
        session.get(Partner, partner.partner_id).production_enabled = True  # type: ignore[union-attr]
    runtime.key_cache.invalidate(partner.partner_id)
    production = {"SmileID-Token": token_for(client, partner, key=partner.production_key)}
    real = {**ID, "id_number": "12345678901"}  # a well-formed number: the sandbox's test ones are not
    accepted(post(client, EKYC, production, **real))
    assert post(client, EKYC, production, **real).status_code == 429
