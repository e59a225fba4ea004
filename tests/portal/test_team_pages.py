"""The team page and invitations: roles, the owner rules, the invitation's life (24 h, once,
revoked), a disabled member's sessions, 2FA reset, junk, the rate limit on tokens, the audit log."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, update
from typer.testing import CliRunner

from openkyc.app import create_app
from openkyc.audit.models import AuditEvent
from openkyc.cli import app as cli_app
from openkyc.db import transaction, utcnow
from openkyc.portal import accounts, limits
from openkyc.portal.accounts import TeamActor
from openkyc.portal.models import PortalInvitation, PortalRole, PortalSession, PortalUser
from openkyc.runtime import Runtime
from tests.portal.helpers import Member, add_member, csrf_of, post_form, sign_in
from tests.server import PartnerCreds, make_partner

NEW_PASSWORD = "a new member's password"
_LINK = re.compile(
    r'<code id="invitation-link">http://testserver/portal/invitations/([A-Za-z0-9_-]{43})</code>'
)


def _events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with transaction(runtime.sessions) as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _invite(portal: TestClient, email: str, role: str = "operator") -> str:
    answer = post_form(portal, "/portal/team/invite", {"email": email, "role": role}, page="/portal/team")
    assert answer.status_code == 200, answer.text
    found = _LINK.search(answer.text)
    assert found is not None, answer.text
    return found.group(1)


def _accept(
    client: TestClient, token: str, password: str = NEW_PASSWORD, confirm: str | None = None
) -> Response:
    return post_form(
        client,
        f"/portal/invitations/{token}",
        {"password": password, "confirm": password if confirm is None else confirm},
        page="/portal/login",  # a CSRF token for this browser even when the link's page is an error
    )


def _act(portal: TestClient, action: str, **fields: str) -> Response:
    return post_form(portal, f"/portal/team/{action}", fields, page="/portal/team")


def _user(runtime: Runtime, member_id: int) -> PortalUser:
    with transaction(runtime.sessions) as db:
        user = db.get(PortalUser, member_id)
        assert user is not None
        return user


def _stranger(runtime: Runtime) -> TestClient:
    """A second browser: no cookie of the first."""
    return TestClient(create_app(runtime), raise_server_exceptions=False, follow_redirects=False)


def _enrol(client: TestClient) -> str:
    page = client.get("/portal/account/two-factor").text
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page)
    blob = re.search(r'name="enrolment" value="([^"]+)"', page)
    assert secret and blob
    answer = client.post(
        "/portal/account/two-factor",
        data={
            "csrf_token": csrf_of(page),
            "enrolment": blob.group(1),
            "code": pyotp.TOTP(secret.group(1)).now(),
        },
    )
    assert answer.status_code == 200
    return secret.group(1)


# --- the page and who sees what ---------------------------------------------------------------


def test_every_role_sees_the_team_and_only_admins_get_the_controls(
    portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    for role in PortalRole:
        sign_in(portal, team[role])
        page = portal.get("/portal/team")
        assert page.status_code == 200, role
        assert all(member.email in page.text for member in team.values())
        assert 'href="/portal/team"' in page.text  # the nav link
        admin = role in {PortalRole.ADMIN, PortalRole.OWNER}
        assert ('id="invite-form"' in page.text) is admin, role
        assert ("Set role" in page.text) is admin, role
        # An admin may hand out every role but owner.
        assert ('<option value="owner"' in page.text) is (role is PortalRole.OWNER), role
    # Signed in just now: a date; the others (never signed in past every factor) say so.
    row = re.search(rf'<tr id="member-{team[PortalRole.OWNER].id}">(.*?)</tr>', page.text, re.S)
    assert row is not None and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", row.group(1))


def test_an_operator_or_auditor_changes_nothing(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    target = team[PortalRole.AUDITOR].id
    for role in (PortalRole.AUDITOR, PortalRole.OPERATOR):
        sign_in(portal, team[role])
        for action, fields in [
            ("invite", {"email": "x@example.test", "role": "auditor"}),
            ("role", {"member_id": str(target), "role": "admin"}),
            ("disable", {"member_id": str(target)}),
            ("reset-two-factor", {"member_id": str(target)}),
            ("invitations/revoke", {"invitation_id": "1"}),
        ]:
            assert _act(portal, action, **fields).status_code == 403, (role, action)
    assert _user(runtime, target).role == "auditor"


# --- invitations --------------------------------------------------------------------------------


def test_an_admin_invites_and_the_invitee_joins_then_signs_in(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    admin = team[PortalRole.ADMIN]
    sign_in(portal, admin)
    token = _invite(portal, "New.Person@Example.test", "operator")
    listed = portal.get("/portal/team").text
    assert "new.person@example.test" in listed and 'id="no-invitations"' not in listed
    with transaction(runtime.sessions) as db:  # neither the token nor the address is stored in clear
        [row] = db.scalars(select(PortalInvitation)).all()
        assert row.token_digest != token and token not in repr(row.__dict__)
        assert b"example.test" not in row.email_encrypted and row.invited_by == admin.id
        assert row.expires_at - row.created_at == timedelta(hours=24)
    [created] = _events(runtime, "portal.invitation_created")
    assert created.actor_type == "portal_user" and created.actor_id == str(admin.id)
    assert created.detail["role"] == "operator" and "@" not in json.dumps(created.detail)

    with _stranger(runtime) as invitee:
        page = invitee.get(f"/portal/invitations/{token}")
        assert page.status_code == 200 and "new.person@example.test" in page.text and "operator" in page.text
        assert "Set role" not in page.text and "Sign out" not in page.text
        differ = _accept(invitee, token, confirm="another password entirely")
        assert differ.status_code == 400 and "differ" in differ.text
        weak = _accept(invitee, token, password="short")
        assert weak.status_code == 400 and "at least 12 characters" in weak.text
        done = _accept(invitee, token)
        assert done.status_code == 200 and 'action="/portal/login"' in done.text
        again = invitee.get(f"/portal/invitations/{token}")
        assert again.status_code == 410 and "used already" in again.text
        assert _accept(invitee, token).status_code == 410  # single use
        newcomer = Member(0, partner.partner_id, "new.person@example.test", PortalRole.OPERATOR)
        assert sign_in(invitee, newcomer, NEW_PASSWORD).headers["location"] == "/portal/"
        home = invitee.get("/portal/")
        assert home.status_code == 200 and "new.person@example.test" in home.text
        assert invitee.get("/portal/jobs").status_code == 200

    with transaction(runtime.sessions) as db:
        user = db.scalar(
            select(PortalUser).where(
                PortalUser.role == "operator", PortalUser.id != team[PortalRole.OPERATOR].id
            )
        )
        assert user is not None and user.partner_id == partner.partner_id and user.last_sign_in_at is not None
        assert user.password_hash.startswith("$argon2id$")
    [accepted] = _events(runtime, "portal.invitation_accepted")
    assert accepted.actor_type == "portal_user" and accepted.actor_id == str(user.id)
    assert accepted.detail == {
        "partner_id": partner.partner_id,
        "role": "operator",
        "member_id": user.id,
        "invited_by": admin.id,
        "outcome": "member_added",
    }
    listed = portal.get("/portal/team").text
    assert 'id="no-invitations"' in listed and f'id="member-{user.id}"' in listed


def test_an_invitation_expires_after_24_hours(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    sign_in(portal, team[PortalRole.OWNER])
    token = _invite(portal, "late@example.test")
    with transaction(runtime.sessions) as db:
        [row] = db.scalars(select(PortalInvitation)).all()
        created = row.created_at
        # The service's clock: good until just before 24 h, gone at 24 h.
        assert accounts.open_invitation(db, token, now=created + timedelta(hours=24, seconds=-1)).id == row.id
        with pytest.raises(accounts.InvitationGone) as gone:
            accounts.open_invitation(db, token, now=created + timedelta(hours=24))
        assert gone.value.reason == "expired"
        db.execute(update(PortalInvitation).values(expires_at=utcnow() - timedelta(seconds=1)))
    with _stranger(runtime) as invitee:
        page = invitee.get(f"/portal/invitations/{token}")
        assert page.status_code == 410 and "expired" in page.text
        assert _accept(invitee, token).status_code == 410
    assert "expired" in portal.get("/portal/team").text
    with transaction(runtime.sessions) as db:
        assert (
            db.scalar(
                select(PortalUser).where(
                    PortalUser.email_digest == accounts.email_digest(runtime.box, "late@example.test")
                )
            )
            is None
        )
    # An expired invitation does not block a new one to the same address.
    assert _invite(portal, "late@example.test") != token


def test_a_revoked_invitation_is_gone_and_a_second_open_one_is_refused(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    admin = team[PortalRole.ADMIN]
    sign_in(portal, admin)
    token = _invite(portal, "twice@example.test")
    second = post_form(
        portal, "/portal/team/invite", {"email": "TWICE@example.test", "role": "auditor"}, page="/portal/team"
    )
    assert second.status_code == 409 and "still open" in second.text
    with transaction(runtime.sessions) as db:
        invitation_id = db.scalars(select(PortalInvitation.id)).one()
    assert _act(portal, "invitations/revoke", invitation_id=str(invitation_id)).status_code == 303
    assert _act(portal, "invitations/revoke", invitation_id=str(invitation_id)).status_code == 409
    with _stranger(runtime) as invitee:
        page = invitee.get(f"/portal/invitations/{token}")
        assert page.status_code == 410 and "revoked" in page.text
        assert _accept(invitee, token).status_code == 410
    [revoked] = _events(runtime, "portal.invitation_revoked")
    assert revoked.actor_id == str(admin.id) and revoked.target_id == str(invitation_id)
    assert 'id="no-invitations"' in portal.get("/portal/team").text


def test_a_member_of_the_team_is_not_invited_and_another_teams_address_learns_nothing(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    sign_in(portal, team[PortalRole.OWNER])
    member = post_form(
        portal,
        "/portal/team/invite",
        {"email": team[PortalRole.AUDITOR].email, "role": "admin"},
        page="/portal/team",
    )
    assert member.status_code == 409 and "member of the team" in member.text
    other = make_partner(runtime, name="Other team")
    outsider = add_member(runtime, other.partner_id, PortalRole.OWNER)
    taken = _invite(portal, outsider.email)  # invited like anyone: no sign that an account exists
    fresh = _invite(portal, "fresh@example.test")
    with _stranger(runtime) as invitee:
        answers = [_accept(invitee, token) for token in (taken, fresh)]
    assert [answer.status_code for answer in answers] == [200, 200]
    # The same page but for the address itself.
    assert answers[0].text.replace(outsider.email, "ADDRESS") == answers[1].text.replace(
        "fresh@example.test", "ADDRESS"
    )
    user = _user(runtime, outsider.id)
    assert user.partner_id == other.partner_id and user.role == "owner"  # left as it was
    outcomes = [event.detail["outcome"] for event in _events(runtime, "portal.invitation_accepted")]
    assert outcomes == ["address_taken", "member_added"]


def test_unknown_tokens_are_404_and_counted_against_the_client(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    sign_in(portal, team[PortalRole.ADMIN])
    token = _invite(portal, "wanted@example.test")
    with _stranger(runtime) as guesser:
        for attempt in range(limits.PER_CLIENT):
            guess = f"{attempt:043d}" if attempt % 2 else "nonsense"
            assert guesser.get(f"/portal/invitations/{guess}").status_code == 404
        limited = guesser.get(f"/portal/invitations/{token}")  # even the right token is not looked up
        assert limited.status_code == 429 and "Too many" in limited.text
    # Same client address (the TestClient's), same count: sign-in is limited for it as well.
    assert sign_in(portal, team[PortalRole.OWNER]).status_code == 429


# --- the owner rules ---------------------------------------------------------------------------


def test_only_an_owner_grants_removes_or_touches_the_owner_role(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    owner, admin, operator = team[PortalRole.OWNER], team[PortalRole.ADMIN], team[PortalRole.OPERATOR]
    sign_in(portal, admin)
    refused = post_form(
        portal, "/portal/team/invite", {"email": "boss@example.test", "role": "owner"}, page="/portal/team"
    )
    assert refused.status_code == 403 and "owner" in refused.text
    assert _act(portal, "role", member_id=str(operator.id), role="owner").status_code == 403
    for action, fields in [
        ("role", {"member_id": str(owner.id), "role": "auditor"}),
        ("disable", {"member_id": str(owner.id)}),
        ("reset-two-factor", {"member_id": str(owner.id)}),
    ]:
        assert _act(portal, action, **fields).status_code == 403, action
    # What an admin may do: roles below owner.
    assert _act(portal, "role", member_id=str(operator.id), role="auditor").status_code == 303
    assert _user(runtime, owner.id).role == "owner" and not _user(runtime, owner.id).disabled
    post_form(portal, "/portal/logout", {}, page="/portal/")

    sign_in(portal, owner)
    assert _act(portal, "role", member_id=str(admin.id), role="owner").status_code == 303
    assert _act(portal, "role", member_id=str(admin.id), role="operator").status_code == 303
    assert _user(runtime, admin.id).role == "operator"
    changes = [
        (e.actor_id, e.target_id, e.detail["before"], e.detail["after"])
        for e in _events(runtime, "portal.role_changed")
    ]
    assert changes == [
        (str(admin.id), str(operator.id), "operator", "auditor"),
        (str(owner.id), str(admin.id), "admin", "owner"),
        (str(owner.id), str(admin.id), "owner", "operator"),
    ]


def test_nobody_changes_their_own_role_or_account(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    for role in (PortalRole.ADMIN, PortalRole.OWNER):
        me = team[role]
        sign_in(portal, me)
        for action, fields in [
            ("role", {"member_id": str(me.id), "role": "auditor"}),
            ("disable", {"member_id": str(me.id)}),
        ]:
            answer = _act(portal, action, **fields)
            assert answer.status_code == 403 and "own" in answer.text, (role, action)
        assert _user(runtime, me.id).role == role.value


def test_the_last_owner_cannot_be_demoted_or_disabled(
    runtime: Runtime, team: dict[PortalRole, Member]
) -> None:
    owner = team[PortalRole.OWNER]
    partner_id = owner.partner_id
    by = TeamActor.server_operator()  # bound by this rule too
    with transaction(runtime.sessions) as db:
        with pytest.raises(accounts.Conflict, match="last owner"):
            accounts.change_role(db, partner_id=partner_id, member_id=owner.id, role=PortalRole.ADMIN, by=by)
        with pytest.raises(accounts.Conflict, match="last owner"):
            accounts.set_disabled(db, partner_id=partner_id, member_id=owner.id, disabled=True, by=by)
    second = add_member(runtime, partner_id, PortalRole.OWNER)
    with transaction(runtime.sessions) as db:  # a disabled owner does not count
        accounts.set_disabled(db, partner_id=partner_id, member_id=second.id, disabled=True, by=by)
    with transaction(runtime.sessions) as db, pytest.raises(accounts.Conflict, match="last owner"):
        accounts.change_role(db, partner_id=partner_id, member_id=owner.id, role=PortalRole.ADMIN, by=by)
    with transaction(runtime.sessions) as db:
        accounts.set_disabled(db, partner_id=partner_id, member_id=second.id, disabled=False, by=by)
    with transaction(runtime.sessions) as db:  # with another active owner it is allowed
        accounts.change_role(db, partner_id=partner_id, member_id=owner.id, role=PortalRole.ADMIN, by=by)
    assert _user(runtime, owner.id).role == "admin"
    with transaction(runtime.sessions) as db, pytest.raises(accounts.Conflict, match="last owner"):
        accounts.set_disabled(db, partner_id=partner_id, member_id=second.id, disabled=True, by=by)
    [event] = _events(runtime, "portal.role_changed")
    assert event.actor_type == "operator"


def test_the_portal_keeps_the_last_owner_even_between_two_owners(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    owner = team[PortalRole.OWNER]
    second = add_member(runtime, owner.partner_id, PortalRole.OWNER)
    sign_in(portal, owner)
    assert _act(portal, "disable", member_id=str(second.id)).status_code == 303
    # The second owner, disabled, signs in no more; the first owner is now the last one.
    with _stranger(runtime) as other:
        assert sign_in(other, second).status_code == 401
    assert _act(portal, "role", member_id=str(second.id), role="admin").status_code == 303
    assert _act(portal, "enable", member_id=str(second.id)).status_code == 303
    assert _user(runtime, second.id).role == "admin" and not _user(runtime, second.id).disabled


# --- disabling, 2FA reset ----------------------------------------------------------------------


def test_disabling_a_member_ends_their_session_at_once(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    operator = team[PortalRole.OPERATOR]
    with _stranger(runtime) as theirs:
        sign_in(theirs, operator)
        assert theirs.get("/portal/jobs").status_code == 200
        sign_in(portal, team[PortalRole.ADMIN])
        assert _act(portal, "disable", member_id=str(operator.id)).status_code == 303
        with transaction(runtime.sessions) as db:
            assert db.scalars(select(PortalSession).where(PortalSession.user_id == operator.id)).all() == []
        assert theirs.get("/portal/jobs").headers["location"] == "/portal/login"
        assert sign_in(theirs, operator).status_code == 401
        assert "disabled" in portal.get("/portal/team").text
        assert _act(portal, "enable", member_id=str(operator.id)).status_code == 303
        assert sign_in(theirs, operator).status_code == 303
    actions = [(e.action, e.target_id, e.actor_id) for e in _events(runtime, "portal.member_disabled")]
    actions += [(e.action, e.target_id, e.actor_id) for e in _events(runtime, "portal.member_enabled")]
    admin = str(team[PortalRole.ADMIN].id)
    assert actions == [
        ("portal.member_disabled", str(operator.id), admin),
        ("portal.member_enabled", str(operator.id), admin),
    ]


def test_a_2fa_reset_ends_the_session_and_the_member_must_enrol_again(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    operator = team[PortalRole.OPERATOR]
    with _stranger(runtime) as theirs:
        sign_in(theirs, operator)
        _enrol(theirs)
        sign_in(portal, team[PortalRole.ADMIN])
        assert _act(portal, "reset-two-factor", member_id=str(operator.id)).status_code == 303
        assert theirs.get("/portal/").headers["location"] == "/portal/login"
        user = _user(runtime, operator.id)
        assert user.totp_secret_encrypted is None and user.recovery_codes == [] and user.totp_must_enrol
        # The password alone now (the secret is gone), and then enrolment before anything else,
        # although this team does not require 2FA.
        assert sign_in(theirs, operator).headers["location"] == "/portal/"
        for path in ("/portal/", "/portal/jobs", "/portal/team"):
            assert theirs.get(path).headers["location"] == "/portal/account/two-factor", path
        assert "reset your two-factor" in theirs.get("/portal/account/two-factor").text
        _enrol(theirs)
        assert theirs.get("/portal/jobs").status_code == 200
    again = _act(portal, "reset-two-factor", member_id=str(team[PortalRole.AUDITOR].id))
    assert again.status_code == 409  # nothing to reset
    [event] = _events(runtime, "portal.2fa_reset")
    assert event.target_id == str(operator.id) and event.actor_id == str(team[PortalRole.ADMIN].id)


def test_an_invitee_enrols_first_when_the_team_requires_2fa(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    sign_in(portal, team[PortalRole.OWNER])
    _enrol(portal)
    assert (
        post_form(
            portal, "/portal/settings/two-factor", {"required": "yes"}, page="/portal/settings"
        ).status_code
        == 303
    )
    token = _invite(portal, "careful@example.test", "auditor")
    with _stranger(runtime) as invitee:
        assert _accept(invitee, token).status_code == 200
        newcomer = Member(0, partner.partner_id, "careful@example.test", PortalRole.AUDITOR)
        sign_in(invitee, newcomer, NEW_PASSWORD)
        assert invitee.get("/portal/team").headers["location"] == "/portal/account/two-factor"


# --- junk, other teams, the CLI ----------------------------------------------------------------


def test_junk_and_other_teams_are_4xx(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    other = make_partner(runtime, name="Other team")
    outsider = add_member(runtime, other.partner_id, PortalRole.OPERATOR)
    sign_in(portal, team[PortalRole.OWNER])
    cases = [
        ("role", {"member_id": "abc", "role": "admin"}, 400),
        ("role", {"member_id": "²", "role": "admin"}, 400),
        ("role", {"member_id": "9" * 5000, "role": "admin"}, 400),
        ("role", {"member_id": str(team[PortalRole.ADMIN].id), "role": "superuser"}, 400),
        ("role", {"member_id": "99999", "role": "admin"}, 404),
        ("role", {"member_id": str(outsider.id), "role": "admin"}, 404),
        ("disable", {"member_id": str(outsider.id)}, 404),
        ("reset-two-factor", {}, 400),
        ("invitations/revoke", {"invitation_id": "12345"}, 404),
        ("invite", {"email": "not an address", "role": "auditor"}, 400),
        ("invite", {"email": "a@b.test\x00", "role": "auditor"}, 400),
        ("invite", {"email": "ok@example.test", "role": ""}, 400),
    ]
    for action, fields, status in cases:
        answer = _act(portal, action, **fields)
        assert answer.status_code == status, (action, fields, answer.text[:300])
    as_json = portal.post(
        "/portal/team/role",
        data={"member_id": "x", "role": "admin", "csrf_token": csrf_of(portal.get("/portal/team").text)},
        headers={"accept": "application/json"},
    )
    assert as_json.status_code == 400 and as_json.json()["success"] is False
    assert _user(runtime, outsider.id).role == "operator"
    # Another team's invitation cannot be revoked from here.
    with transaction(runtime.sessions) as db:
        theirs, _ = accounts.invite(
            db,
            runtime.box,
            partner_id=other.partner_id,
            email="theirs@example.test",
            role=PortalRole.AUDITOR,
            by=TeamActor.server_operator(),
            now=utcnow(),
        )
        theirs_id = theirs.id
    assert _act(portal, "invitations/revoke", invitation_id=str(theirs_id)).status_code == 404
    with _stranger(runtime) as invitee:
        for token in ("%00", "é" * 43, "a" * 5000, "../../team"):
            assert invitee.get(f"/portal/invitations/{token}").status_code in {400, 404}, token
        page = invitee.get("/portal/invitations/" + "b" * 43)
        raw = invitee.post(
            "/portal/invitations/" + "b" * 43,
            content=b"\xff\xfe\x00junk",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert page.status_code == 404 and raw.status_code < 500


def test_the_cli_invites_through_the_same_service(tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(
        cli_app, ["partners", "create", "--data-dir", str(tmp_path), "--name", "Acme", "--json"]
    )
    partner_id = json.loads(created.output)["partner_id"]
    base = [
        "portal",
        "invite",
        "--data-dir",
        str(tmp_path),
        "--partner-id",
        partner_id,
        "--email",
        "first@example.test",
    ]
    invited = runner.invoke(cli_app, [*base, "--role", "owner"])
    assert invited.exit_code == 0, invited.output
    assert re.search(r"/portal/invitations/[A-Za-z0-9_-]{43}\b", invited.output)
    again = runner.invoke(cli_app, [*base, "--role", "owner"])
    assert again.exit_code == 1 and "still open" in again.output
    as_json = runner.invoke(
        cli_app,
        [
            "portal",
            "invite",
            "--data-dir",
            str(tmp_path),
            "--partner-id",
            partner_id,
            "--email",
            "two@example.test",
            "--role",
            "auditor",
            "--json",
        ],
        env={"OPENKYC_PUBLIC_BASE_URL": "https://kyc.example.test"},
    )
    assert as_json.exit_code == 0, as_json.output
    answer = json.loads(as_json.output)
    assert (
        answer["link"].startswith("https://kyc.example.test/portal/invitations/")
        and answer["role"] == "auditor"
    )
    events = runner.invoke(cli_app, ["audit", "list", "--data-dir", str(tmp_path), "--json"])
    created_events = [json.loads(line) for line in events.output.splitlines() if "invitation_created" in line]
    assert len(created_events) == 2 and all(event["actor_type"] == "operator" for event in created_events)
