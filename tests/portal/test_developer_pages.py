"""The portal's developer pages: keys and management credentials (secrets shown once, a rotated or
revoked key refused by the API at once), the default callback URL and a test callback (delivered
to a loopback receiver, refused by the SSRF policy without private callbacks), the signing page's
snippet against a real test callback, the production switch, roles, junk and the audit rows."""

from __future__ import annotations

import html
import logging
import re
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from smile_id_core.Signature import Signature
from sqlalchemy import select

from openkyc.app import create_app
from openkyc.audit.models import AuditEvent
from openkyc.config import Settings
from openkyc.db import transaction
from openkyc.management.service import list_credentials
from openkyc.partners import service as partners
from openkyc.portal.models import PortalRole
from openkyc.runtime import Runtime, build_runtime
from openkyc.signing import MUTATION_ELEMENTS, compute_signature, sign_ksig1
from openkyc.signing.environment import Environment
from testkit.callback_receiver import CallbackReceiver
from tests.portal.helpers import Member, add_job, add_member, csrf_of, post_form, sign_in
from tests.server import PartnerCreds, make_partner, seed_migrated_database

DEVELOPERS = "/portal/developers"
CALLBACKS = "/portal/developers/callbacks"
_SECRET = re.compile(r'<code id="new-secret">([^<]+)</code>')
_KEY_ID = re.compile(r'<code id="new-key-id">([^<]+)</code>')


def _events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with transaction(runtime.sessions) as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _keys(runtime: Runtime, partner_id: str, environment: Environment) -> list[tuple[str, bool]]:
    with transaction(runtime.sessions) as db:
        return [
            (key.id, key.active)
            for key in partners.list_keys(db_session=db, partner_id=partner_id, environment=environment)
        ]


def _job_status(client: TestClient, partner_id: str, key: str) -> dict[str, Any]:
    """A signed job_status for a job that does not exist: 2304 when the key is good, 2205 when not."""
    signature = Signature(partner_id, key).generate_signature()
    body = {"partner_id": partner_id, **signature, "user_id": "u", "job_id": "j"}
    answer: dict[str, Any] = client.post("/v1/job_status", json={**body, "image_links": False}).json()
    return answer


def _by(actor: Member, event: AuditEvent) -> bool:
    return event.actor_type == "portal_user" and event.actor_id == str(actor.id)


def _confirm(portal: TestClient, path: str) -> Response:
    """Open the confirmation page at ``path`` and press its button."""
    return post_form(portal, path, {}, page=path)


def _sandbox_key_id(runtime: Runtime, partner: PartnerCreds) -> str:
    [(key_id, _)] = _keys(runtime, partner.partner_id, Environment.SANDBOX)
    return key_id


# --- viewing and roles ------------------------------------------------------------------------


