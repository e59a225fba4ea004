"""The team page (members, invitations, what an admin changes) and the invitation link's page.

Every change goes through ``portal.accounts``, which holds the team's rules (only an owner grants
or removes the owner role, the last owner stays, nobody changes their own account) and records
each change in the audit log with the member as actor. An invitation link is shown once, to the
admin who made it: openkyc sends no e-mail, so they pass it on. The link's page needs no sign-in;
guessed tokens count against the client like failed sign-ins (``portal.limits``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openkyc.db import transaction, utcnow
from openkyc.partners.models import Partner
from openkyc.portal import accounts, limits
from openkyc.portal.accounts import AccountError, TeamActor
from openkyc.portal.models import PortalRole
from openkyc.portal.pages import (
    PREFIX,
    Admin,
    FormText,
    PortalRefusal,
    Reader,
    SignedIn,
    client_host,
    form_field,
    new_router,
    page,
    redirect,
    small_number,
)
from openkyc.portal.passwords import MAX_LENGTH as MAX_PASSWORD
from openkyc.portal.passwords import MIN_LENGTH as MIN_PASSWORD
from openkyc.portal.passwords import WeakPassword
from openkyc.portal.roles import Permission
from openkyc.runtime import Runtime
from openkyc.webdeps import RuntimeDep, public_base_url

router = new_router()

_TITLES = {
    400: "Not possible",
    403: "Not allowed",
    404: "Not found",
    409: "Not possible now",
    410: "Invitation no longer valid",
}


def invitation_link(base_url: str, token: str) -> str:
    """The link an invitee opens: ``base_url`` is where the app is served (no trailing slash)."""
    return f"{base_url}{PREFIX}/invitations/{token}"


def _refusal(error: AccountError) -> PortalRefusal:
    message = str(error)
    return PortalRefusal(
        error.status, _TITLES.get(error.status, "Not possible"), message[:1].upper() + message[1:]
    )


def _change(runtime: Runtime, action: Callable[[Session], object]) -> None:
    """Run one change of the team in a transaction; the team's refusals become pages."""
    try:
        with transaction(runtime.sessions) as db:
            action(db)
    except AccountError as error:  # raised inside: nothing of the change was committed
        raise _refusal(error) from None


def _number(text: str, what: str) -> int:
    number = small_number(text)
    if number is None:
        raise PortalRefusal(400, "Unreadable form", f"The form did not name a {what}.")
    return number


def _role(text: str) -> PortalRole:
    try:
        return PortalRole(text)
    except ValueError:
        raise PortalRefusal(400, "Unknown role", "Choose one of the roles listed.") from None


def _roles_for(member: SignedIn) -> list[str]:
    """The roles ``member`` may hand out: an owner all, an admin all but owner."""
    return [role.value for role in PortalRole if member.can(Permission.OWN) or role is not PortalRole.OWNER]


# --- the team page -----------------------------------------------------------------------------


@router.get("/team")
def team_page(request: Request, runtime: RuntimeDep, member: Reader) -> Response:
    with transaction(runtime.sessions) as db:
        team = accounts.list_members(db, runtime.box, member.user.partner_id)
        invitations = accounts.list_invitations(db, runtime.box, member.user.partner_id, now=utcnow())
    return page(
        request,
        "team.html",
        member=member,
        team=team,
        invitations=invitations,
        can_administer=member.can(Permission.ADMINISTER),
        can_own=member.can(Permission.OWN),
        roles=_roles_for(member),
    )


@router.post("/team/invite")
def invite(
    request: Request, runtime: RuntimeDep, member: Admin, email: FormText = "", role: FormText = ""
) -> Response:
    email = form_field(email, accounts.MAX_EMAIL)
    chosen = _role(form_field(role, 16))
    try:
        with transaction(runtime.sessions) as db:
            invitation, token = accounts.invite(
                db,
                runtime.box,
                partner_id=member.user.partner_id,
                email=email,
                role=chosen,
                by=TeamActor.member(member.user),
                now=utcnow(),
            )
            expires_at = invitation.expires_at
    except AccountError as error:
        raise _refusal(error) from None
    # Shown this once: only the token's digest is kept.
    return page(
        request,
        "team_invited.html",
        member=member,
        email=accounts.normalise_email(email),
        role=chosen.value,
        link=invitation_link(public_base_url(request, runtime), token),
        expires_at=expires_at,
    )


@router.post("/team/invitations/revoke")
def revoke(request: Request, runtime: RuntimeDep, member: Admin, invitation_id: FormText = "") -> Response:
    number = _number(form_field(invitation_id, 16), "invitation")
    _change(
        runtime,
        lambda db: accounts.revoke_invitation(
            db,
            partner_id=member.user.partner_id,
            invitation_id=number,
            by=TeamActor.member(member.user),
            now=utcnow(),
        ),
    )
    return redirect(request, "/team")


