"""V3 callback delivery (wire "v3"): the payload as the body, signed in the Response-Timestamp and
Response-Signature headers afresh on every attempt, with its kyc_receipt link, to https receivers
only (trusted through OPENKYC_CALLBACK_CA_FILE when their CA is private); v1 deliveries unchanged."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from openkyc.callbacks import service
from openkyc.callbacks.client import CA_HINT, HTTPS_ONLY
from openkyc.callbacks.models import CallbackAttempt, CallbackDelivery
from openkyc.cli.tls import DevCertificates
from openkyc.db import transaction, utcnow
from openkyc.jobs.models import ApiVersion, Job, JobState
from openkyc.partners.models import ApiKey
from openkyc.runtime import Runtime
from openkyc.signing.sid_request import compute_signature
from openkyc.storage.links import RECEIPT_PATH, receipt_resource
from testkit.callback_receiver import CallbackReceiver, Received, tls_receiver
from tests.server import PartnerCreds, make_partner, make_runtime

JOB_ID = "job_01h2xcejqtf2nbrexx3vqjhp41"
PAYLOAD: dict[str, Any] = {
    "status": "clear",
    "message": "Verification completed",
    "reason": None,
    "product": "biometric_kyc",
    "job_id": JOB_ID,
    "user_id": "user_01h8x9y2z3a4b5c6d7e8f9g0h1",
    "partner_params": {"reference": "r-1"},
}
ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
BASE_URL = "https://kyc.example.test"


@pytest.fixture(scope="module")
def https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CallbackReceiver, DevCertificates]]:
    """One HTTPS receiver for the module, its certificate from a development CA."""
    receiver, certificates = tls_receiver(tmp_path_factory.mktemp("receiver-tls"))
    yield receiver, certificates
    receiver.stop()


@pytest.fixture
def receiver_tls(https: tuple[CallbackReceiver, DevCertificates]) -> CallbackReceiver:
    receiver, _ = https
    receiver.failing = False
    return receiver


@pytest.fixture
def trusting(tmp_path: Path, https: tuple[CallbackReceiver, DevCertificates]) -> Runtime:
    """A runtime whose deliveries trust the receiver's CA (and know their public address)."""
    _, certificates = https
    return make_runtime(tmp_path, callback_ca_file=certificates.ca_cert, public_base_url=BASE_URL)


def add_job(
    runtime: Runtime,
    partner: PartnerCreds,
    *,
    smile_job_id: str = "0000000031",
    job_type: int = 1,
    state: str = JobState.COMPLETE,
    result: dict[str, Any] | None = None,
) -> Job:
    with transaction(runtime.sessions) as session:
        key_id = session.scalars(
            select(ApiKey.id).where(ApiKey.partner_id == partner.partner_id, ApiKey.environment == "sandbox")
        ).one()
        job = Job(
            smile_job_id=smile_job_id,
            partner_id=partner.partner_id,
            environment="sandbox",
            api_key_id=key_id,
            user_id=PAYLOAD["user_id"],
            job_id=JOB_ID,
            job_type=job_type,
            partner_params={"user_id": PAYLOAD["user_id"], "job_id": JOB_ID, "job_type": job_type},
            state=state,
            result=result if result is not None else {"ResultCode": "1210", "IsFinalResult": "true"},
            api_version=ApiVersion.V3,
        )
        session.add(job)
        session.flush()
        session.expunge(job)
        return job


def schedule(
    runtime: Runtime,
    job: Job,
    url: str,
    *,
    wire: str = service.WIRE_V3,
    payload: dict[str, Any] | None = None,
) -> int:
    with transaction(runtime.sessions) as session:
        return service.schedule(
            db_session=session,
            job=job,
            payload=dict(PAYLOAD if payload is None else payload),
            url=url,
            horizon=timedelta(hours=1),
            wire=wire,
        ).id


def attempts(runtime: Runtime, delivery_id: int) -> tuple[CallbackDelivery, list[CallbackAttempt]]:
    with transaction(runtime.sessions) as session:
        delivery = session.get(CallbackDelivery, delivery_id)
        assert delivery is not None
        found = list(
            session.scalars(select(CallbackAttempt).where(CallbackAttempt.delivery_id == delivery_id))
        )
        session.expunge_all()
        return delivery, found


def arrived(receiver: CallbackReceiver, count: int = 1) -> list[Received]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [r for r in receiver.received if r.body.get("job_id") == JOB_ID]
        if len(found) >= count:
            return found
        time.sleep(0.01)
    raise TimeoutError(f"fewer than {count} V3 callbacks arrived")


def test_the_signature_matches_the_published_vector() -> None:
    expected = "1TzKvsGTilgKK6eODGzBG/b/h3cTp0NvSPcRWggYfGc="
    assert compute_signature("test-api-key", "2423", "2026-07-22T10:00:00.000Z") == expected
    headers = service.v3_signature_headers("test-api-key", "2423", datetime(2026, 7, 22, 10, tzinfo=UTC))
    assert headers == {"Response-Timestamp": "2026-07-22T10:00:00.000Z", "Response-Signature": expected}


def test_a_v3_callback_is_the_payload_signed_in_headers_over_https(
    trusting: Runtime, receiver_tls: CallbackReceiver
) -> None:
    receiver_tls.received.clear()
    partner = make_partner(trusting)
    job = add_job(trusting, partner, job_type=5, result={"ResultCode": "1012", "IsFinalResult": "true"})
    delivery_id = schedule(trusting, job, receiver_tls.url)

    assert service.deliver(trusting, delivery_id, 0) is True

    (got,) = arrived(receiver_tls)
    # The body is the payload (and its receipt link, none for Enhanced KYC): no signature fields.
    assert got.body == {**PAYLOAD, "kyc_receipt": None}
    assert got.headers["content-type"] == "application/json"
    timestamp = got.headers["response-timestamp"]
    assert ISO_MS_Z.match(timestamp)
    sent_at = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%f%z")
    assert abs(datetime.now(UTC) - sent_at) < timedelta(seconds=30)
    assert got.headers["response-signature"] == compute_signature(
        partner.sandbox_key, partner.partner_id, timestamp
    )
    delivery, tried = attempts(trusting, delivery_id)
    assert delivery.delivered and delivery.wire == "v3"
    assert [(a.status_code, a.error) for a in tried] == [(200, None)]


