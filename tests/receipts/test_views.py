"""The receipt link: in job_status and callbacks of the receipt products only, signed when handed
out, answering the PDF while valid and the documented JSON error otherwise."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from openkyc.app import create_app
from openkyc.audit.models import AuditEvent
from openkyc.callbacks import service as callbacks
from openkyc.callbacks.client import DeliveryOutcome
from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import transaction, utcnow
from openkyc.job_types import RECEIPT_JOB_TYPES, JobType
from openkyc.jobs import service as jobs
from openkyc.jobs.models import JobState
from openkyc.receipts import views
from openkyc.receipts.service import receipt_pdf
from openkyc.runtime import Runtime
from openkyc.storage.links import receipt_link
from tests.receipts.jobs import FORBIDDEN, USER_ID, add_job
from tests.server import PartnerCreds, make_partner, make_runtime


def job_status(client: TestClient, partner: PartnerCreds, job_id: str, **options: Any) -> dict[str, Any]:
    answer = client.post("/v1/job_status", json=partner.signed(user_id=USER_ID, job_id=job_id, **options))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def local(link: str) -> str:
    """The path and query of a link made for the test client's http://testserver."""
    parts = urlsplit(link)
    assert parts.scheme == "http" and parts.netloc == "testserver", link
    return f"{parts.path}?{parts.query}"


def link_for(runtime: Runtime, smile_job_id: str, *, expires_in: timedelta = timedelta(minutes=5)) -> str:
    return local(
        receipt_link(
            runtime.links,
            base_url="http://testserver",
            smile_job_id=smile_job_id,
            expires=utcnow() + expires_in,
        )
    )


# --- job_status --------------------------------------------------------------------------------


@pytest.mark.parametrize("job_type", sorted(RECEIPT_JOB_TYPES))
def test_job_status_carries_the_receipt_link_in_the_result_and_at_the_top(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, job_type: int
) -> None:
    job = add_job(runtime, partner.partner_id, job_type=job_type)
    body = job_status(client, partner, job.job_id, history=True)
    assert body["job_complete"] is True
    link = body["kyc_receipt"]
    assert body["result"]["KYCReceipt"] == link
    assert link.startswith(f"http://testserver/v1/receipts/{job.smile_job_id}?expires=")
    # History entries are the results as they were; only the current answer carries a link.
    assert all("KYCReceipt" not in entry for entry in body["history"])
    pdf = client.get(local(link))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().startswith("KYC receipt")


def test_the_link_is_signed_for_each_answer_and_never_stored(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = add_job(runtime, partner.partner_id)
    first = job_status(client, partner, job.job_id)["kyc_receipt"]
    expiry = int(parse_qs(urlsplit(first).query)["expires"][0])
    assert abs(expiry - (utcnow() + runtime.settings.image_link_ttl).timestamp()) < 60
    later = utcnow() + timedelta(hours=3)
    monkeypatch.setattr("openkyc.jobs.views.utcnow", lambda: later)
    second = job_status(client, partner, job.job_id)["kyc_receipt"]
    assert int(parse_qs(urlsplit(second).query)["expires"][0]) == int(
        (later + runtime.settings.image_link_ttl).timestamp()
    )
    with transaction(runtime.sessions) as session:
        stored = jobs.get_job(db_session=session, smile_job_id=job.smile_job_id)
        assert stored.result is not None and "KYCReceipt" not in stored.result
        assert all("KYCReceipt" not in entry for entry in stored.history)


def test_the_link_lives_as_long_as_the_setting_says(tmp_path: Any) -> None:
    runtime = make_runtime(tmp_path, image_link_ttl=timedelta(minutes=2))
    partner = make_partner(runtime)
    job = add_job(runtime, partner.partner_id)
    with TestClient(create_app(runtime)) as client:
        link = job_status(client, partner, job.job_id)["kyc_receipt"]
    expiry = int(parse_qs(urlsplit(link).query)["expires"][0])
    assert abs(expiry - (utcnow() + timedelta(minutes=2)).timestamp()) < 30


@pytest.mark.parametrize(
    ("job_type", "state"),
    [
        (JobType.SMART_SELFIE_REGISTRATION, JobState.COMPLETE),
        (JobType.SMART_SELFIE_AUTHENTICATION, JobState.COMPLETE),
        (JobType.DOCUMENT_VERIFICATION, JobState.REVIEW),
        (JobType.ENHANCED_DOCUMENT_VERIFICATION, JobState.PROCESSING),
    ],
)
def test_other_products_and_unfinished_jobs_answer_as_before(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, job_type: int, state: str
) -> None:
    job = add_job(runtime, partner.partner_id, job_type=job_type, state=state)
    body = job_status(client, partner, job.job_id)
    assert set(body) == {"timestamp", "signature", "job_complete", "job_success", "code", "result"}
    assert not isinstance(body["result"], dict) or "KYCReceipt" not in body["result"]


# --- GET /v1/receipts/{smile_job_id} -----------------------------------------------------------


def test_the_link_answers_the_pdf_as_a_named_file(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    job = add_job(runtime, partner.partner_id)
    answer = client.get(link_for(runtime, job.smile_job_id))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == f'inline; filename="kyc-receipt-{job.smile_job_id}.pdf"'
    assert answer.headers["cache-control"] == "private, no-store"
    assert answer.content.startswith(b"%PDF-")
    for leaked in FORBIDDEN:
        assert leaked.encode() not in answer.content
    with transaction(runtime.sessions) as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "job.receipt_viewed")).one()
        assert event.target_id == job.smile_job_id and event.actor_id == partner.partner_id