@router.post("/team/role")
def change_role(
    request: Request, runtime: RuntimeDep, member: Admin, member_id: FormText = "", role: FormText = ""
) -> Response:
    number = _number(form_field(member_id, 16), "member")
    chosen = _role(form_field(role, 16))
    _change(
        runtime,
        lambda db: accounts.change_role(
            db,
            partner_id=member.user.partner_id,
            member_id=number,
            role=chosen,
            by=TeamActor.member(member.user),
        ),
    )
    return redirect(request, "/team")


def _set_disabled(
    request: Request, runtime: Runtime, member: SignedIn, member_id: str, *, disabled: bool
) -> Response:
    number = _number(form_field(member_id, 16), "member")
    _change(
        runtime,
        lambda db: accounts.set_disabled(
            db,
            partner_id=member.user.partner_id,
            member_id=number,
            disabled=disabled,
            by=TeamActor.member(member.user),
        ),
    )
    return redirect(request, "/team")


@router.post("/team/disable")
def disable(request: Request, runtime: RuntimeDep, member: Admin, member_id: FormText = "") -> Response:
    return _set_disabled(request, runtime, member, member_id, disabled=True)


@router.post("/team/enable")
def enable(request: Request, runtime: RuntimeDep, member: Admin, member_id: FormText = "") -> Response:
    return _set_disabled(request, runtime, member, member_id, disabled=False)


@router.post("/team/reset-two-factor")
def reset_two_factor(
    request: Request, runtime: RuntimeDep, member: Admin, member_id: FormText = ""
) -> Response:
    number = _number(form_field(member_id, 16), "member")
    _change(
        runtime,
        lambda db: accounts.reset_two_factor(
            db, partner_id=member.user.partner_id, member_id=number, by=TeamActor.member(member.user)
        ),
    )
    return redirect(request, "/team")


# --- the invitation link (no sign-in) ----------------------------------------------------------


@dataclass(frozen=True)
class _Invited:
    email: str
    role: str
    team: str
    expires_at: datetime


def _open(request: Request, runtime: Runtime, token: str) -> _Invited:
    """The invitation behind ``token``, or the page that says why not. A token that was never
    issued counts as a failure of this client, as a wrong password does; past the limit no token
    is looked up at all."""
    box = runtime.box
    now = utcnow()
    client = limits.client_key(box, client_host(request))
    refusal: PortalRefusal | None = None
    invited: _Invited | None = None
    with transaction(runtime.sessions) as db:  # committed: a failure counts even when refused
        if limits.client_is_limited(db, client, now=now):
            refusal = PortalRefusal(
                429,
                "Too many attempts",
                f"Too many links that were not valid. Wait {int(limits.WINDOW.total_seconds() // 60)} minutes and try again.",
            )
        else:
            try:
                invitation = accounts.open_invitation(db, token, now=now)
            except accounts.NotFound as error:
                limits.record_failure(db, [client], now=now)
                refusal = _refusal(error)
            except AccountError as error:
                refusal = _refusal(error)
            else:
                partner = db.get(Partner, invitation.partner_id)
                invited = _Invited(
                    email=box.decrypt_text(invitation.email_encrypted),
                    role=invitation.role,
                    team=partner.name if partner is not None else invitation.partner_id,
                    expires_at=invitation.expires_at,
                )
    if refusal is not None or invited is None:
        raise refusal or PortalRefusal(404, "Not found", "No such invitation.")
    return invited


def _invitation_form(request: Request, token: str, invited: _Invited, *, error: str | None) -> Response:
    return page(
        request,
        "invitation.html",
        status=400 if error else 200,
        invited=invited,
        token=token,
        error=error,
        min_length=MIN_PASSWORD,
    )


@router.get("/invitations/{token}")
def invitation_page(request: Request, runtime: RuntimeDep, token: str) -> Response:
    return _invitation_form(request, token, _open(request, runtime, token), error=None)


@router.post("/invitations/{token}")
def accept(
    request: Request, runtime: RuntimeDep, token: str, password: FormText = "", confirm: FormText = ""
) -> Response:
    password, confirm = form_field(password, MAX_PASSWORD), form_field(confirm, MAX_PASSWORD)
    invited = _open(request, runtime, token)
    if password != confirm:
        return _invitation_form(
            request, token, invited, error="The two passwords differ: type the same one twice."
        )
    try:
        with transaction(runtime.sessions) as db:
            accounts.accept_invitation(db, runtime.box, token=token, password=password, now=utcnow())
    except WeakPassword as error:
        message = str(error)
        return _invitation_form(request, token, invited, error=message[:1].upper() + message[1:] + ".")
    except AccountError as error:  # used or revoked a moment ago
        raise _refusal(error) from None
    # The same page whether or not the address had an account already: it tells nothing of that.
    return page(request, "invitation_accepted.html", invited=invited)
