"""Verification links in the portal: the form (each kind of refusal next to its field), the list,
a link's page (URL, QR code, settings, jobs), Disable / Enable with their audit rows, roles,
isolation between partners, and a link's jobs named "Link: <name>" on the job pages."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image
from sqlalchemy import select, update

from openkyc.audit.models import AuditEvent
from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job, JobState
from openkyc.links import manage
from openkyc.links.logo import MAX_LOGO_BYTES
from openkyc.links.models import SmileLink
from openkyc.partners.models import Partner
from openkyc.portal import link_pages
from openkyc.portal.models import PortalRole
from openkyc.runtime import Runtime
from tests.portal.helpers import Member, add_job, csrf_of, sign_in
from tests.server import PartnerCreds, make_partner

PASSPORT = "NG:PASSPORT:doc_verification"
NIN_BIOMETRIC = "NG:NIN:biometric_kyc"
_LINK_PAGE = re.compile(r"^/portal/links/([0-9a-f-]{36})$")


def _form(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": "Onboarding",
        "company_name": "Acme Lending",
        "id_types": [PASSPORT, NIN_BIOMETRIC],
        "data_privacy_policy_url": "https://acme.example/privacy",
        "callback_url": "https://acme.example/smile-callback",
        "environment": "sandbox",
        "partner_params": "campaign=spring\nbranch = north\n",
    }
    fields.update(changes)
    return {name: value for name, value in fields.items() if value is not None}


def _png(width: int, height: int, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def create(
    portal: TestClient, fields: dict[str, Any], logo: tuple[str, bytes, str] | None = None
) -> Response:
    token = csrf_of(portal.get("/portal/links/new").text)
    # The browser's form is multipart (it has a file input): an empty file part for no logo.
    files = {"logo": logo or ("", b"", "application/octet-stream")}
    answer: Response = portal.post("/portal/links/new", data={**fields, "csrf_token": token}, files=files)
    return answer


def created(answer: Response) -> str:
    assert answer.status_code == 303, answer.text[:600]
    found = _LINK_PAGE.match(answer.headers["location"])
    assert found is not None, answer.headers["location"]
    return found.group(1)


def stored(runtime: Runtime, ref_id: str) -> SmileLink:
    with transaction(runtime.sessions) as db:
        link = db.get(SmileLink, ref_id)
        assert link is not None
        db.expunge(link)
        return link


def links_of(runtime: Runtime) -> list[SmileLink]:
    with transaction(runtime.sessions) as db:
        return list(db.scalars(select(SmileLink)))


def events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with transaction(runtime.sessions) as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def make_link(runtime: Runtime, partner_id: str, **changes: Any) -> SmileLink:
    body = {
        "name": "Made elsewhere",
        "company_name": "Acme",
        "id_types": [{"country": "NG", "id_type": "PASSPORT", "verification_method": "doc_verification"}],
        "data_privacy_policy_url": "https://acme.example/privacy",
        **changes,
    }
    now = utcnow()
    with transaction(runtime.sessions) as db:
        link = manage.create_link(
            db,
            partner_id=partner_id,
            environment=str(body.pop("environment", "sandbox")),
            fields=manage.fields_of(body, now=now),
            created_by="api:key-1",
            now=now,
        )
        db.expunge(link)
        return link


def post(portal: TestClient, path: str, page: str) -> Response:
    answer: Response = portal.post(path, data={"csrf_token": csrf_of(portal.get(page).text)})
    return answer


def link_job(runtime: Runtime, partner_id: str, ref_id: str, *, success: bool = True, **kwargs: Any) -> str:
    """A job sent through link ``ref_id`` (its source), approved or not as a flow records it."""
    smile_job_id = add_job(runtime, partner_id, **kwargs)
    with transaction(runtime.sessions) as db:
        job = db.get(Job, smile_job_id)
        assert job is not None
        job.api_key_id = manage.source_key(ref_id)
        if job.result is not None:
            job.result = {**job.result, "_success": success}
    return smile_job_id


@pytest.fixture
def operator(portal: TestClient, team: dict[PortalRole, Member]) -> Member:
    sign_in(portal, team[PortalRole.OPERATOR])
    return team[PortalRole.OPERATOR]


# --- creating ------------------------------------------------------------------------------------


def test_the_form_offers_the_supported_id_types_per_method_and_the_partners_name(
    portal: TestClient, operator: Member
) -> None:
    form = portal.get("/portal/links/new")
    assert form.status_code == 200 and 'id="link-form"' in form.text
    assert 'name="company_name" value="Test partner"' in form.text
    for value in (
        PASSPORT,
        NIN_BIOMETRIC,
        "NG:NIN:enhanced_kyc",
        "GH:PASSPORT:enhanced_document_verification",
    ):
        assert f'value="{value}"' in form.text, value
    # Biometric KYC compares the selfie with the authority's photo: types without one are not offered.
    assert 'value="CI:NATIONAL_ID_NO_PHOTO:enhanced_kyc"' in form.text
    assert 'value="CI:NATIONAL_ID_NO_PHOTO:biometric_kyc"' not in form.text
    assert 'value="production"' not in form.text and "Production is not enabled" in form.text


def test_an_operator_creates_a_link_with_a_logo_and_it_is_audited(
    runtime: Runtime, portal: TestClient, operator: Member
) -> None:
    ref_id = created(create(portal, _form(), logo=("logo.png", _png(1200, 600), "image/png")))
    link = stored(runtime, ref_id)
    assert link.partner_id == operator.partner_id and link.environment == "sandbox"
    assert link.created_by == f"portal:{operator.id}"
    assert link.name == "Onboarding" and link.company_name == "Acme Lending"
    assert link.id_types == [
        {"country": "NG", "id_type": "PASSPORT", "verification_method": "doc_verification"},
        {"country": "NG", "id_type": "NIN", "verification_method": "biometric_kyc"},
    ]
    assert link.callback_url == "https://acme.example/smile-callback"
    assert link.partner_params == {"campaign": "spring", "branch": "north"}
    assert not link.is_single_use and link.user_id is None and link.expires_at is None
    assert link.logo_png is not None
    logo = Image.open(io.BytesIO(link.logo_png))
    assert logo.format == "PNG" and logo.size == (256, 128)
    [event] = events(runtime, "link.created")
    assert event.actor_type == "portal_user" and event.actor_id == str(operator.id)
    assert event.target_type == "link" and event.target_id == ref_id
    assert event.detail["id_types"] == 2 and event.detail["logo"] is True
    assert "spring" not in repr(event.detail) and "campaign" not in repr(event.detail)


def test_a_single_use_link_with_a_user_and_an_expiry_date(
    runtime: Runtime, portal: TestClient, operator: Member
) -> None:
    day = (utcnow() + timedelta(days=10)).date().isoformat()
    ref_id = created(
        create(
            portal,
            _form(
                is_single_use="true",
                user_id="customer-42",
                expires_at=day,
                callback_url="",
                partner_params="",
            ),
            logo=("logo.jpg", _jpeg(), "image/jpeg"),
        )
    )
    link = stored(runtime, ref_id)
    assert link.is_single_use and link.user_id == "customer-42" and link.callback_url is None
    assert link.expires_at is not None and link.expires_at.date().isoformat() == day
    assert link.partner_params == {}
    assert link.logo_png is not None and Image.open(io.BytesIO(link.logo_png)).format == "PNG"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def _past_day() -> str:
    return (utcnow() - timedelta(days=2)).date().isoformat()


REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    ("name", {"name": ""}, "name is required"),
    ("company_name", {"company_name": "   "}, "company_name is required"),
    ("id_types", {"id_types": None}, "at least one ID type"),
    ("id_types", {"id_types": ["NG:PASSPORT"]}, "from the list"),
    ("id_types", {"id_types": ["ZZ:PASSPORT:doc_verification"]}, "is not supported"),
    ("id_types", {"id_types": ["NG:PASSPORT:selfie_only"]}, "verification_method must be one of"),
    ("data_privacy_policy_url", {"data_privacy_policy_url": ""}, "is required"),
    ("data_privacy_policy_url", {"data_privacy_policy_url": "ftp://acme.example/p"}, "absolute http"),
    ("callback_url", {"callback_url": "acme.example/cb"}, "absolute http"),
    ("user_id", {"user_id": "customer-1"}, "user_id is for a single-use link"),
    ("is_single_use", {"is_single_use": "maybe"}, "must be true or false"),
    ("expires_at", {"expires_at": "next week"}, "ISO 8601"),
    ("expires_at", {"expires_at": "PAST"}, "in the future"),
    ("partner_params", {"partner_params": "campaign"}, "key=value"),
    ("partner_params", {"partner_params": "a=1\na=2"}, "a is set twice"),
    ("partner_params", {"partner_params": "job_id=7"}, "may not set job_id"),
    ("environment", {"environment": "production"}, "Production is not enabled"),
    ("environment", {"environment": "staging"}, "sandbox or production"),
]


@pytest.mark.parametrize(("field", "changes", "message"), REFUSALS)
def test_each_refusal_shows_the_form_again_with_the_message_at_its_field(
    runtime: Runtime, portal: TestClient, operator: Member, field: str, changes: dict[str, Any], message: str
) -> None:
    if changes.get("expires_at") == "PAST":
        changes = {"expires_at": _past_day()}
    answer = create(portal, _form(**changes))
    assert answer.status_code == 400, answer.text[:400]
    shown = re.search(rf'<p class="error" id="error-{field}" role="alert">([^<]*)</p>', answer.text)
    assert shown is not None, f"no message at {field}"
    assert message in shown.group(1).replace("&#39;", "'")
    assert 'id="link-form"' in answer.text and links_of(runtime) == []
    assert events(runtime, "link.created") == []
    # What was typed is kept.
    assert 'value="Acme Lending"' in answer.text or changes.get("company_name") is not None


@pytest.mark.parametrize(
    ("logo", "message"),
    [
        (("logo.gif", b"GIF89a" + b"\x00" * 64, "image/gif"), "PNG or JPEG"),
        (("logo.png", _png(40, 40)[:60], "image/png"), "PNG or JPEG"),
        (("logo.png", b"\x89PNG not really", "image/png"), "PNG or JPEG"),
        (("logo.png", b"\x00" * (MAX_LOGO_BYTES + 1), "image/png"), "larger than"),
    ],
)
def test_a_logo_that_is_no_usable_image_is_refused_at_the_logo_field(
    runtime: Runtime, portal: TestClient, operator: Member, logo: tuple[str, bytes, str], message: str
) -> None:
    answer = create(portal, _form(), logo=logo)
    assert answer.status_code == 400
    shown = re.search(r'id="error-logo" role="alert">([^<]*)<', answer.text)
    assert shown is not None and message in shown.group(1)
    assert links_of(runtime) == []


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, format="PNG")  # 64 Mpx in a few kB
    assert len(out.getvalue()) < 100_000
    with pytest.raises(manage.LinkError, match="The logo has 64000000 pixels") as refused:
        link_pages.normalised_logo(out.getvalue())
    assert refused.value.field == "logo"


def test_a_logo_is_turned_upright_and_transparency_kept() -> None:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored on its side: turn it 90° clockwise to show it
    out = io.BytesIO()
    image.save(out, format="PNG", exif=exif)
    logo = Image.open(io.BytesIO(link_pages.normalised_logo(out.getvalue())))
    assert logo.height == 256 and logo.width < 100  # upright: taller than wide
    corner = logo.getpixel((0, 0))
    assert logo.mode == "RGBA" and isinstance(corner, tuple) and corner[3] == 0


def test_production_is_offered_once_it_is_enabled(
    runtime: Runtime, portal: TestClient, operator: Member
) -> None:
    with transaction(runtime.sessions) as db:
        db.execute(update(Partner).where(Partner.id == operator.partner_id).values(production_enabled=True))
    assert 'value="production"' in portal.get("/portal/links/new").text
    ref_id = created(create(portal, _form(environment="production")))
    assert stored(runtime, ref_id).environment == "production"


def test_junk_in_the_form_is_a_4xx(runtime: Runtime, portal: TestClient, operator: Member) -> None:
    token = csrf_of(portal.get("/portal/links/new").text)
    for data in (
        {"name": "x" * 5000},
        {"name": "a\x00b"},
        {"partner_params": "k=" + "v" * 9000},
        {"id_types": ["é" * 300]},
    ):
        answer = portal.post("/portal/links/new", data={**_form(), **data, "csrf_token": token})
        assert 400 <= answer.status_code < 500, (data, answer.status_code)
    as_file = portal.post(
        "/portal/links/new",
        data={**_form(), "csrf_token": token},
        files={"name": ("name.txt", b"Onboarding", "text/plain")},
    )
    assert as_file.status_code == 400
    assert links_of(runtime) == []


# --- the list and a link's page ------------------------------------------------------------------


def test_the_list_explains_links_when_there_are_none(portal: TestClient, operator: Member) -> None:
    listing = portal.get("/portal/links")
    assert listing.status_code == 200 and 'id="no-links"' in listing.text
    assert "verification link" in listing.text and 'href="/portal/links/new"' in listing.text
    assert 'href="/portal/links">Links</a>' in listing.text  # the nav


def test_the_list_shows_each_link_with_its_state_and_jobs_and_filters_by_environment(
    runtime: Runtime, portal: TestClient, operator: Member
) -> None:
    sandbox = make_link(runtime, operator.partner_id, name="Sandbox link")
    single = make_link(
        runtime, operator.partner_id, name="For one", is_single_use=True, environment="production"
    )
    spent = make_link(runtime, operator.partner_id, name="Spent", is_single_use=True)
    with transaction(runtime.sessions) as db:
        db.execute(update(SmileLink).where(SmileLink.ref_id == spent.ref_id).values(spent_at=utcnow()))
    link_job(runtime, operator.partner_id, sandbox.ref_id, result_code="1012")
    link_job(runtime, operator.partner_id, sandbox.ref_id, state=JobState.QUEUED, result_code=None)
    listing = portal.get("/portal/links").text
    rows = {}
    for ref_id in (sandbox.ref_id, single.ref_id, spent.ref_id):
        row = re.search(rf'<tr id="link-{ref_id}">(.*?)</tr>', listing, re.S)
        assert row is not None, "a link is missing from the list"
        rows[ref_id] = row.group(1)
    assert "Sandbox link" in rows[sandbox.ref_id] and "Nigeria: Passport" in rows[sandbox.ref_id]
    assert "multi use" in rows[sandbox.ref_id] and '<td class="state">active</td>' in rows[sandbox.ref_id]
    assert '<td class="jobs">2 ' in rows[sandbox.ref_id] and "1 pending" in rows[sandbox.ref_id]
    assert '<td class="state">active</td>' in rows[single.ref_id] and "single use" in rows[single.ref_id]
    assert '<td class="state">used</td>' in rows[spent.ref_id]
    production = portal.get("/portal/links?environment=production").text
    assert single.ref_id in production and sandbox.ref_id not in production
    assert portal.get("/portal/links?environment=staging").status_code == 400


def test_a_links_page_shows_its_url_qr_code_settings_and_jobs(
    runtime: Runtime, portal: TestClient, operator: Member
) -> None:
    ref_id = created(create(portal, _form(), logo=("logo.png", _png(64, 64), "image/png")))
    link = stored(runtime, ref_id)
    old = link_job(runtime, operator.partner_id, ref_id, created_at=utcnow() - timedelta(hours=2))
    new = link_job(runtime, operator.partner_id, ref_id, result_code="1013", success=False)
    other = add_job(runtime, operator.partner_id)  # sent with an API key: not the link's
    shown = portal.get(f"/portal/links/{ref_id}")
    assert shown.status_code == 200
    assert f'id="link-url" value="http://testserver/verify/{link.slug}"' in shown.text
    assert '<div class="qr" id="link-qr"' in shown.text and "<svg" in shown.text
    assert 'id="link-state">active<' in shown.text
    assert "Acme Lending" in shown.text and "https://acme.example/privacy" in shown.text
    assert "Nigeria: Passport" in shown.text and "Biometric KYC" in shown.text
    assert "campaign=spring" in shown.text and operator.email in shown.text
    assert 'src="data:image/png;base64,' in shown.text
    assert "2 in all: 1 passed, 1 failed, 0 pending." in shown.text
    latest = re.findall(r'href="/portal/jobs/(\d+)"', shown.text)
    assert latest == [new, old] and other not in shown.text
    assert 'id="disable-form"' in shown.text
    assert shown.headers["content-security-policy"].startswith("default-src 'none'")


def test_the_url_follows_the_configured_public_base_url(
    runtime: Runtime, portal: TestClient, operator: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = make_link(runtime, operator.partner_id)
    monkeypatch.setattr(runtime.settings, "public_base_url", "https://kyc.acme.example/")
    shown = portal.get(f"/portal/links/{link.ref_id}").text
    assert f'value="https://kyc.acme.example/verify/{link.slug}"' in shown


# --- disable / enable, roles, isolation ----------------------------------------------------------


def test_disable_and_enable_change_the_state_and_are_audited_once_each(
    runtime: Runtime, portal: TestClient, operator: Member
) -> None:
    link = make_link(runtime, operator.partner_id)
    page = f"/portal/links/{link.ref_id}"
    done = post(portal, f"{page}/disable", page)
    assert done.status_code == 303 and done.headers["location"] == page
    assert stored(runtime, link.ref_id).disabled_at is not None
    shown = portal.get(page).text
    assert 'id="link-state">disabled<' in shown and 'id="enable-form"' in shown
    assert post(portal, f"{page}/disable", page).status_code == 303  # already disabled: nothing recorded
    [disabled] = events(runtime, "link.disabled")
    assert disabled.actor_type == "portal_user" and disabled.actor_id == str(operator.id)
    assert disabled.target_id == link.ref_id and disabled.detail["environment"] == "sandbox"
    assert post(portal, f"{page}/enable", page).status_code == 303
    assert stored(runtime, link.ref_id).disabled_at is None
    [enabled] = events(runtime, "link.enabled")
    assert enabled.target_id == link.ref_id
    assert 'id="link-state">active<' in portal.get(page).text


def test_an_auditor_reads_links_but_cannot_create_disable_or_enable(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    auditor = team[PortalRole.AUDITOR]
    link = make_link(runtime, auditor.partner_id)
    sign_in(portal, auditor)
    listing = portal.get("/portal/links")
    assert listing.status_code == 200 and link.ref_id in listing.text
    assert 'href="/portal/links/new"' not in listing.text
    shown = portal.get(f"/portal/links/{link.ref_id}")
    assert shown.status_code == 200 and 'id="disable-form"' not in shown.text
    assert portal.get("/portal/links/new").status_code == 403
    token = csrf_of(listing.text)
    for path in (
        "/portal/links/new",
        f"/portal/links/{link.ref_id}/disable",
        f"/portal/links/{link.ref_id}/enable",
    ):
        assert portal.post(path, data={**_form(), "csrf_token": token}).status_code == 403, path
    assert len(links_of(runtime)) == 1 and stored(runtime, link.ref_id).disabled_at is None
    assert events(runtime, "link.disabled") == [] and events(runtime, "link.created") == []


@pytest.mark.parametrize("role", [PortalRole.ADMIN, PortalRole.OWNER])
def test_admins_and_owners_create_links_too(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member], role: PortalRole
) -> None:
    sign_in(portal, team[role])
    assert stored(runtime, created(create(portal, _form()))).created_by == f"portal:{team[role].id}"


def test_another_partners_link_is_unknown(runtime: Runtime, portal: TestClient, operator: Member) -> None:
    theirs = make_link(runtime, make_partner(runtime, name="Other partner").partner_id)
    assert portal.get(f"/portal/links/{theirs.ref_id}").status_code == 404
    for action in ("disable", "enable"):
        answer = post(portal, f"/portal/links/{theirs.ref_id}/{action}", "/portal/links")
        assert answer.status_code == 404
    assert stored(runtime, theirs.ref_id).disabled_at is None
    assert theirs.ref_id not in portal.get("/portal/links").text
    for junk in ("not-a-uuid", "0" * 500, "%00"):
        assert portal.get(f"/portal/links/{junk}").status_code == 404, junk


# --- a link's jobs on the job pages --------------------------------------------------------------


def test_a_links_job_names_the_link_on_the_job_page_and_in_the_list(
    runtime: Runtime, portal: TestClient, operator: Member
) -> None:
    link = make_link(runtime, operator.partner_id, name="Spring campaign")
    smile_job_id = link_job(runtime, operator.partner_id, link.ref_id)
    api_job = add_job(runtime, operator.partner_id)
    job = portal.get(f"/portal/jobs/{smile_job_id}").text
    assert f'<dd id="source"><a href="/portal/links/{link.ref_id}">Link: Spring campaign</a></dd>' in job
    assert '<dd id="source">API key test</dd>' in portal.get(f"/portal/jobs/{api_job}").text
    listing = portal.get("/portal/jobs").text
    assert f'<a href="/portal/links/{link.ref_id}">Link: Spring campaign</a>' in listing
    assert "<td>API key test</td>" in listing


def test_job_sources_name_portal_keys_and_unknown_links(runtime: Runtime, partner: PartnerCreds) -> None:
    mine = make_link(runtime, partner.partner_id, name="Mine")
    theirs = make_link(runtime, make_partner(runtime, name="Other").partner_id, name="Theirs")
    keys = [
        manage.source_key(mine.ref_id),
        manage.source_key(theirs.ref_id),
        "link:not-hex",
        "portal:7",
        "key-1",
    ]
    with transaction(runtime.sessions) as db:
        sources = link_pages.job_sources(db, partner.partner_id, keys)
    assert sources[keys[0]] == link_pages.JobSource("Link: Mine", mine.ref_id)
    assert sources[keys[1]] == sources[keys[2]] == link_pages.JobSource("Link (not found)")
    assert sources["portal:7"].label == "Portal (SmartCheck)" and sources["key-1"].label == "API key key-1"
