"""The hosted capture page over HTTP: the page, its visits, quality feedback and submissions."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from openkyc.app import create_app
from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job
from openkyc.links import limits, manage
from openkyc.links.capture import CAPTURE_HEADER, VISIT_COOKIE
from openkyc.links.models import SmileLink, WebToken
from openkyc.partners.models import Partner
from openkyc.runtime import Runtime
from tests.server import PartnerCreds

TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata"
FACE = TESTDATA / "faces" / "ageitgey+face_recognition" / "examples" / "obama.jpg"
PASSPORT = TESTDATA / "docs" / "konstantint+PassportEye" / "tests" / "data" / "passport-td3.jpg"
FROM_PAGE = {CAPTURE_HEADER: "1"}
ID_TYPES = [
    {"country": "KE", "id_type": "PASSPORT", "verification_method": "doc_verification"},
    {"country": "NG", "id_type": "NIN", "verification_method": "enhanced_kyc"},
    {"country": "NG", "id_type": "NIN_V2", "verification_method": "biometric_kyc"},
]


def make_link(runtime: Runtime, partner: PartnerCreds, **fields: Any) -> SmileLink:
    body = {
        "name": "Onboarding",
        "company_name": "Acme Bank",
        "id_types": ID_TYPES,
        "data_privacy_policy_url": "https://acme.example/privacy",
        "callback_url": "https://acme.example/callback",
        "partner_params": {"campaign": "spring"},
        **fields,
    }
    with transaction(runtime.sessions) as session:
        link = manage.create_link(
            session,
            partner_id=partner.partner_id,
            environment="sandbox",
            fields=manage.fields_of(body, now=utcnow()),
            created_by="api:test",
            now=utcnow(),
        )
        session.expunge(link)
        return link


@pytest.fixture
def page_client(runtime: Runtime) -> Iterator[TestClient]:
    # The page's own origin, as a browser would send it.
    with TestClient(
        create_app(runtime), raise_server_exceptions=False, base_url="https://kyc.example"
    ) as client:
        yield client


def start(client: TestClient, link: SmileLink, choice: int = 0) -> dict[str, Any]:
    answer = client.post(
        f"/verify/{link.slug}/start", json={"consent": True, "choice": choice}, headers=FROM_PAGE
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (640, 480)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def submit(client: TestClient, **parts: Any) -> Any:
    files = [(name, (f"{name}.jpg", data, "image/jpeg")) for name, data in parts.pop("files", [])]
    return client.post("/verify/session/submit", data=parts, files=files or None, headers=FROM_PAGE)


def jobs_of(runtime: Runtime, link: SmileLink) -> list[Job]:
    with transaction(runtime.sessions) as session:
        found = session.query(Job).filter(Job.api_key_id == manage.source_key(link.ref_id)).all()
        for job in found:
            session.expunge(job)
        return found


# --- the page -----------------------------------------------------------------------------------


def test_the_page_names_the_partner_and_loads_only_from_this_origin(
    runtime: Runtime, partner: PartnerCreds, page_client: TestClient
) -> None:
    link = make_link(runtime, partner)
    page = page_client.get(f"/verify/{link.slug}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Acme Bank" in page.text
    assert 'href="https://acme.example/privacy"' in page.text
    assert 'name="viewport" content="width=device-width' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "http" not in policy and "unsafe-inline" not in policy
    assert page.headers["permissions-policy"].startswith("camera=(self)")
    # Everything the page loads (scripts, styles, images) is on this origin; the privacy policy
    # is a link the visitor may follow, not something the page loads.
    loaded = re.findall(r'<(?:script|img)[^>]*\bsrc="([^"]+)"|<link[^>]*\bhref="([^"]+)"', page.text)
    urls = [a or b for a, b in loaded]
    assert urls and all(url.startswith("/verify/") for url in urls), urls
    for url in urls:
        asset = page_client.get(url)
        assert asset.status_code == 200, url
    # Each offered ID type, by the names the documents use.
    assert "Passport" in page.text and "Kenya" in page.text and "Nigeria" in page.text


@pytest.mark.parametrize(
    ("change", "status", "title"),
    [
        ({"disabled_at": utcnow()}, 410, "Link disabled"),
        ({"expires_at": utcnow() - timedelta(seconds=1)}, 410, "Link expired"),
        ({"is_single_use": True, "spent_at": utcnow()}, 410, "Link already used"),
    ],
)
def test_a_closed_link_says_why_and_starts_nothing(
    runtime: Runtime,
    partner: PartnerCreds,
    page_client: TestClient,
    change: dict[str, Any],
    status: int,
    title: str,
) -> None:
    link = make_link(runtime, partner)
    with transaction(runtime.sessions) as session:
        stored = session.get(SmileLink, link.ref_id)
        assert stored is not None
        for name, value in change.items():
            setattr(stored, name, value)
    page = page_client.get(f"/verify/{link.slug}")
    assert page.status_code == status and title in page.text
    refused = page_client.post(
        f"/verify/{link.slug}/start", json={"consent": True, "choice": 0}, headers=FROM_PAGE
    )
    assert refused.status_code == 410 and refused.json()["success"] is False


def test_an_unknown_link_is_a_404_page(page_client: TestClient) -> None:
    page = page_client.get("/verify/no-such-link")
    assert page.status_code == 404 and "Link not found" in page.text


# --- starting a visit ---------------------------------------------------------------------------


def test_a_visit_starts_with_consent_and_an_id_type_and_holds_its_token_in_a_strict_cookie(
    runtime: Runtime, partner: PartnerCreds, page_client: TestClient
) -> None:
    link = make_link(runtime, partner)
    answer = page_client.post(
        f"/verify/{link.slug}/start", json={"consent": True, "choice": 0}, headers=FROM_PAGE
    )
    assert answer.status_code == 200
    assert answer.json()["steps"] == ["selfie", "document"]
    assert answer.json()["id_type"]["name"] == "Passport"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{VISIT_COOKIE}=")
    for flag in ("HttpOnly", "Path=/verify", "SameSite=strict", "Secure"):
        assert flag in cookie, cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    assert token not in answer.text  # the script never sees it
    with transaction(runtime.sessions) as session:
        visit = session.query(WebToken).one()
        assert visit.link_ref_id == link.ref_id and (visit.country, visit.id_type) == ("KE", "PASSPORT")
        assert visit.product == "doc_verification" and visit.callback_url == "https://acme.example/callback"
        assert visit.api_key_id == manage.source_key(link.ref_id)
    number = start(page_client, link, 1)
    assert number["steps"] == ["id_number"] and number["id_type"]["test_number"]
    assert start(page_client, link, 2)["steps"] == ["id_number", "selfie"]


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, {"consent": True, "choice": 0}, 403),  # not the page's script
        ({**FROM_PAGE, "Origin": "https://evil.example"}, {"consent": True, "choice": 0}, 403),
        (FROM_PAGE, {"choice": 0}, 400),  # no consent
        (FROM_PAGE, {"consent": "yes", "choice": 0}, 400),
        (FROM_PAGE, {"consent": True}, 400),
        (FROM_PAGE, {"consent": True, "choice": 7}, 400),
        (FROM_PAGE, {"consent": True, "choice": True}, 400),
        (FROM_PAGE, {"consent": True, "choice": "0"}, 400),
    ],
)
def test_a_visit_is_refused_without_the_page_consent_or_a_listed_choice(
    runtime: Runtime,
    partner: PartnerCreds,
    page_client: TestClient,
    headers: dict[str, str],
    body: dict[str, Any],
    status: int,
) -> None:
    link = make_link(runtime, partner)
    answer = page_client.post(f"/verify/{link.slug}/start", json=body, headers=headers)
    assert answer.status_code == status and answer.json()["success"] is False
    assert "set-cookie" not in answer.headers


def test_visits_from_one_client_are_rate_limited(
    runtime: Runtime, partner: PartnerCreds, page_client: TestClient
) -> None:
    link = make_link(runtime, partner)
    for _ in range(limits.LIMITS[limits.Action.VISIT].per_client):
        start(page_client, link)
    refused = page_client.post(
        f"/verify/{link.slug}/start", json={"consent": True, "choice": 0}, headers=FROM_PAGE
    )
    assert refused.status_code == 429 and refused.json()["code"] == "2429"


# --- quality feedback ---------------------------------------------------------------------------


def check(client: TestClient, kind: str, data: bytes) -> Any:
    return client.post(
        "/verify/session/check",
        data={"kind": kind},
        files={"image": ("picture.jpg", data, "image/jpeg")},
        headers=FROM_PAGE,
    )


def codes(answer: Any) -> list[str]:
    return [problem["code"] for problem in answer.json()["problems"]]


def test_quality_feedback_names_what_to_fix(
    runtime: Runtime, partner: PartnerCreds, page_client: TestClient
) -> None:
    link = make_link(runtime, partner)
    assert check(page_client, "selfie", FACE.read_bytes()).status_code == 403  # no visit yet
    start(page_client, link)
    good = check(page_client, "selfie", FACE.read_bytes()).json()
    assert good == {"ok": True, "problems": []}
    assert codes(check(page_client, "selfie", jpeg((128, 128, 128)))) == ["no_face"]
    assert codes(check(page_client, "selfie", jpeg((5, 5, 5)))) == ["no_face", "too_dark"]
    assert codes(check(page_client, "document", jpeg((8, 8, 8))))[0] == "too_dark"
    assert codes(check(page_client, "selfie", b"not an image")) == ["unreadable"]
    # A face far away in a wide picture: move closer.
    wide = Image.new("RGB", (2000, 1500), (120, 130, 140))
    face = Image.open(FACE).convert("RGB")
    wide.paste(face.resize((500, round(500 * face.height / face.width))), (750, 450))
    buffer = io.BytesIO()
    wide.save(buffer, "JPEG")
    assert "move_closer" in codes(check(page_client, "selfie", buffer.getvalue()))
    refused = page_client.post(
        "/verify/session/check",
        data={"kind": "passport"},
        files={"image": ("a.jpg", jpeg((9, 9, 9)), "image/jpeg")},
        headers=FROM_PAGE,
    )
    assert refused.status_code == 400


# --- submissions --------------------------------------------------------------------------------


def test_a_document_verification_becomes_the_links_job_once(
    runtime: Runtime, partner: PartnerCreds, page_client: TestClient
) -> None:
    link = make_link(runtime, partner)
    start(page_client, link)
    frames = [("liveness", FACE.read_bytes())] * 8
    sent = submit(
        page_client, files=[("selfie", FACE.read_bytes()), *frames, ("id_front", PASSPORT.read_bytes())]
    )
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"success": True, "next": f"/verify/{link.slug}/done"}  # no decision in it
    (job,) = jobs_of(runtime, link)
    assert job.job_type == 6 and job.environment == "sandbox" and job.state == "queued"
    assert job.callback_url == "https://acme.example/callback"
    assert job.partner_params["campaign"] == "spring" and job.partner_params["ref_id"] == link.ref_id
    assert job.job_id.startswith("link-") and job.user_id.startswith("user_")
    again = submit(page_client, files=[("selfie", FACE.read_bytes()), ("id_front", PASSPORT.read_bytes())])
    assert again.status_code == 409
    with transaction(runtime.sessions) as session:
        visit = session.query(WebToken).one()
        assert visit.smile_job_id == job.smile_job_id and visit.submitted_at is not None
        stored = session.get(SmileLink, link.ref_id)
        assert stored is not None and manage.jobs_of(session, stored).total == 1
    done = page_client.get(f"/verify/{link.slug}/done")
    assert done.status_code == 200 and "Acme Bank" in done.text


def test_a_single_use_link_gives_one_job_and_then_refuses_visits(
    runtime: Runtime, partner: PartnerCreds, page_client: TestClient
) -> None:
    link = make_link(runtime, partner, is_single_use=True, user_id="customer-42")
    start(page_client, link)
    other = TestClient(page_client.app, raise_server_exceptions=False, base_url="https://kyc.example")
    start(other, link)  # a second tab: both may start, only one job results
    sent = submit(page_client, files=[("selfie", FACE.read_bytes()), ("id_front", PASSPORT.read_bytes())])
    assert sent.status_code == 200
    late = submit(other, files=[("selfie", FACE.read_bytes()), ("id_front", PASSPORT.read_bytes())])
    assert late.status_code == 410
    (job,) = jobs_of(runtime, link)
    assert job.user_id == "customer-42"
    assert page_client.get(f"/verify/{link.slug}").status_code == 410
    assert page_client.get(f"/verify/{link.slug}/done").status_code == 200


def test_a_refused_submission_may_be_corrected_and_sent_again(
    runtime: Runtime, partner: PartnerCreds, page_client: TestClient
) -> None:
    link = make_link(runtime, partner, is_single_use=True)
    start(page_client, link)
    missing = submit(page_client, files=[("selfie", FACE.read_bytes())])
    assert missing.status_code == 400 and missing.json()["code"] == "2213"
    corrupt = submit(
        page_client, files=[("selfie", b"\xff\xd8 not really"), ("id_front", PASSPORT.read_bytes())]
    )
    assert corrupt.status_code == 400 and corrupt.json()["success"] is False
    assert jobs_of(runtime, link) == []
    with transaction(runtime.sessions) as session:
        stored = session.get(SmileLink, link.ref_id)
        assert stored is not None and stored.spent_at is None  # the refused tries spent nothing
    sent = submit(page_client, files=[("selfie", FACE.read_bytes()), ("id_front", PASSPORT.read_bytes())])
    assert sent.status_code == 200, sent.text
    assert len(jobs_of(runtime, link)) == 1


def test_an_enhanced_kyc_visit_looks_the_number_up(
    runtime: Runtime, partner: PartnerCreds, page_client: TestClient
) -> None:
    link = make_link(runtime, partner)
    number = start(page_client, link, 1)["id_type"]["test_number"]
    sent = submit(page_client, id_number=number, first_name="Ada")
    assert sent.status_code == 200, sent.text
    (job,) = jobs_of(runtime, link)
    assert job.job_type == 5 and job.state == "complete"
    assert job.result is not None and job.result["ResultCode"] == "1012"
    assert job.partner_params["ref_id"] == link.ref_id


def test_a_biometric_kyc_visit_sends_its_number_with_the_selfie(
    runtime: Runtime, partner: PartnerCreds, page_client: TestClient
) -> None:
    link = make_link(runtime, partner)
    number = start(page_client, link, 2)["id_type"]["test_number"]
    assert submit(page_client, files=[("selfie", FACE.read_bytes())]).status_code == 400  # no number
    sent = submit(page_client, id_number=number, files=[("selfie", FACE.read_bytes())])
    assert sent.status_code == 200, sent.text
    (job,) = jobs_of(runtime, link)
    assert job.job_type == 1 and job.state == "queued"


def test_submissions_without_a_visit_or_from_elsewhere_are_refused(
    runtime: Runtime, partner: PartnerCreds, page_client: TestClient
) -> None:
    link = make_link(runtime, partner)
    assert submit(page_client, files=[("selfie", FACE.read_bytes())]).status_code == 403
    start(page_client, link)
    elsewhere = page_client.post(
        "/verify/session/submit", files={"selfie": ("s.jpg", FACE.read_bytes(), "image/jpeg")}
    )
    assert elsewhere.status_code == 403
    page_client.cookies.set(VISIT_COOKIE, "forged-token", domain="kyc.example", path="/verify")
    assert submit(page_client, files=[("selfie", FACE.read_bytes())]).status_code == 403


def test_the_logo_is_served_from_this_server(
    runtime: Runtime, partner: PartnerCreds, page_client: TestClient
) -> None:
    link = make_link(runtime, partner)
    assert page_client.get(f"/verify/{link.slug}/logo.png").status_code == 404
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), (200, 10, 10)).save(buffer, "PNG")
    with transaction(runtime.sessions) as session:
        stored = session.get(SmileLink, link.ref_id)
        assert stored is not None
        stored.logo_png = buffer.getvalue()
    logo = page_client.get(f"/verify/{link.slug}/logo.png")
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/png"
    assert f'src="/verify/{link.slug}/logo.png"' in page_client.get(f"/verify/{link.slug}").text


def test_a_production_link_closes_while_production_is_switched_off(
    runtime: Runtime, partner: PartnerCreds, page_client: TestClient
) -> None:
    link = make_link(runtime, partner)
    with transaction(runtime.sessions) as session:
        stored = session.get(SmileLink, link.ref_id)
        owner = session.get(Partner, partner.partner_id)
        assert stored is not None and owner is not None
        stored.environment, owner.production_enabled = "production", True
    start(page_client, link)
    with transaction(runtime.sessions) as session:
        owner = session.get(Partner, partner.partner_id)
        assert owner is not None
        owner.production_enabled = False
    assert page_client.get(f"/verify/{link.slug}").status_code == 410
    late = submit(page_client, files=[("selfie", FACE.read_bytes()), ("id_front", PASSPORT.read_bytes())])
    assert late.status_code == 410 and jobs_of(runtime, link) == []