def test_a_reader_sees_the_keys_but_no_secret_and_no_form(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    key_id = _sandbox_key_id(runtime, partner)
    sign_in(portal, team[PortalRole.AUDITOR])
    answer = portal.get(DEVELOPERS)
    assert answer.status_code == 200, answer.text
    text = answer.text
    assert key_id in text and 'id="keys-sandbox"' in text and 'id="keys-production"' in text
    assert partner.sandbox_key not in text and partner.production_key not in text
    assert "Create a sandbox key" not in text and "/rotate" not in text and "/revoke" not in text
    assert 'id="production-state">not enabled<' in text and "Only an owner can change this." in text
    for path in (CALLBACKS, "/portal/developers/signing"):
        page = portal.get(path)
        assert page.status_code == 200 and "Send test callback" not in page.text, path
    assert '<a href="/portal/developers">Developers</a>' in portal.get("/portal/").text


def test_the_last_job_of_each_key_is_shown(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    key_id = _sandbox_key_id(runtime, partner)
    add_job(runtime, partner.partner_id)  # made by the helper's "test" key: not one of the partner's
    sign_in(portal, team[PortalRole.ADMIN])
    row = re.search(rf'<tr id="key-{key_id}">(.*?)</tr>', portal.get(DEVELOPERS).text, re.S)
    assert row is not None and "<td>none</td>" in row.group(1)
    with TestClient(create_app(runtime)) as api:
        prep = api.post(
            "/v1/upload",
            json=partner.signed(
                smile_client_id=partner.partner_id,
                partner_params={"user_id": "u-1", "job_id": "j-1", "job_type": 4},
            ),
        )
    assert prep.status_code == 200, prep.text
    row = re.search(rf'<tr id="key-{key_id}">(.*?)</tr>', portal.get(DEVELOPERS).text, re.S)
    assert row is not None and "<td>none</td>" not in row.group(1)
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>\s*<td>active</td>", row.group(1))


@pytest.mark.parametrize("role", [PortalRole.AUDITOR, PortalRole.OPERATOR])
def test_only_an_admin_or_owner_changes_keys_callbacks_and_credentials(
    runtime: Runtime,
    portal: TestClient,
    partner: PartnerCreds,
    team: dict[PortalRole, Member],
    role: PortalRole,
) -> None:
    key_id = _sandbox_key_id(runtime, partner)
    sign_in(portal, team[role])
    token = csrf_of(portal.get(DEVELOPERS).text)
    for path, data in [
        (f"{DEVELOPERS}/keys", {"environment": "sandbox"}),
        (f"{DEVELOPERS}/keys/{key_id}/rotate", {}),
        (f"{DEVELOPERS}/keys/{key_id}/revoke", {}),
        (f"{DEVELOPERS}/management", {"environment": "sandbox"}),
        (CALLBACKS, {"url": "https://partner.example/cb"}),
        (f"{CALLBACKS}/test", {"environment": "sandbox"}),
        (f"{DEVELOPERS}/production", {"enabled": "yes"}),
    ]:
        answer = portal.post(path, data={**data, "csrf_token": token})
        assert answer.status_code == 403 and "does not allow" in answer.text, path
    for path in (f"{DEVELOPERS}/keys/{key_id}/rotate", f"{DEVELOPERS}/keys/{key_id}/revoke"):
        assert portal.get(path).status_code == 403, path
    assert _keys(runtime, partner.partner_id, Environment.SANDBOX) == [(key_id, True)]
    assert _default_url(runtime, partner.partner_id) is None
    with transaction(runtime.sessions) as db:
        by_members = db.scalars(select(AuditEvent).where(AuditEvent.actor_type == "portal_user")).all()
    assert {event.action for event in by_members} <= {"portal.sign_in"}


def test_only_an_owner_switches_production_and_the_api_follows_at_once(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    with TestClient(create_app(runtime)) as api:
        # Asked once before: this process's key cache holds "production not enabled".
        assert _job_status(api, partner.partner_id, partner.production_key)["code"] == "2220"
        sign_in(portal, team[PortalRole.ADMIN])
        page = portal.get(DEVELOPERS).text
        assert 'id="production-form"' not in page
        refused = post_form(portal, f"{DEVELOPERS}/production", {"enabled": "yes"}, page=DEVELOPERS)
        assert refused.status_code == 403
        post_form(portal, "/portal/logout", {}, page="/portal/")

        owner = team[PortalRole.OWNER]
        sign_in(portal, owner)
        assert 'id="production-form"' in portal.get(DEVELOPERS).text
        done = post_form(portal, f"{DEVELOPERS}/production", {"enabled": "yes"}, page=DEVELOPERS)
        assert done.status_code == 303 and done.headers["location"] == DEVELOPERS
        assert 'id="production-state">enabled<' in portal.get(DEVELOPERS).text
        assert _job_status(api, partner.partner_id, partner.production_key)["code"] == "2304"

        off = post_form(portal, f"{DEVELOPERS}/production", {"enabled": "no"}, page=DEVELOPERS)
        assert off.status_code == 303
        assert _job_status(api, partner.partner_id, partner.production_key)["code"] == "2220"
    on, off_event = (
        _events(runtime, "partner.production_enabled"),
        _events(runtime, "partner.production_disabled"),
    )
    assert [e.detail for e in on] == [{"before": False, "after": True}] and _by(owner, on[0])
    assert [e.detail for e in off_event] == [{"before": True, "after": False}] and _by(owner, off_event[0])
    assert all(e.target_id == partner.partner_id for e in on + off_event)


# --- API keys ---------------------------------------------------------------------------------


def test_a_new_key_is_shown_once_works_at_once_and_is_audited(
    runtime: Runtime,
    portal: TestClient,
    partner: PartnerCreds,
    team: dict[PortalRole, Member],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = team[PortalRole.ADMIN]
    sign_in(portal, admin)
    answer = post_form(portal, f"{DEVELOPERS}/keys", {"environment": "sandbox"}, page=DEVELOPERS)
    assert answer.status_code == 200, answer.text  # the answer itself, not a redirect to it
    assert answer.headers["cache-control"] == "no-store"
    assert "shown only this once" in answer.text
    secret_match, id_match = _SECRET.search(answer.text), _KEY_ID.search(answer.text)
    assert secret_match and id_match
    secret, key_id = secret_match.group(1), id_match.group(1)
    assert (key_id, True) in _keys(runtime, partner.partner_id, Environment.SANDBOX)
    with TestClient(create_app(runtime)) as api:
        assert _job_status(api, partner.partner_id, secret)["code"] == "2304"
    listing = portal.get(DEVELOPERS).text
    assert key_id in listing and secret not in listing  # never again
    [event] = _events(runtime, "api_key.created")[-1:]
    assert event.target_id == key_id and _by(admin, event)
    assert event.detail == {"partner_id": partner.partner_id, "environment": "sandbox"}
    assert secret not in repr(event.detail)
    for record in caplog.records:
        assert secret not in record.getMessage()


def test_a_rotated_key_is_refused_by_the_api_right_after(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    old_id = _sandbox_key_id(runtime, partner)
    admin = team[PortalRole.ADMIN]
    with TestClient(create_app(runtime)) as api:
        # The old key in use: it sits in this process's key cache.
        assert _job_status(api, partner.partner_id, partner.sandbox_key)["code"] == "2304"
        sign_in(portal, admin)
        confirm = portal.get(f"{DEVELOPERS}/keys/{old_id}/rotate")
        assert confirm.status_code == 200 and "stops working at once" in confirm.text
        answer = _confirm(portal, f"{DEVELOPERS}/keys/{old_id}/rotate")
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "no-store" and old_id in answer.text
        secret_match, id_match = _SECRET.search(answer.text), _KEY_ID.search(answer.text)
        assert secret_match and id_match
        new_secret, new_id = secret_match.group(1), id_match.group(1)
        assert _job_status(api, partner.partner_id, partner.sandbox_key)["code"] == "2205"
        assert _job_status(api, partner.partner_id, new_secret)["code"] == "2304"
    assert _keys(runtime, partner.partner_id, Environment.SANDBOX) == [(old_id, False), (new_id, True)]
    [rotated] = _events(runtime, "api_key.rotated")
    [revoked] = _events(runtime, "api_key.revoked")
    assert rotated.target_id == revoked.target_id == old_id and rotated.detail["new_key_id"] == new_id
    assert _by(admin, rotated) and _by(admin, revoked) and _by(admin, _events(runtime, "api_key.created")[-1])
    # A revoked key is not rotated again (that would quietly mint a key).
    assert portal.get(f"{DEVELOPERS}/keys/{old_id}/rotate").status_code == 409
    token = csrf_of(portal.get(DEVELOPERS).text)
    assert portal.post(f"{DEVELOPERS}/keys/{old_id}/rotate", data={"csrf_token": token}).status_code == 409
    assert len(_keys(runtime, partner.partner_id, Environment.SANDBOX)) == 2


def test_a_revoked_key_is_refused_by_the_api_right_after(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    owner = team[PortalRole.OWNER]
    with TestClient(create_app(runtime)) as api:
        assert _job_status(api, partner.partner_id, partner.production_key)["code"] == "2220"
        sign_in(portal, owner)
        production_id = _keys(runtime, partner.partner_id, Environment.PRODUCTION)[0][0]
        answer = _confirm(portal, f"{DEVELOPERS}/keys/{production_id}/revoke")
        assert answer.status_code == 303 and answer.headers["location"] == DEVELOPERS
        # Not 2220 any more: the key itself is refused now.
        assert _job_status(api, partner.partner_id, partner.production_key)["code"] == "2205"
        assert _job_status(api, partner.partner_id, partner.sandbox_key)["code"] == "2304"
    assert _keys(runtime, partner.partner_id, Environment.PRODUCTION) == [(production_id, False)]
    [event] = _events(runtime, "api_key.revoked")
    assert event.target_id == production_id and _by(owner, event) and event.detail["was_active"] is True
    row = re.search(rf'<tr id="key-{production_id}">(.*?)</tr>', portal.get(DEVELOPERS).text, re.S)
    assert row is not None and "revoked 2" in row.group(1) and "/rotate" not in row.group(1)


def test_another_partners_key_or_credential_is_not_found(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    other = make_partner(runtime, name="Another partner")
    theirs = _sandbox_key_id(runtime, other)
    sign_in(portal, team[PortalRole.OWNER])
    for path in (f"{DEVELOPERS}/keys/{theirs}/rotate", f"{DEVELOPERS}/keys/{theirs}/revoke"):
        assert portal.get(path).status_code == 404, path
        token = csrf_of(portal.get(DEVELOPERS).text)
        assert portal.post(path, data={"csrf_token": token}).status_code == 404, path
    assert _keys(runtime, other.partner_id, Environment.SANDBOX) == [(theirs, True)]
    with TestClient(create_app(runtime)) as api:
        assert _job_status(api, other.partner_id, other.sandbox_key)["code"] == "2304"


# --- management credentials -------------------------------------------------------------------


def _management_get(client: TestClient, api_key: str, secret: str, token: str) -> Response:
    path = "/v1/management/keys"
    headers = sign_ksig1(
        api_key,
        secret,
        token,
        method="GET",
        path_and_query=path,
        body=b"",
        elements=("API-Key", *MUTATION_ELEMENTS),
        timestamp=int(time.time()),
    )
    answer: Response = client.get(path, headers=headers)
    return answer


def test_a_management_credential_is_shown_once_works_and_is_revoked(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    admin = team[PortalRole.ADMIN]
    sign_in(portal, admin)
    answer = post_form(portal, f"{DEVELOPERS}/management", {"environment": "sandbox"}, page=DEVELOPERS)
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    found = {
        name: re.search(rf'<code id="new-{name}">([^<]+)</code>', answer.text)
        for name in ("api-key", "secret-key", "auth-token")
    }
    assert all(found.values()), answer.text
    api_key, secret, token = (html.unescape(match.group(1)) for match in found.values() if match)
    assert api_key.startswith("sb_")
    listing = portal.get(DEVELOPERS).text
    assert api_key in listing and secret not in listing and token not in listing
    with TestClient(create_app(runtime)) as api:
        listed = _management_get(api, api_key, secret, token)
        assert listed.status_code == 200 and [k["environment"] for k in listed.json()] == ["sandbox"]
        assert _confirm(portal, f"{DEVELOPERS}/management/{api_key}/revoke").status_code == 303
        refused = _management_get(api, api_key, secret, token)
        assert refused.status_code == 401
    with transaction(runtime.sessions) as db:
        [row] = list_credentials(db_session=db, partner_id=partner.partner_id)
        assert row.revoked
    [created] = _events(runtime, "management_credential.created")
    [revoked] = _events(runtime, "management_credential.revoked")
    assert created.target_id == revoked.target_id == api_key and _by(admin, created) and _by(admin, revoked)
    assert secret not in repr(created.detail) and token not in repr(created.detail)
    assert portal.get(f"{DEVELOPERS}/management/{api_key}/revoke").status_code == 404  # revoked already


# --- callbacks --------------------------------------------------------------------------------


def _set_url(portal: TestClient, url: str, environment: str = "sandbox") -> Response:
    return post_form(portal, CALLBACKS, {"url": url, "environment": environment})


def _default_url(runtime: Runtime, partner_id: str, environment: str = "sandbox") -> str | None:
    with transaction(runtime.sessions) as db:
        return partners.get_partner(db_session=db, partner_id=partner_id).callback_url_for(environment)


def _snippet_verifier(portal: TestClient, api_key: str) -> Any:
    """The signing page's Python snippet, run as a reader would paste it, with ``api_key``."""
    page = portal.get("/portal/developers/signing").text
    found = re.search(r'<code id="verify-snippet">(.*?)</code></pre>', page, re.S)
    assert found is not None
    namespace: dict[str, Any] = {}
    exec(html.unescape(found.group(1)), namespace)  # noqa: S102 (the page's own example code)
    namespace["API_KEY"] = api_key
    return namespace["is_genuine"]


def test_the_default_callback_url_is_set_validated_and_audited(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    admin = team[PortalRole.ADMIN]
    sign_in(portal, admin)
    assert _set_url(portal, "https://partner.example/smile?token=s3cret").headers["location"] == CALLBACKS
    assert _default_url(runtime, partner.partner_id) == "https://partner.example/smile?token=s3cret"
    page = portal.get(CALLBACKS).text
    assert (
        "https://partner.example/smile?token=s3cret" in page and 'id="callback-warning-sandbox"' not in page
    )
    assert _default_url(runtime, partner.partner_id, "production") is None  # each environment its own
    assert _set_url(portal, "https://live.example/cb", "production").status_code == 303
    assert _default_url(runtime, partner.partner_id, "production") == "https://live.example/cb"
    assert _default_url(runtime, partner.partner_id) == "https://partner.example/smile?token=s3cret"
    assert _set_url(portal, "https://other.example/cb", "staging").status_code == 400
    for bad in (
        "ftp://partner.example/cb",
        "javascript:alert(1)",
        "https://",
        "partner.example/cb",
        "https://partner.example/a b",
        "https://partner.example:99999/cb",
        "https://[::1/cb",
        "https://partner.example/" + "a" * 2040,
    ):
        refused = _set_url(portal, bad)
        assert refused.status_code == 400 and 'id="callback-error-sandbox"' in refused.text, bad
        assert 'id="callback-error-production"' not in refused.text
        assert _default_url(runtime, partner.partner_id) == "https://partner.example/smile?token=s3cret"
    assert _set_url(portal, "  ").status_code == 303  # empty: no default
    assert _default_url(runtime, partner.partner_id) is None
    events = _events(runtime, "partner.callback_url_set")
    assert [e.detail for e in events] == [
        {"host": "partner.example", "environment": "sandbox", "cleared": False, "changed": True},
        {"host": "live.example", "environment": "production", "cleared": False, "changed": True},
        {"host": None, "environment": "sandbox", "cleared": True, "changed": True},
    ]
    assert all(_by(admin, e) and "s3cret" not in repr(e.detail) for e in events)


def test_a_test_callback_reaches_a_local_receiver_signed_as_the_signing_page_says(
    runtime: Runtime,
    portal: TestClient,
    partner: PartnerCreds,
    team: dict[PortalRole, Member],
    receiver: CallbackReceiver,
) -> None:
    # This runtime allows private callbacks (as OPENKYC_ALLOW_PRIVATE_CALLBACKS=true does).
    assert runtime.settings.allow_private_callbacks
    admin = team[PortalRole.ADMIN]
    sign_in(portal, admin)
    assert _set_url(portal, receiver.url).status_code == 303
    page = portal.get(CALLBACKS).text
    assert 'id="callback-warning-sandbox"' not in page and 'id="test-form-sandbox"' in page
    assert 'id="test-form-production"' not in page  # no production URL yet
    assert _set_url(portal, receiver.url, "production").status_code == 303
    answer = post_form(portal, f"{CALLBACKS}/test", {"environment": "sandbox"}, page=CALLBACKS)
    assert answer.status_code == 200, answer.text
    outcome = re.search(r'<div class="card wide" id="test-outcome".*?</div>', answer.text, re.S)
    assert outcome is not None and "Delivered" in outcome.group(0) and "HTTP 200" in outcome.group(0)
    [received] = receiver.received
    body = received.body
    assert body["ResultType"] == "TestCallback" and body["PartnerParams"] == {}
    assert Signature(partner.partner_id, partner.sandbox_key).confirm_signature(
        body["timestamp"], body["signature"]
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["timestamp"])
    is_genuine = _snippet_verifier(portal, partner.sandbox_key)
    assert is_genuine(body) is True
    assert (
        is_genuine(
            {
                **body,
                "signature": compute_signature(partner.production_key, partner.partner_id, body["timestamp"]),
            }
        )
        is False
    )
    assert is_genuine({**body, "signature": "é"}) is False and is_genuine({}) is False
    assert _snippet_verifier(portal, partner.production_key)(body) is False

    # The production key signs when asked to.
    post_form(portal, f"{CALLBACKS}/test", {"environment": "production"}, page=CALLBACKS)
    production = receiver.received[-1].body
    assert Signature(partner.partner_id, partner.production_key).confirm_signature(
        production["timestamp"], production["signature"]
    )
    first, second = _events(runtime, "callback.test_sent")
    assert _by(admin, first) and first.detail["delivered"] is True and first.detail["status_code"] == 200
    assert first.detail["host"] == "127.0.0.1" and first.detail["environment"] == "sandbox"
    assert second.detail["environment"] == "production"

    # A receiver that fails: the page says what it answered.
    receiver.failing = True
    failed = post_form(portal, f"{CALLBACKS}/test", {"environment": "sandbox"}, page=CALLBACKS)
    assert failed.status_code == 200 and "Not delivered" in failed.text and "HTTP 503" in failed.text
    # Nothing listening: connection refused.
    receiver.stop()
    gone = post_form(portal, f"{CALLBACKS}/test", {"environment": "sandbox"}, page=CALLBACKS)
    assert gone.status_code == 200 and "Not delivered: connection refused" in gone.text


def test_the_signing_pages_worked_example_is_the_servers_formula(
    portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    sign_in(portal, team[PortalRole.AUDITOR])
    page = portal.get("/portal/developers/signing").text

    def shown(name: str) -> str:
        found = re.search(rf'<code id="example-{name}">([^<]+)</code>', page)
        assert found is not None
        return html.unescape(found.group(1))

    assert shown("signature") == compute_signature(shown("key"), partner.partner_id, shown("timestamp"))
    assert Signature(partner.partner_id, shown("key")).confirm_signature(
        shown("timestamp"), shown("signature")
    )


def _strict_runtime(tmp_path: Path) -> Runtime:
    """A runtime whose callbacks may not reach private or loopback addresses (the default)."""
    settings = Settings(data_dir=tmp_path / "strict", allow_private_callbacks=False)
    seed_migrated_database(settings)
    return build_runtime(settings)


def test_without_private_callbacks_a_loopback_url_is_warned_about_and_the_test_refused(
    tmp_path: Path, receiver: CallbackReceiver
) -> None:
    runtime = _strict_runtime(tmp_path)
    partner = make_partner(runtime)
    admin = add_member(runtime, partner.partner_id, PortalRole.ADMIN)
    with TestClient(create_app(runtime), follow_redirects=False) as portal:
        sign_in(portal, admin)
        assert _set_url(portal, receiver.url).status_code == 303  # stored as asked, as the API does
        page = portal.get(CALLBACKS).text
        warning = re.search(r'<p class="notice" id="callback-warning-sandbox".*?</p>', page, re.S)
        assert (
            warning is not None
            and "refused by the SSRF policy: loopback address 127.0.0.1" in warning.group(0)
        )
        assert "OPENKYC_ALLOW_PRIVATE_CALLBACKS" in warning.group(0)
        answer = post_form(portal, f"{CALLBACKS}/test", {"environment": "sandbox"}, page=CALLBACKS)
    assert answer.status_code == 200
    assert "Not delivered: refused by the SSRF policy: loopback address 127.0.0.1" in answer.text
    assert "OPENKYC_ALLOW_PRIVATE_CALLBACKS" in answer.text
    assert receiver.received == []
    [event] = _events(runtime, "callback.test_sent")
    assert event.detail["delivered"] is False and event.detail["status_code"] is None
    assert str(event.detail["error"]).startswith("refused by the SSRF policy")


def test_a_test_callback_needs_a_url_and_an_active_key(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    sign_in(portal, team[PortalRole.OWNER])
    token = csrf_of(portal.get(CALLBACKS).text)
    answer = portal.post(f"{CALLBACKS}/test", data={"environment": "sandbox", "csrf_token": token})
    assert answer.status_code == 409 and "Set a default callback URL for sandbox jobs first" in answer.text
    _set_url(portal, "https://partner.example/cb")
    answer = portal.post(f"{CALLBACKS}/test", data={"environment": "production", "csrf_token": token})
    assert answer.status_code == 409 and "for production jobs first" in answer.text
    _set_url(portal, "https://partner.example/cb", "production")
    production_id = _keys(runtime, partner.partner_id, Environment.PRODUCTION)[0][0]
    _confirm(portal, f"{DEVELOPERS}/keys/{production_id}/revoke")
    answer = portal.post(f"{CALLBACKS}/test", data={"environment": "production", "csrf_token": token})
    assert answer.status_code == 409 and "no active production API key" in answer.text
    assert _events(runtime, "callback.test_sent") == []


# --- junk -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (f"{DEVELOPERS}/keys", {"environment": "staging"}),
        (f"{DEVELOPERS}/keys", {"environment": "sandbox\x00"}),
        (f"{DEVELOPERS}/keys", {}),
        (f"{DEVELOPERS}/management", {"environment": "é" * 5000}),
        (f"{DEVELOPERS}/production", {"enabled": "maybe"}),
        (f"{DEVELOPERS}/production", {}),
        (f"{CALLBACKS}/test", {"environment": "live"}),
        (CALLBACKS, {"url": "https://x/\x00"}),
        (CALLBACKS, {"url": "https://x/" + "y" * 10_000}),
        (CALLBACKS, {"url": "https://x/\u202e/cb"}),
        (f"{DEVELOPERS}/keys/key%00/rotate", {}),
        (f"{DEVELOPERS}/keys/{'k' * 500}/revoke", {}),
        (f"{DEVELOPERS}/keys/..%2F..%2Fsettings/revoke", {}),
        (f"{DEVELOPERS}/management/sb_%00/revoke", {}),
        (f"{DEVELOPERS}/management/no-such-key/revoke", {}),
    ],
)
def test_junk_is_a_4xx(
    runtime: Runtime,
    portal: TestClient,
    partner: PartnerCreds,
    team: dict[PortalRole, Member],
    path: str,
    data: dict[str, str],
) -> None:
    sign_in(portal, team[PortalRole.OWNER])
    token = csrf_of(portal.get(DEVELOPERS).text)
    answer = portal.post(path, data={**data, "csrf_token": token})
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert _keys(runtime, partner.partner_id, Environment.SANDBOX)[0][1] is True


@pytest.mark.parametrize(
    "path",
    [
        f"{DEVELOPERS}/keys/key_0000/explode",
        f"{DEVELOPERS}/keys/%00/rotate",
        f"{DEVELOPERS}/keys/no_such_key/revoke",
        f"{DEVELOPERS}/management/%ff/revoke",
    ],
)
def test_odd_confirmation_pages_are_a_4xx(
    portal: TestClient, team: dict[PortalRole, Member], path: str
) -> None:
    sign_in(portal, team[PortalRole.ADMIN])
    assert portal.get(path).status_code == 404, path