def refused(answer: Any, status: int = 404, code: str = "2404") -> bool:
    return bool(
        answer.status_code == status
        and answer.headers["content-type"].startswith("application/json")
        and answer.json()["code"] == code
        and answer.json()["success"] is False
    )


def test_a_tampered_or_expired_link_is_the_json_404(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    job = add_job(runtime, partner.partner_id)
    good = link_for(runtime, job.smile_job_id)
    path, query = good.split("?")
    params = parse_qs(query)
    expires, sig = params["expires"][0], params["sig"][0]
    tampered_sig = ("A" if sig[0] != "A" else "B") + sig[1:]
    for bad in (
        f"{path}?expires={expires}&sig={tampered_sig}",
        f"{path}?expires={int(expires) + 1}&sig={sig}",  # a longer life is not granted
        f"{path}?expires={expires}&sig={sig}%C3%A9",
        link_for(runtime, job.smile_job_id, expires_in=timedelta(seconds=-1)),
    ):
        answer = client.get(bad)
        assert refused(answer), (bad, answer.status_code, answer.text)
        assert answer.json()["error"] == "This link is invalid or has expired"


def test_a_link_opens_only_its_own_job(client: TestClient, runtime: Runtime, partner: PartnerCreds) -> None:
    mine = add_job(runtime, partner.partner_id)
    other = add_job(runtime, partner.partner_id)
    query = link_for(runtime, mine.smile_job_id).split("?")[1]
    assert refused(client.get(f"/v1/receipts/{other.smile_job_id}?{query}"))
    # An image link's signature is not a receipt's, for the same job.
    image_expiry, image_sig = runtime.links.sign(
        f"{mine.smile_job_id}/selfie", utcnow() + timedelta(minutes=5)
    )
    assert refused(client.get(f"/v1/receipts/{mine.smile_job_id}?expires={image_expiry}&sig={image_sig}"))


def test_a_link_signed_by_another_installation_is_refused(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, tmp_path: Any
) -> None:
    job = add_job(runtime, partner.partner_id)
    elsewhere = make_runtime(tmp_path / "elsewhere")
    assert refused(client.get(link_for(elsewhere, job.smile_job_id)))


def test_a_valid_link_to_a_job_without_a_receipt_or_no_job_is_a_404(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    registration = add_job(runtime, partner.partner_id, job_type=JobType.SMART_SELFIE_REGISTRATION)
    answer = client.get(link_for(runtime, registration.smile_job_id))
    assert refused(answer) and answer.json()["error"] == "This job has no KYC receipt"
    assert refused(client.get(link_for(runtime, "0000000000")), code="2304")


def test_missing_or_malformed_parameters_are_the_documented_400(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    job = add_job(runtime, partner.partner_id)
    for query in ("", "?expires=1", "?sig=x", "?expires=soon&sig=x", "?expires=1e400&sig=x"):
        answer = client.get(f"/v1/receipts/{job.smile_job_id}{query}")
        assert answer.status_code == 400 and answer.json()["success"] is False, (query, answer.text)
    huge = client.get(f"/v1/receipts/{job.smile_job_id}?expires={'9' * 400}&sig=x")
    assert huge.status_code in (400, 404) and huge.json()["success"] is False


def test_the_receipt_is_read_and_drawn_off_the_event_loop(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = add_job(runtime, partner.partner_id)
    on_loop: list[bool] = []
    real_transaction = transaction
    real_pdf = receipt_pdf

    def running_loop() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def watched_transaction(sessions: Any) -> Any:
        on_loop.append(running_loop())
        return real_transaction(sessions)

    def watched_pdf(**kwargs: Any) -> bytes:
        on_loop.append(running_loop())
        return real_pdf(**kwargs)

    monkeypatch.setattr(views, "transaction", watched_transaction)
    monkeypatch.setattr(views, "receipt_pdf", watched_pdf)
    assert client.get(link_for(runtime, job.smile_job_id)).status_code == 200
    assert on_loop == [False, False]


# --- callbacks ---------------------------------------------------------------------------------


def deliver_result(runtime: Runtime, job_id: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Schedule the stored job's result as the flows do, deliver it once and return what was sent."""
    sent: list[dict[str, Any]] = []

    def fake_post(url: str, body: dict[str, Any], **_: Any) -> DeliveryOutcome:
        sent.append(body)
        return DeliveryOutcome(True, 200, None, 1.0)

    monkeypatch.setattr(callbacks, "post_json", fake_post)
    with transaction(runtime.sessions) as session:
        job = jobs.get_job(db_session=session, smile_job_id=job_id)
        job.callback_url = "http://cb.test/hook"
        assert job.result is not None
        delivery = callbacks.schedule_result(
            db_session=session, job=job, result=job.result, horizon=timedelta(hours=1)
        )
        assert delivery is not None
        delivery_id = delivery.id
    assert callbacks.deliver(runtime, delivery_id, 0) is True
    with transaction(runtime.sessions) as session:
        stored = session.get(CallbackDelivery, delivery_id)
        assert stored is not None and "KYCReceipt" not in stored.payload  # signed per attempt, not kept
    (body,) = sent
    return body


@pytest.fixture
def public_runtime(tmp_path: Any) -> Runtime:
    return make_runtime(tmp_path, public_base_url="https://kyc.example.org/")


@pytest.mark.parametrize("job_type", sorted(RECEIPT_JOB_TYPES))
def test_the_callback_carries_a_link_signed_as_it_is_sent(
    public_runtime: Runtime, job_type: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = make_partner(public_runtime)
    job = add_job(public_runtime, partner.partner_id, job_type=job_type)
    sending_time = utcnow() + timedelta(hours=5)  # a retry hours after the result
    monkeypatch.setattr(callbacks, "utcnow", lambda: sending_time)
    body = deliver_result(public_runtime, job.smile_job_id, monkeypatch)
    link = body["KYCReceipt"]
    assert link.startswith(f"https://kyc.example.org/v1/receipts/{job.smile_job_id}?expires=")
    expiry = int(parse_qs(urlsplit(link).query)["expires"][0])
    assert expiry == int((sending_time + public_runtime.settings.image_link_ttl).timestamp())
    assert "kyc_receipt" not in body  # job_status's top-level key, not the callback's
    with TestClient(create_app(public_runtime)) as client:
        pdf = client.get(urlsplit(link).path + "?" + urlsplit(link).query)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"


@pytest.mark.parametrize(
    ("job_type", "state"),
    [
        (JobType.SMART_SELFIE_REGISTRATION, JobState.COMPLETE),
        (JobType.SMART_SELFIE_AUTHENTICATION, JobState.COMPLETE),
        (JobType.DOCUMENT_VERIFICATION, JobState.REVIEW),  # the provisional result's callback
    ],
)
def test_other_callbacks_carry_no_link(
    public_runtime: Runtime, job_type: int, state: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = make_partner(public_runtime)
    job = add_job(public_runtime, partner.partner_id, job_type=job_type, state=state)
    assert "KYCReceipt" not in deliver_result(public_runtime, job.smile_job_id, monkeypatch)


def test_without_a_public_url_the_callback_has_no_link_to_give(
    runtime: Runtime, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = add_job(runtime, partner.partner_id)
    body = deliver_result(runtime, job.smile_job_id, monkeypatch)
    assert "KYCReceipt" not in body and body["ResultCode"] == "0810"


def test_without_a_public_url_the_address_serve_listens_on_is_given(
    runtime: Runtime, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime.served_at = "http://127.0.0.1:8080"  # as `openkyc serve` sets it (embedded)
    job = add_job(runtime, partner.partner_id)
    link = deliver_result(runtime, job.smile_job_id, monkeypatch)["KYCReceipt"]
    assert link.startswith(f"http://127.0.0.1:8080/v1/receipts/{job.smile_job_id}?expires=")


def test_the_api_docs_describe_the_link_and_the_job_status_key(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    route = schema["paths"]["/v1/receipts/{smile_job_id}"]["get"]
    assert set(route["responses"]["200"]["content"]) == {"application/pdf"}
    assert "2404" in route["responses"]["404"]["description"]
    assert {p["name"] for p in route["parameters"]} == {"smile_job_id", "expires", "sig"}
    assert "kyc_receipt" in schema["components"]["schemas"]["JobStatusAnswer"]["properties"]
