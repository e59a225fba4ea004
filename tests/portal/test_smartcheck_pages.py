"""SmartCheck: who may run it, each product run to a result through the API's own job flow, and
every kind of bad input answered with a 4xx page before any job is opened."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from smile_id_core.Signature import Signature
from sqlalchemy import func, select

from openkyc.app import create_app
from openkyc.audit.models import AuditEvent
from openkyc.callbacks import service as callbacks
from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import transaction
from openkyc.jobs import service as jobs
from openkyc.jobs.flows import process_job
from openkyc.jobs.models import Job, JobState
from openkyc.partners import service as partners
from openkyc.partners.models import Partner
from openkyc.portal.models import PortalRole
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment
from testkit.callback_receiver import CallbackReceiver
from tests.portal.helpers import Member, add_job, add_member, csrf_of, sign_in
from tests.server import PartnerCreds, make_partner, make_runtime

_RESULT = re.compile(r"/portal/smartcheck/(\d{10})$")


@pytest.fixture
def selfie(examples: Path) -> bytes:
    return (examples / "knn_examples" / "test" / "obama1.jpg").read_bytes()


def form_token(portal: TestClient, product: str = "registration") -> str:
    return csrf_of(portal.get(f"/portal/smartcheck?product={product}").text)


def run(
    portal: TestClient,
    product: str,
    fields: dict[str, str] | None = None,
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
) -> Response:
    data = {"product": product, "csrf_token": form_token(portal, product), **(fields or {})}
    answer: Response = portal.post("/portal/smartcheck", data=data, files=files or None)
    return answer


def submitted(answer: Response) -> str:
    assert answer.status_code == 303, answer.text[:400]
    found = _RESULT.search(answer.headers["location"])
    assert found is not None, answer.headers["location"]
    return found.group(1)


def image(name: str, data: bytes) -> tuple[str, tuple[str, bytes, str]]:
    return (name, (f"{name}.jpg", data, "image/jpeg"))


def process_queue(runtime: Runtime, smile_job_id: str) -> None:
    """What a worker does: claim the queued job and verify it."""
    with transaction(runtime.sessions) as db:
        assert jobs.claim_next_queued(db_session=db) == smile_job_id
    process_job(runtime, smile_job_id)


def stored(runtime: Runtime, smile_job_id: str) -> Job:
    with transaction(runtime.sessions) as db:
        job = db.get(Job, smile_job_id)
        assert job is not None
        db.expunge(job)
        return job


def job_count(runtime: Runtime) -> int:
    with transaction(runtime.sessions) as db:
        return int(db.scalar(select(func.count()).select_from(Job)) or 0)


def shown(page: str, element: str) -> str:
    found = re.search(rf'id="{element}">([^<]*)<', page)
    assert found is not None, f"no #{element} on the page"
    return found.group(1)


@pytest.fixture
def operator(portal: TestClient, team: dict[PortalRole, Member]) -> Member:
    sign_in(portal, team[PortalRole.OPERATOR])
    return team[PortalRole.OPERATOR]


# --- roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [PortalRole.OPERATOR, PortalRole.ADMIN, PortalRole.OWNER])
def test_members_who_operate_see_the_link_and_every_product_form(
    portal: TestClient, team: dict[PortalRole, Member], role: PortalRole
) -> None:
    sign_in(portal, team[role])
    home = portal.get("/portal/")
    assert 'href="/portal/smartcheck"' in home.text
    choice = portal.get("/portal/smartcheck")
    assert choice.status_code == 200 and 'id="products"' in choice.text
    for product in ("registration", "authentication", "document", "enhanced-kyc", "basic-kyc"):
        form = portal.get(f"/portal/smartcheck?product={product}")
        assert form.status_code == 200 and 'id="smartcheck-form"' in form.text, product


def test_an_auditor_may_not_run_smartcheck_but_may_read_a_result(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    smile_job_id = add_job(runtime, team[PortalRole.AUDITOR].partner_id, job_type=5)
    sign_in(portal, team[PortalRole.AUDITOR])
    assert 'href="/portal/smartcheck"' not in portal.get("/portal/").text
    assert portal.get("/portal/smartcheck").status_code == 403
    assert portal.get("/portal/smartcheck?product=enhanced-kyc").status_code == 403
    token = csrf_of(portal.get("/portal/").text)
    refused = portal.post(
        "/portal/smartcheck",
        data={"csrf_token": token, "product": "enhanced-kyc", "id": "NG:BVN", "id_number": "00000000000"},
    )
    assert refused.status_code == 403
    assert job_count(runtime) == 1
    result = portal.get(f"/portal/smartcheck/{smile_job_id}")
    assert result.status_code == 200 and shown(result.text, "result-code") == "1012"


def test_signing_in_comes_first(portal: TestClient) -> None:
    answer = portal.get("/portal/smartcheck")
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/login"


# --- each product runs to a result -------------------------------------------------------------


@pytest.mark.slow
def test_a_registration_then_an_authentication_run_through_the_queue(
    runtime: Runtime,
    portal: TestClient,
    operator: Member,
    partner: PartnerCreds,
    selfie: bytes,
    examples: Path,
    receiver: CallbackReceiver,
) -> None:
    with transaction(runtime.sessions) as db:
        row = db.get(Partner, partner.partner_id)
        assert row is not None
        row.sandbox_callback_url = receiver.url

    smile_job_id = submitted(run(portal, "registration", files=[image("selfie", selfie)]))
    waiting = portal.get(f"/portal/smartcheck/{smile_job_id}")
    assert waiting.status_code == 200
    assert shown(waiting.text, "state") == "queued" and 'id="waiting"' in waiting.text
    assert '<meta http-equiv="refresh" content="3">' in waiting.text

    job = stored(runtime, smile_job_id)
    assert job.partner_id == partner.partner_id and job.environment == "sandbox"
    assert job.api_key_id == f"portal:{operator.id}" and job.job_type == 4
    assert job.user_id.startswith("smartcheck-") and job.job_id.startswith("smartcheck-")

    process_queue(runtime, smile_job_id)
    done = portal.get(f"/portal/smartcheck/{smile_job_id}")
    assert "http-equiv" not in done.text and 'id="waiting"' not in done.text
    assert shown(done.text, "state") == "complete"
    assert shown(done.text, "result-code") == "0840", done.text
    assert shown(done.text, "result-text") == "Enroll User"
    assert 'id="actions"' in done.text and "Liveness Check" in done.text
    assert f"user_id={job.user_id}" in done.text  # "Authenticate this user"

    # The partner's default callback got it, signed with its sandbox key (no key sent the job).
    for delivery_id, attempt in callbacks.claim_due(runtime):
        callbacks.deliver(runtime, delivery_id, attempt)
    [callback] = receiver.accepted(smile_job_id)
    assert callback["ResultCode"] == "0840"
    assert Signature(partner.partner_id, partner.sandbox_key).confirm_signature(
        callback["timestamp"], callback["signature"]
    )

    again = submitted(
        run(
            portal,
            "authentication",
            {"user_id": job.user_id},
            files=[image("selfie", (examples / "obama2.jpg").read_bytes())],
        )
    )
    process_queue(runtime, again)
    authenticated = portal.get(f"/portal/smartcheck/{again}")
    assert shown(authenticated.text, "result-code") == "0820", authenticated.text
    assert stored(runtime, again).user_id == job.user_id

    listed = portal.get("/portal/jobs")
    assert smile_job_id in listed.text and again in listed.text

    with transaction(runtime.sessions) as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.action == "job.submitted")).all()
        assert {event.target_id for event in events} == {smile_job_id, again}
        assert {(event.actor_type, event.actor_id) for event in events} == {("portal_user", str(operator.id))}


@pytest.mark.slow
def test_a_document_verification_runs_through_the_queue(
    runtime: Runtime, portal: TestClient, operator: Member, examples: Path, docs_dir: Path
) -> None:
    front = (docs_dir / "konstantint+PassportEye" / "tests" / "data" / "passport-td3.jpg").read_bytes()
    smile_job_id = submitted(
        run(
            portal,
            "document",
            {"document": "KE:PASSPORT"},
            files=[image("selfie", (examples / "obama2.jpg").read_bytes()), image("id_front", front)],
        )
    )
    job = stored(runtime, smile_job_id)
    assert job.job_type == 6 and job.state == JobState.QUEUED
    process_queue(runtime, smile_job_id)
    job = stored(runtime, smile_job_id)
    assert job.result is not None and job.result["ResultType"] == "Document Verification"
    page = portal.get(f"/portal/smartcheck/{smile_job_id}").text
    assert shown(page, "result-code") == job.result["ResultCode"]
    assert "Verify Document" in page and "Document Check" in page, page


def test_enhanced_kyc_answers_at_once_with_the_sandbox_record(
    runtime: Runtime, portal: TestClient, operator: Member
) -> None:
    answer = run(portal, "enhanced-kyc", {"id": "NG:BVN", "id_number": "00000000000"})
    smile_job_id = submitted(answer)
    job = stored(runtime, smile_job_id)
    assert job.state == JobState.COMPLETE and job.job_type == 5
    assert job.api_key_id == f"portal:{operator.id}"
    assert job.result is not None and job.result["ResultCode"] == "1012"
    page = portal.get(f"/portal/smartcheck/{smile_job_id}").text
    assert shown(page, "result-code") == "1012" and shown(page, "result-text") == "ID Number Validated"
    assert "Verify ID Number" in page and "Verified" in page
    assert smile_job_id in portal.get("/portal/jobs").text


def test_basic_kyc_matches_the_details_given(runtime: Runtime, portal: TestClient, operator: Member) -> None:
    missing = run(portal, "basic-kyc", {"id": "NG:BVN", "id_number": "00000000000"})
    assert missing.status_code == 400 and "first_name" in missing.text
    answer = run(
        portal,
        "basic-kyc",
        {"id": "NG:BVN", "id_number": "00000000000", "first_name": "Someone", "dob": "1990-01-01"},
    )
    job = stored(runtime, submitted(answer))
    assert job.result is not None and job.result["ResultType"] == "ID Verification"
    assert "Names" in job.result["Actions"] and job.result["Actions"]["Verify_ID_Number"] == "Verified"


def test_production_only_once_it_is_enabled(
    runtime: Runtime, portal: TestClient, operator: Member, partner: PartnerCreds
) -> None:
    fields = {"id": "NG:BVN", "id_number": "00000000000", "environment": "production"}
    refused = run(portal, "enhanced-kyc", fields)
    assert refused.status_code == 403 and "Production is not enabled" in refused.text
    assert 'value="production"' not in portal.get("/portal/smartcheck?product=enhanced-kyc").text
    with transaction(runtime.sessions) as db:
        partners.set_production_enabled(db_session=db, partner_id=partner.partner_id, enabled=True)
    assert 'value="production"' in portal.get("/portal/smartcheck?product=enhanced-kyc").text
    job = stored(runtime, submitted(run(portal, "enhanced-kyc", fields)))
    assert job.environment == Environment.PRODUCTION


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("product", "fields", "files", "status", "says"),
    [
        ("registration", {}, [], 400, "Choose one selfie"),
        ("registration", {}, [image("selfie", b"this is no image")], 400, "is not a usable image"),
        ("registration", {}, [image("selfie", b"\xff\xd8\xff\xe0" + b"\x00" * 64)], 400, "cannot be used"),
        ("authentication", {}, "selfie", 400, "Type the user ID"),
        ("authentication", {"user_id": "nobody"}, "selfie", 400, "(code 2210)"),
        ("registration", {}, "two-frames", 400, "4 to 8"),
        ("document", {"document": "KE:PASSPORT"}, "selfie", 400, "document&#39;s front"),
        ("document", {"document": "XX:NOTHING"}, "selfie+front", 400, "from the list"),
        ("document", {"document": "KE"}, "selfie+front", 400, "from the list"),
        ("enhanced-kyc", {"id": "NG:NOPE", "id_number": "1"}, [], 400, "Unsupported ID type"),
        ("enhanced-kyc", {"id": "NG:BVN"}, [], 400, "id_number is required"),
        (
            "enhanced-kyc",
            {"id": "NG:BVN", "id_number": "00000000000", "dob": "1/2/90"},
            [],
            400,
            "YYYY-MM-DD",
        ),
        ("enhanced-kyc", {"id": "NG:BVN", "id_number": "1", "environment": "moon"}, [], 400, "sandbox"),
        ("nothing", {}, [], 404, "Unknown product"),
    ],
)
def test_bad_files_and_fields_are_a_4xx_page_and_open_no_job(
    runtime: Runtime,
    portal: TestClient,
    operator: Member,
    selfie: bytes,
    product: str,
    fields: dict[str, str],
    files: Any,
    status: int,
    says: str,
) -> None:
    named = {
        "selfie": [image("selfie", selfie)],
        "two-frames": [image("selfie", selfie), image("liveness", selfie), image("liveness", selfie)],
        "selfie+front": [image("selfie", selfie), image("id_front", selfie)],
    }
    sent = named[files] if isinstance(files, str) else files
    data = {"product": product, "csrf_token": form_token(portal), **fields}
    answer = portal.post("/portal/smartcheck", data=data, files=sent or None)
    assert answer.status_code == status, answer.text[:500]
    assert says in answer.text and "<html" in answer.text
    assert job_count(runtime) == 0


def test_a_file_where_text_belongs_is_refused(portal: TestClient, operator: Member, selfie: bytes) -> None:
    data = {"product": "registration", "csrf_token": form_token(portal)}
    answer = portal.post(
        "/portal/smartcheck", data=data, files=[image("selfie", selfie), image("user_id", selfie)]
    )
    assert answer.status_code == 400 and "must be text" in answer.text


def test_a_form_over_the_limit_is_refused_before_it_is_read(
    tmp_path: Path, selfie: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime(tmp_path, max_multipart_body=64 * 1024)
    member = add_member(runtime, make_partner(runtime).partner_id, PortalRole.OPERATOR)
    with TestClient(create_app(runtime), follow_redirects=False) as portal:
        sign_in(portal, member)
        data = {"product": "registration", "csrf_token": form_token(portal)}
        big = portal.post("/portal/smartcheck", data=data, files=[image("selfie", b"\xff" * 70 * 1024)])
        assert big.status_code == 413 and "Too large" in big.text
        # A body that declares no length is counted as it arrives.
        chunks = [b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n', b"y" * 80 * 1024]
        chunked = portal.post(
            "/portal/smartcheck",
            content=iter(chunks),
            headers={"content-type": "multipart/form-data; boundary=x"},
        )
        assert chunked.status_code == 413
        text = portal.post(
            "/portal/smartcheck",
            content=b"a=" + b"b" * (1024 * 1024 + 1),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert text.status_code == 413
    assert job_count(runtime) == 0


def test_files_from_a_visitor_who_has_not_signed_in_are_refused_unread(
    runtime: Runtime, portal: TestClient, selfie: bytes
) -> None:
    # The large limit is for SmartCheck's images, sent from a signed-in page: without a session
    # the body is not read at all (nobody can make the server spool megabytes anonymously).
    for path in ("/portal/smartcheck", "/portal/login"):
        answer = portal.post(path, data={"csrf_token": "x"}, files=[image("selfie", selfie)])
        assert answer.status_code == 403 and "Sign in first" in answer.text, path
    assert job_count(runtime) == 0


def test_a_malformed_multipart_body_is_a_400_page(portal: TestClient, operator: Member) -> None:
    answer = portal.post(
        "/portal/smartcheck",
        content=b"--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--\r\n",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert 400 <= answer.status_code < 500


def test_the_result_of_another_partners_job_or_of_no_job_is_a_404(
    runtime: Runtime, portal: TestClient, operator: Member
) -> None:
    theirs = add_job(runtime, make_partner(runtime, "Other").partner_id)
    for smile_job_id in (theirs, "0000000000", "not-a-job", "9" * 40):
        answer = portal.get(f"/portal/smartcheck/{smile_job_id}")
        assert answer.status_code == 404 and "No such job" in answer.text, smile_job_id


def test_a_portal_jobs_callback_is_abandoned_when_no_active_key_can_sign_it(
    runtime: Runtime, partner: PartnerCreds, receiver: CallbackReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    smile_job_id = add_job(runtime, partner.partner_id, job_type=5)
    with transaction(runtime.sessions) as db:
        job = db.get(Job, smile_job_id)
        assert job is not None
        job.api_key_id = "portal:7"
        for key in partners.list_keys(db_session=db, partner_id=partner.partner_id):
            partners.revoke_key(db_session=db, partner_id=partner.partner_id, key_id=key.id)
        delivery = callbacks.schedule(
            db_session=db,
            job=job,
            payload={"ResultCode": "1012"},
            url=receiver.url,
            horizon=timedelta(hours=1),
        )
        delivery_id = delivery.id
    with caplog.at_level(logging.WARNING, logger="openkyc.callbacks.service"):
        assert callbacks.deliver(runtime, delivery_id, 0) is False
    assert receiver.received == []
    with transaction(runtime.sessions) as db:
        stored_delivery = db.get(CallbackDelivery, delivery_id)
        assert stored_delivery is not None and stored_delivery.abandoned
    assert "no active sandbox API key" in caplog.text