def test_every_attempt_is_signed_with_a_fresh_timestamp(
    trusting: Runtime, receiver_tls: CallbackReceiver
) -> None:
    receiver_tls.received.clear()
    partner = make_partner(trusting)
    delivery_id = schedule(trusting, add_job(trusting, partner), receiver_tls.url)

    receiver_tls.failing = True
    assert service.deliver(trusting, delivery_id, 0) is False
    time.sleep(0.005)
    receiver_tls.failing = False
    assert service.deliver(trusting, delivery_id, 1) is True

    first, second = arrived(receiver_tls, 2)
    assert first.status == 503 and second.status == 200
    stamps = [r.headers["response-timestamp"] for r in (first, second)]
    assert stamps[0] < stamps[1]
    for received, stamp in zip((first, second), stamps, strict=True):
        assert received.headers["response-signature"] == compute_signature(
            partner.sandbox_key, partner.partner_id, stamp
        )


def test_a_finished_receipt_product_carries_its_receipt_link(
    trusting: Runtime, receiver_tls: CallbackReceiver
) -> None:
    receiver_tls.received.clear()
    partner = make_partner(trusting)
    job = add_job(trusting, partner, job_type=1)  # Biometric KYC, final result
    delivery_id = schedule(trusting, job, receiver_tls.url)

    assert service.deliver(trusting, delivery_id, 0) is True

    (got,) = arrived(receiver_tls)
    link = got.body["kyc_receipt"]
    assert link.startswith(f"{BASE_URL}{RECEIPT_PATH}/{job.smile_job_id}?expires=")
    expires, signature = re.findall(r"expires=(\d+)&sig=([^&]+)$", link)[0]
    assert trusting.links.verify(receipt_resource(job.smile_job_id), int(expires), signature, utcnow())


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (JobState.COMPLETE, "error"),  # the V3 API sends an error without a receipt
        (JobState.REVIEW, "clear"),  # a provisional result has none yet
    ],
)
def test_no_receipt_link_for_an_error_or_an_unfinished_job(
    trusting: Runtime, receiver_tls: CallbackReceiver, state: str, status: str
) -> None:
    receiver_tls.received.clear()
    partner = make_partner(trusting)
    job = add_job(trusting, partner, job_type=1, state=state)
    delivery_id = schedule(trusting, job, receiver_tls.url, payload={**PAYLOAD, "status": status})

    assert service.deliver(trusting, delivery_id, 0) is True

    (got,) = arrived(receiver_tls)
    assert "kyc_receipt" in got.body and got.body["kyc_receipt"] is None


def test_a_v3_callback_to_an_http_url_is_refused_and_abandoned(
    runtime: Runtime, partner: PartnerCreds, receiver: CallbackReceiver
) -> None:
    delivery_id = schedule(runtime, add_job(runtime, partner), receiver.url)  # http://127.0.0.1:...

    assert service.deliver(runtime, delivery_id, 0) is False

    assert receiver.received == []  # never sent: no attempt at it can succeed
    delivery, tried = attempts(runtime, delivery_id)
    assert delivery.abandoned and not delivery.delivered
    assert [(a.status_code, a.error) for a in tried] == [(None, HTTPS_ONLY)]
    assert service.claim_due(runtime) == []


def test_a_private_ca_is_refused_until_it_is_trusted(
    runtime: Runtime, partner: PartnerCreds, receiver_tls: CallbackReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver_tls.received.clear()
    delivery_id = schedule(runtime, add_job(runtime, partner), receiver_tls.url)

    assert service.deliver(runtime, delivery_id, 0) is False

    delivery, tried = attempts(runtime, delivery_id)
    assert [a.error for a in tried] == ["TLS error"]
    assert not delivery.abandoned  # retried: the operator may trust the CA meanwhile
    assert CA_HINT in caplog.text
    assert receiver_tls.received == []


def test_v1_deliveries_are_unchanged(
    trusting: Runtime, receiver_tls: CallbackReceiver, receiver: CallbackReceiver
) -> None:
    """A v1 delivery is signed in its body, to an http receiver too; no V3 headers, no kyc_receipt."""
    partner = make_partner(trusting)
    job = add_job(trusting, partner, job_type=5)
    result = {"ResultCode": "1012", "SmileJobID": job.smile_job_id, "IsFinalResult": "true"}
    delivery_id = schedule(trusting, job, receiver.url, wire=service.WIRE_V1, payload=result)

    assert service.deliver(trusting, delivery_id, 0) is True

    got = receiver.wait_accepted(job.smile_job_id, timeout=10)
    assert set(got) == {*result, "signature", "timestamp"}
    assert got["signature"] == compute_signature(partner.sandbox_key, partner.partner_id, got["timestamp"])
    (received,) = receiver.all_for(job.smile_job_id)
    assert "response-signature" not in received.headers and "response-timestamp" not in received.headers
    delivery, _ = attempts(trusting, delivery_id)
    assert delivery.wire == "v1"


def test_an_unknown_wire_format_is_refused(runtime: Runtime, partner: PartnerCreds) -> None:
    with pytest.raises(ValueError, match="wire"):
        schedule(runtime, add_job(runtime, partner), "https://cb.example/x", wire="v2")
