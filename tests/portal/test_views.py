"""The portal's routes: sign-in and cookies, CSRF, roles, 2FA, the rate limit, isolation, audit."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from openkyc.app import create_app
from openkyc.audit.models import AuditEvent
from openkyc.db import transaction, utcnow
from openkyc.portal import limits
from openkyc.portal.models import PortalRole, PortalSession, PortalUser
from openkyc.portal.routes import every_route
from openkyc.runtime import Runtime
from tests.portal.helpers import PASSWORD, Member, add_job, add_member, csrf_of, post_form, sign_in
from tests.server import PartnerCreds, make_partner, make_runtime

# POST routes any signed-in member may use on their own account, whatever their role, and the
# invitation link's, which needs no account at all.
SELF_SERVICE_POSTS = {"/portal/login", "/portal/login/totp", "/portal/logout", "/portal/account/two-factor"}
SELF_SERVICE_POSTS.add("/portal/invitations/{token}")


def _events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with transaction(runtime.sessions) as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _enrol(portal: TestClient) -> tuple[str, list[str]]:
    """Turn on 2FA for the signed-in member; the secret and the recovery codes shown."""
    page = portal.get("/portal/account/two-factor").text
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page)
    blob = re.search(r'name="enrolment" value="([^"]+)"', page)
    assert secret and blob and "<svg" in page and "otpauth://totp/" in page
    answer = portal.post(
        "/portal/account/two-factor",
        data={
            "csrf_token": csrf_of(page),
            "enrolment": blob.group(1),
            "code": pyotp.TOTP(secret.group(1)).now(),
        },
    )
    assert answer.status_code == 200, answer.text
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", answer.text)
    assert len(codes) == 10
    return secret.group(1), codes


def _sign_out(portal: TestClient) -> None:
    assert post_form(portal, "/portal/logout", {}, page="/portal/").status_code == 303


def test_sign_in_sets_a_strict_http_only_cookie_and_opens_the_home_page(
    portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    assert portal.get("/portal/").headers["location"] == "/portal/login"
    answer = sign_in(portal, team[PortalRole.OPERATOR])
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/portal" in cookie
    assert "secure" not in cookie  # plain HTTP here: a Secure cookie would never come back
    home = portal.get("/portal/")
    assert home.status_code == 200 and team[PortalRole.OPERATOR].email in home.text
    policy = home.headers["content-security-policy"]
    assert "form-action 'self'" in policy and "https:" not in policy and "http:" not in policy
    assert 'href="/portal/static/portal.css"' in home.text
    css = portal.get("/portal/static/portal.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_the_cookie_is_secure_over_tls(runtime: Runtime, team: dict[PortalRole, Member]) -> None:
    with TestClient(create_app(runtime), base_url="https://testserver", follow_redirects=False) as tls:
        answer = sign_in(tls, team[PortalRole.AUDITOR])
    assert "secure" in answer.headers["set-cookie"].lower()


def test_every_page_needs_a_signed_in_member(portal: TestClient) -> None:
    pages = [
        route.path for route in every_route() if "GET" in (route.methods or ()) and "{" not in route.path
    ]
    assert "/portal/jobs" in pages
    for path in pages:
        if path == "/portal/login":
            continue
        assert portal.get(path).headers.get("location") == "/portal/login", path


def test_a_wrong_password_and_an_unknown_address_get_one_answer_and_are_audited(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    wrong = sign_in(portal, team[PortalRole.OWNER], password="not the password at all")
    unknown = post_form(portal, "/portal/login", {"email": "nobody@example.test", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert (
        "Wrong e-mail address or password." in wrong.text
        and "Wrong e-mail address or password." in unknown.text
    )
    sign_in(portal, team[PortalRole.OWNER])
    events = _events(runtime, "portal.sign_in")
    assert [event.detail["outcome"] for event in events] == ["bad_password", "unknown_email", "success"]
    assert events[0].target_id == str(team[PortalRole.OWNER].id) and events[1].target_id == "-"
    for event in events:  # neither the password nor the address is written down
        text = repr(event.detail) + event.actor_id + event.target_id
        assert PASSWORD not in text and "@" not in text


def test_sign_in_is_rate_limited_per_address(portal: TestClient, team: dict[PortalRole, Member]) -> None:
    member = team[PortalRole.ADMIN]
    for _ in range(limits.PER_EMAIL):
        assert sign_in(portal, member, password="wrong password, again").status_code == 401
    limited = sign_in(portal, member)  # even the right password is not checked now
    assert limited.status_code == 429 and "Too many" in limited.text
    assert sign_in(portal, team[PortalRole.OWNER]).status_code == 303  # another address is not limited


def test_sign_in_is_rate_limited_per_client(portal: TestClient, team: dict[PortalRole, Member]) -> None:
    for attempt in range(limits.PER_CLIENT):
        post_form(portal, "/portal/login", {"email": f"guess{attempt}@example.test", "password": "x" * 12})
    assert sign_in(portal, team[PortalRole.OWNER]).status_code == 429


def test_a_post_without_the_csrf_token_is_refused(portal: TestClient, team: dict[PortalRole, Member]) -> None:
    member = team[PortalRole.OWNER]
    bare = portal.post("/portal/login", data={"email": member.email, "password": PASSWORD})
    assert bare.status_code == 403 and "CSRF" in bare.text
    sign_in(portal, member)
    forged = portal.post("/portal/settings/two-factor", data={"required": "yes", "csrf_token": "0" * 64})
    assert forged.status_code == 403 and "CSRF" in forged.text
    as_json = portal.post(
        "/portal/logout", data={"csrf_token": "nope"}, headers={"accept": "application/json"}
    )
    assert as_json.status_code == 403 and as_json.json()["success"] is False
    assert "CSRF" in as_json.json()["error"]
    assert portal.get("/portal/").status_code == 200  # still signed in: the forged logout did nothing


def test_a_token_from_another_session_does_not_pass(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    sign_in(portal, team[PortalRole.OWNER])
    with TestClient(create_app(runtime), follow_redirects=False) as other:
        sign_in(other, team[PortalRole.ADMIN])
        their_token = csrf_of(other.get("/portal/").text)
    answer = portal.post("/portal/settings/two-factor", data={"required": "yes", "csrf_token": their_token})
    assert answer.status_code == 403


def test_only_an_owner_sets_the_team_policy(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    for role in (PortalRole.AUDITOR, PortalRole.OPERATOR, PortalRole.ADMIN):
        sign_in(portal, team[role])
        refused = post_form(
            portal, "/portal/settings/two-factor", {"required": "yes"}, page="/portal/settings"
        )
        assert refused.status_code == 403 and "does not allow" in refused.text, role
        _sign_out(portal)
    assert _events(runtime, "portal.policy_changed") == []
    sign_in(portal, team[PortalRole.OWNER])
    early = post_form(portal, "/portal/settings/two-factor", {"required": "yes"}, page="/portal/settings")
    assert early.status_code == 409 and "your own account" in early.text  # it would lock the owner out
    _enrol(portal)
    done = post_form(portal, "/portal/settings/two-factor", {"required": "yes"}, page="/portal/settings")
    assert done.status_code == 303
    [event] = _events(runtime, "portal.policy_changed")
    assert event.detail == {"setting": "totp_required", "before": False, "after": True}
    assert event.actor_type == "portal_user" and event.actor_id == str(team[PortalRole.OWNER].id)


def test_an_auditor_cannot_post_to_any_route_that_changes_the_partner(
    portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    posts = [
        route.path
        for route in every_route()
        if "POST" in (route.methods or ()) and route.path not in SELF_SERVICE_POSTS
    ]
    assert posts, "no route changes anything yet?"
    sign_in(portal, team[PortalRole.AUDITOR])
    token = csrf_of(portal.get("/portal/").text)
    for path in posts:
        assert portal.post(path, data={"csrf_token": token}).status_code == 403, path


def test_two_factor_enrolment_then_sign_in_with_a_code_once(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    member = team[PortalRole.OPERATOR]
    sign_in(portal, member)
    secret, _ = _enrol(portal)
    [enrolled] = _events(runtime, "portal.2fa_enrolled")
    assert enrolled.target_id == str(member.id)
    _sign_out(portal)
    answer = sign_in(portal, member)
    assert answer.headers["location"] == "/portal/login/totp"
    assert portal.get("/portal/jobs").headers["location"] == "/portal/login/totp"  # nothing before the code
    assert post_form(portal, "/portal/login/totp", {"code": "000000"}).status_code == 401
    # The code of the step just after enrolment's (which was used): good once.
    code = pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))
    assert post_form(portal, "/portal/login/totp", {"code": code}).headers["location"] == "/portal/"
    assert portal.get("/portal/jobs").status_code == 200
    _sign_out(portal)
    sign_in(portal, member)
    assert post_form(portal, "/portal/login/totp", {"code": code}).status_code == 401  # replayed
    outcomes = [(e.detail["stage"], e.detail["outcome"]) for e in _events(runtime, "portal.sign_in")]
    assert outcomes == [
        ("password", "success"),
        ("password", "password_ok"),
        ("totp", "bad_code"),
        ("totp", "success"),
        ("password", "password_ok"),
        ("totp", "bad_code"),
    ]


def test_a_recovery_code_signs_in_once(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    member = team[PortalRole.ADMIN]
    sign_in(portal, member)
    _, codes = _enrol(portal)
    _sign_out(portal)
    sign_in(portal, member)
    used = post_form(portal, "/portal/login/totp", {"recovery_code": codes[3].upper()})
    assert used.headers["location"] == "/portal/"
    _sign_out(portal)
    sign_in(portal, member)
    assert post_form(portal, "/portal/login/totp", {"recovery_code": codes[3]}).status_code == 401
    [event] = _events(runtime, "portal.recovery_code_used")
    assert event.detail["codes_left"] == 9


def test_mandatory_two_factor_sends_a_member_without_it_to_enrol(
    portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    sign_in(portal, team[PortalRole.OWNER])
    _enrol(portal)
    assert (
        post_form(
            portal, "/portal/settings/two-factor", {"required": "yes"}, page="/portal/settings"
        ).status_code
        == 303
    )
    _sign_out(portal)
    sign_in(portal, team[PortalRole.OPERATOR])
    for path in ("/portal/", "/portal/jobs", "/portal/settings"):
        assert portal.get(path).headers["location"] == "/portal/account/two-factor", path
    page = portal.get("/portal/account/two-factor")
    assert page.status_code == 200 and "Your team requires two-factor sign-in" in page.text
    _enrol(portal)
    assert portal.get("/portal/jobs").status_code == 200


def test_a_session_ends_when_idle_or_old(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    sign_in(portal, team[PortalRole.AUDITOR])
    assert portal.get("/portal/").status_code == 200
    with transaction(runtime.sessions) as db:
        db.execute(update(PortalSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    assert portal.get("/portal/").headers["location"] == "/portal/login"
    with transaction(runtime.sessions) as db:  # the expired session is gone from the table
        assert db.scalars(select(PortalSession)).all() == []


def test_a_disabled_member_is_signed_out_and_cannot_sign_in(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    member = team[PortalRole.OPERATOR]
    sign_in(portal, member)
    with transaction(runtime.sessions) as db:
        db.execute(update(PortalUser).where(PortalUser.id == member.id).values(disabled=True))
    assert portal.get("/portal/").headers["location"] == "/portal/login"
    assert sign_in(portal, member).status_code == 401


def test_a_member_sees_only_their_partners_jobs(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    other = make_partner(runtime, name="Another partner")
    ours = add_job(runtime, partner.partner_id)
    theirs = add_job(runtime, other.partner_id)
    outsider = add_member(runtime, other.partner_id, PortalRole.OWNER)
    sign_in(portal, team[PortalRole.AUDITOR])
    listing = portal.get("/portal/jobs").text
    assert ours in listing and theirs not in listing
    assert theirs not in portal.get("/portal/jobs?state=complete&page=1&result_code=1012").text
    _sign_out(portal)
    sign_in(portal, outsider)
    listing = portal.get("/portal/jobs").text
    assert theirs in listing and ours not in listing


def test_the_job_list_filters_and_refuses_unknown_values(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    document = add_job(runtime, partner.partner_id, job_type=6, result_code="0810")
    biometric = add_job(runtime, partner.partner_id, job_type=1, environment="production", result_code="1020")
    sign_in(portal, team[PortalRole.OPERATOR])
    by_product = portal.get("/portal/jobs?product=6").text
    assert document in by_product and biometric not in by_product
    by_code = portal.get("/portal/jobs?result_code=1020").text
    assert biometric in by_code and document not in by_code
    by_env = portal.get("/portal/jobs?environment=production").text
    assert biometric in by_env and document not in by_env
    assert 'id="no-jobs"' in portal.get("/portal/jobs?state=review").text
    for query in ("product=99", "environment=staging", "state=lost", "result_code=1%3D1"):
        refused = portal.get(f"/portal/jobs?{query}")
        assert refused.status_code == 400 and "filter" in refused.text, query


def test_any_api_process_serves_any_session(
    tmp_path: Path, runtime: Runtime, team: dict[PortalRole, Member]
) -> None:
    # Two runtimes over one data dir: two API processes of a scaled-out deployment.
    second = make_runtime(tmp_path)
    assert second.settings.data_dir == runtime.settings.data_dir
    with TestClient(create_app(runtime), follow_redirects=False) as first_process:
        sign_in(first_process, team[PortalRole.OWNER])
        cookies = dict(first_process.cookies)
    with TestClient(create_app(second), follow_redirects=False, cookies=cookies) as other_process:
        assert other_process.get("/portal/").status_code == 200


@pytest.mark.parametrize("path", ["/portal/static/../views.py", "/portal/static/nothing.css"])
def test_only_the_packaged_assets_are_served(portal: TestClient, path: str) -> None:
    assert portal.get(path).status_code == 404


JUNK_FIELDS = [
    {"email": "a@b.test\x00", "password": "x"},
    {"email": "x" * 5000, "password": "y" * 5000},
    {"code": "١٢٣٤٥٦", "recovery_code": "é" * 10},
    {"code": "9" * 5000, "enrolment": "é" * 100, "required": "maybe"},
]


@pytest.mark.parametrize("fields", JUNK_FIELDS)
def test_junk_in_any_form_is_a_4xx_never_a_500(
    portal: TestClient, team: dict[PortalRole, Member], fields: dict[str, str]
) -> None:
    posts = [route.path for route in every_route() if "POST" in (route.methods or ())]
    for signed_in in (False, True):
        if signed_in:
            sign_in(portal, team[PortalRole.OWNER])
        page = "/portal/" if signed_in else "/portal/login"
        token = csrf_of(portal.get(page).text)
        for path in posts:
            if path == "/portal/logout":
                continue  # would end the session the other routes are tried with
            for token_sent in (token, "é" * 64):
                answer = portal.post(path, data={**fields, "csrf_token": token_sent})
                assert answer.status_code < 500, (path, answer.status_code, answer.text[:200])
            raw = portal.post(
                path,
                content=b"\xff\xfe\x00junk",
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
            assert raw.status_code < 500, path


@pytest.mark.parametrize(
    "query",
    [
        "page=" + "9" * 5000,
        "page=²",
        "product=" + "6" * 5000,
        "product=⁶",
        "result_code=١٠١٢",
        "page=-1&state=",
    ],
)
def test_odd_job_list_queries_are_a_4xx_or_the_first_page(
    portal: TestClient, team: dict[PortalRole, Member], query: str
) -> None:
    sign_in(portal, team[PortalRole.AUDITOR])
    assert portal.get(f"/portal/jobs?{query}").status_code in {200, 400}


def test_links_redirects_and_the_cookie_follow_the_root_path(
    runtime: Runtime, team: dict[PortalRole, Member]
) -> None:
    # A proxy serving the app under /kyc: the browser's paths, and so the cookie's, start with it.
    with TestClient(create_app(runtime), root_path="/kyc", follow_redirects=False) as behind_proxy:
        assert behind_proxy.get("/kyc/portal/").headers["location"] == "/kyc/portal/login"
        login = behind_proxy.get("/kyc/portal/login")
        assert (
            'action="/kyc/portal/login"' in login.text
            and 'href="/kyc/portal/static/portal.css"' in login.text
        )
        answer = behind_proxy.post(
            "/kyc/portal/login",
            data={
                "email": team[PortalRole.OWNER].email,
                "password": PASSWORD,
                "csrf_token": csrf_of(login.text),
            },
        )
        assert answer.headers["location"] == "/kyc/portal/"
        assert "path=/kyc/portal" in answer.headers["set-cookie"].lower()
        assert behind_proxy.get("/kyc/portal/jobs").status_code == 200


def test_entering_the_password_again_does_not_reset_the_count_of_wrong_codes(
    portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    member = team[PortalRole.OPERATOR]
    sign_in(portal, member)
    _enrol(portal)
    _sign_out(portal)
    for _ in range(limits.PER_EMAIL):
        assert sign_in(portal, member).headers["location"] == "/portal/login/totp"
        assert post_form(portal, "/portal/login/totp", {"code": "000000"}).status_code == 401
    assert sign_in(portal, member).status_code == 429
