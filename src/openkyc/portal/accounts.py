"""Team members: adding, finding by e-mail address, listing; the team's 2FA policy; invitations
and what an admin changes about a member (role, disabled, 2FA reset), under the team's rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openkyc import audit
from openkyc.blind_index import PORTAL_EMAIL, index_key, number_digest
from openkyc.crypto import SecretBox
from openkyc.db import rows_matched
from openkyc.partners.models import Partner
from openkyc.portal import sessions
from openkyc.portal.models import PortalInvitation, PortalRole, PortalTeamPolicy, PortalUser
from openkyc.portal.passwords import hash_password
from openkyc.portal.roles import Permission, allows

MAX_EMAIL = 254  # RFC 5321's limit on a path
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INVITATION_LIFETIME = timedelta(hours=24)
# Invitations nobody can use any more stay listed this long (the team's recent history), then go.
INVITATION_KEPT = timedelta(days=30)
# What sessions.new_token makes (43 URL-safe characters): anything else is not worth a look-up.
_INVITATION_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def record_own_event(
    db_session: Session, user_id: int, action: str, detail: Mapping[str, audit.Scalar] | None = None
) -> None:
    """An event of a team member about their own account (2FA, recovery codes, sign-out), in the
    audit log: the member is both the actor and the target."""
    audit.record(
        db_session,
        actor=audit.Actor.portal_user(user_id),
        action=action,
        target_type="portal_user",
        target_id=str(user_id),
        detail=detail,
    )


class AccountError(ValueError):
    """A team member that cannot be added or changed (bad address, duplicate, unknown partner...).
    ``status`` is the HTTP status a page answers it with."""

    status = 400


class NotAllowed(AccountError):
    """The team's rules do not let this member do that (owner role, their own account)."""

    status = 403


class NotFound(AccountError):
    """No such member or invitation in this team."""

    status = 404


class Conflict(AccountError):
    """Not in the state the change needs (the last owner, an invitation still open...)."""

    status = 409


class InvitationGone(AccountError):
    """An invitation that was real but can no longer be accepted: expired, used or revoked."""

    status = 410

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class TeamActor:
    """Who changes the team: a member signed in to the portal (their id and role), or the server's
    operator with the CLI (no role: every team rule but the last owner's binds only members)."""

    actor: audit.Actor
    user_id: int | None = None
    role: str | None = None

    @classmethod
    def member(cls, user: PortalUser) -> TeamActor:
        return cls(audit.Actor.portal_user(user.id), user.id, user.role)

    @classmethod
    def server_operator(cls) -> TeamActor:
        return cls(audit.operator())

    @property
    def is_owner(self) -> bool:
        return self.role is None or self.role == PortalRole.OWNER.value


@dataclass(frozen=True)
class MemberView:
    """A member as listed: the address decrypted, never the hashes or the TOTP secret."""

    id: int
    partner_id: str
    email: str
    role: str
    two_factor: bool
    disabled: bool
    created_at: datetime
    last_sign_in_at: datetime | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "partner_id": self.partner_id,
            "email": self.email,
            "role": self.role,
            "two_factor": self.two_factor,
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat(),
            "last_sign_in_at": self.last_sign_in_at.isoformat() if self.last_sign_in_at else None,
        }


@dataclass(frozen=True)
class InvitationView:
    """An invitation not accepted nor revoked, as the team page lists it (never its token)."""

    id: int
    email: str
    role: str
    created_at: datetime
    expires_at: datetime
    expired: bool


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_digest(box: SecretBox, email: str) -> str:
    """The blind index of an address (case and surrounding spaces do not make another address)."""
    return number_digest(index_key(box, PORTAL_EMAIL), normalise_email(email))


def _address(email: str) -> str:
    address = normalise_email(email)
    if len(address) > MAX_EMAIL or not _EMAIL.match(address):
        raise AccountError("that is not an e-mail address")
    return address


def _new_user(
    db_session: Session,
    box: SecretBox,
    *,
    partner_id: str,
    address: str,
    role: PortalRole,
    password_hash: str,
) -> PortalUser:
    digest = email_digest(box, address)
    if db_session.scalar(select(PortalUser.id).where(PortalUser.email_digest == digest)) is not None:
        raise AccountError("a portal user with that e-mail address exists already")
    user = PortalUser(
        partner_id=partner_id,
        email_digest=digest,
        email_encrypted=box.encrypt_text(address),
        role=role.value,
        password_hash=password_hash,
        recovery_codes=[],
    )
    db_session.add(user)
    db_session.flush()
    return user


def add_user(
    db_session: Session,
    box: SecretBox,
    *,
    partner_id: str,
    email: str,
    role: PortalRole,
    password: str,
    actor: audit.Actor,
) -> PortalUser:
    """A new member (flushed, not committed); raises AccountError or passwords.WeakPassword."""
    address = _address(email)
    if db_session.get(Partner, partner_id) is None:
        raise AccountError(f"no partner {partner_id}")
    user = _new_user(
        db_session,
        box,
        partner_id=partner_id,
        address=address,
        role=role,
        password_hash=hash_password(password),
    )
    audit.record(
        db_session,
        actor=actor,
        action="portal.user_added",
        target_type="portal_user",
        target_id=str(user.id),
        detail={"partner_id": partner_id, "role": role.value},
    )
    return user


def find_by_email(db_session: Session, box: SecretBox, email: str) -> PortalUser | None:
    return db_session.scalar(select(PortalUser).where(PortalUser.email_digest == email_digest(box, email)))


def email_of(box: SecretBox, user: PortalUser) -> str:
    return box.decrypt_text(user.email_encrypted)


def list_members(db_session: Session, box: SecretBox, partner_id: str) -> list[MemberView]:
    users = db_session.scalars(
        select(PortalUser).where(PortalUser.partner_id == partner_id).order_by(PortalUser.id)
    )
    return [
        MemberView(
            id=user.id,
            partner_id=user.partner_id,
            email=email_of(box, user),
            role=user.role,
            two_factor=user.totp_secret_encrypted is not None,
            disabled=user.disabled,
            created_at=user.created_at,
            last_sign_in_at=user.last_sign_in_at,
        )
        for user in users
    ]


def totp_required(db_session: Session, partner_id: str) -> bool:
    policy = db_session.get(PortalTeamPolicy, partner_id)
    return policy is not None and policy.totp_required


def set_totp_required(db_session: Session, *, partner_id: str, required: bool, actor: audit.Actor) -> None:
    policy = db_session.get(PortalTeamPolicy, partner_id)
    before = policy is not None and policy.totp_required
    if policy is None:
        policy = PortalTeamPolicy(partner_id=partner_id, totp_required=required)
        db_session.add(policy)
    policy.totp_required = required
    audit.record(
        db_session,
        actor=actor,
        action="portal.policy_changed",
        target_type="partner",
        target_id=partner_id,
        detail={"setting": "totp_required", "before": before, "after": required},
    )


# --- invitations -------------------------------------------------------------------------------


def _may_grant(by: TeamActor, role: PortalRole) -> None:
    if not (by.role is None or allows(by.role, Permission.ADMINISTER)):
        raise NotAllowed("only an admin or an owner changes the team")
    if role is PortalRole.OWNER and not by.is_owner:
        raise NotAllowed("only an owner can grant or remove the owner role")


def invite(
    db_session: Session,
    box: SecretBox,
    *,
    partner_id: str,
    email: str,
    role: PortalRole,
    by: TeamActor,
    now: datetime,
) -> tuple[PortalInvitation, str]:
    """A new invitation (flushed) and the token of its link, which is not kept: only its digest.

    An address with an account in another team is invited like any other (the inviter learns
    nothing about other teams); accepting it then adds no account (see :func:`accept_invitation`).
    """
    _may_grant(by, role)
    address = _address(email)
    if db_session.get(Partner, partner_id) is None:
        raise AccountError(f"no partner {partner_id}")
    digest = email_digest(box, address)
    member = select(PortalUser.id).where(
        PortalUser.email_digest == digest, PortalUser.partner_id == partner_id
    )
    if db_session.scalar(member) is not None:
        raise Conflict("that address belongs to a member of the team already")
    if db_session.scalar(_open_invitations(partner_id, now).where(PortalInvitation.email_digest == digest)):
        raise Conflict("an invitation to that address is still open: revoke it to send a new one")
    db_session.execute(delete(PortalInvitation).where(PortalInvitation.expires_at <= now - INVITATION_KEPT))
    token = sessions.new_token()
    invitation = PortalInvitation(
        partner_id=partner_id,
        token_digest=sessions.token_digest(token),
        email_digest=digest,
        email_encrypted=box.encrypt_text(address),
        role=role.value,
        invited_by=by.user_id,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    db_session.add(invitation)
    db_session.flush()
    audit.record(
        db_session,
        actor=by.actor,
        action="portal.invitation_created",
        target_type="portal_invitation",
        target_id=str(invitation.id),
        detail={
            "partner_id": partner_id,
            "role": role.value,
            "expires_at": invitation.expires_at.isoformat(),
        },
    )
    return invitation, token


def _open_invitations(partner_id: str, now: datetime) -> Select[int]:
    return select(PortalInvitation.id).where(
        PortalInvitation.partner_id == partner_id,
        PortalInvitation.accepted_at.is_(None),
        PortalInvitation.revoked_at.is_(None),
        PortalInvitation.expires_at > now,
    )


def list_invitations(
    db_session: Session, box: SecretBox, partner_id: str, *, now: datetime
) -> list[InvitationView]:
    """The team's invitations neither accepted nor revoked, expired ones included, oldest first."""
    rows = db_session.scalars(
        select(PortalInvitation)
        .where(
            PortalInvitation.partner_id == partner_id,
            PortalInvitation.accepted_at.is_(None),
            PortalInvitation.revoked_at.is_(None),
        )
        .order_by(PortalInvitation.id)
    )
    return [
        InvitationView(
            id=row.id,
            email=box.decrypt_text(row.email_encrypted),
            role=row.role,
            created_at=row.created_at,
            expires_at=row.expires_at,
            expired=now >= row.expires_at,
        )
        for row in rows
    ]


def revoke_invitation(
    db_session: Session, *, partner_id: str, invitation_id: int, by: TeamActor, now: datetime
) -> None:
    """Make an invitation's link useless (an expired one is taken off the list the same way)."""
    invitation = db_session.get(PortalInvitation, invitation_id)
    if invitation is None or invitation.partner_id != partner_id:
        raise NotFound("no such invitation in your team")
    _may_grant(by, PortalRole(invitation.role))
    claimed = db_session.execute(
        update(PortalInvitation)
        .where(
            PortalInvitation.id == invitation_id,
            PortalInvitation.accepted_at.is_(None),
            PortalInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    if rows_matched(claimed) != 1:
        raise Conflict("that invitation was accepted or revoked already")
    audit.record(
        db_session,
        actor=by.actor,
        action="portal.invitation_revoked",
        target_type="portal_invitation",
        target_id=str(invitation_id),
        detail={"partner_id": partner_id, "role": invitation.role, "expired": now >= invitation.expires_at},
    )


def open_invitation(db_session: Session, token: str, *, now: datetime) -> PortalInvitation:
    """The invitation of ``token`` while it can be accepted; NotFound for a token that was never
    issued, InvitationGone (with the reason) for one expired, used or revoked."""
    invitation = None
    if _INVITATION_TOKEN.fullmatch(token):
        invitation = db_session.scalar(
            select(PortalInvitation).where(PortalInvitation.token_digest == sessions.token_digest(token))
        )
    if invitation is None:
        raise NotFound("this invitation link is not valid: check that it was copied whole")
    if invitation.revoked_at is not None:
        raise InvitationGone("revoked", "This invitation was revoked by the team. Ask them for a new one.")
    if invitation.accepted_at is not None:
        raise InvitationGone(
            "used", "This invitation has been used already: each link is good once. Sign in instead."
        )
    if now >= invitation.expires_at:
        raise InvitationGone(
            "expired",
            "This invitation has expired (links are good for 24 hours). Ask the team for a new one.",
        )
    return invitation


def accept_invitation(
    db_session: Session, box: SecretBox, *, token: str, password: str, now: datetime
) -> PortalInvitation:
    """Use an invitation up and add its member with ``password`` (WeakPassword before anything is
    used up). The answer is the same when the address has an account already (in any team): that
    account is left as it is and none is added, so the link tells its holder nothing about
    which addresses have accounts."""
    invitation = open_invitation(db_session, token, now=now)
    # Hashed whether or not an account is added: both answers take argon2's time (no timing
    # oracle for which addresses have accounts either).
    password_hash = hash_password(password)
    # A compare-and-set: of two acceptances at once, one only claims the invitation.
    claimed = db_session.execute(
        update(PortalInvitation)
        .where(
            PortalInvitation.id == invitation.id,
            PortalInvitation.accepted_at.is_(None),
            PortalInvitation.revoked_at.is_(None),
        )
        .values(accepted_at=now)
    )
    if rows_matched(claimed) != 1:
        raise InvitationGone("used", "This invitation has been used already: each link is good once.")
    user: PortalUser | None = None
    try:
        with db_session.begin_nested():  # an account for the address made meanwhile: no second one
            user = _new_user(
                db_session,
                box,
                partner_id=invitation.partner_id,
                address=box.decrypt_text(invitation.email_encrypted),
                role=PortalRole(invitation.role),
                password_hash=password_hash,
            )
    except (AccountError, IntegrityError):
        user = None
    audit.record(
        db_session,
        actor=audit.Actor.portal_user(user.id)
        if user is not None
        else audit.Actor(audit.ActorType.PORTAL_USER, "-"),
        action="portal.invitation_accepted",
        target_type="portal_invitation",
        target_id=str(invitation.id),
        detail={
            "partner_id": invitation.partner_id,
            "role": invitation.role,
            "member_id": user.id if user is not None else None,
            "invited_by": invitation.invited_by,
            "outcome": "member_added" if user is not None else "address_taken",
        },
    )
    return invitation


# --- changing a member -------------------------------------------------------------------------


def _team_member(db_session: Session, partner_id: str, member_id: int, by: TeamActor) -> PortalUser:
    """The member an admin acts on, once the team's rules allow it."""
    user = db_session.get(PortalUser, member_id)
    if user is None or user.partner_id != partner_id:
        raise NotFound("no such member in your team")
    if not (by.role is None or allows(by.role, Permission.ADMINISTER)):
        raise NotAllowed("only an admin or an owner changes the team")
    if by.user_id == user.id:
        raise NotAllowed("nobody changes their own role or account here: ask another admin or owner")
    if user.role == PortalRole.OWNER.value and not by.is_owner:
        raise NotAllowed("only an owner can change an owner's account")
    return user


def _keep_an_owner(db_session: Session, user: PortalUser) -> None:
    """Refuse to take ``user``, an active owner, away from the owners when no other would be left."""
    # The team's active owners are locked (in id order: no deadlock), so two owners demoting
    # each other at once cannot both succeed: the second re-reads the rows and finds one owner.
    owners = db_session.scalars(
        select(PortalUser.id)
        .where(
            PortalUser.partner_id == user.partner_id,
            PortalUser.role == PortalRole.OWNER.value,
            PortalUser.disabled.is_(False),
        )
        .order_by(PortalUser.id)
        .with_for_update()
    ).all()
    if not [owner for owner in owners if owner != user.id]:
        raise Conflict("that member is the team's last owner: make another member owner first")


def change_role(
    db_session: Session, *, partner_id: str, member_id: int, role: PortalRole, by: TeamActor
) -> PortalUser:
    """Give a member another role (nothing changes, nothing is recorded, if it is theirs already)."""
    user = _team_member(db_session, partner_id, member_id, by)
    before = user.role
    if before == role.value:
        return user
    _may_grant(by, role)
    if before == PortalRole.OWNER.value and not user.disabled:
        _keep_an_owner(db_session, user)
    user.role = role.value
    audit.record(
        db_session,
        actor=by.actor,
        action="portal.role_changed",
        target_type="portal_user",
        target_id=str(user.id),
        detail={"partner_id": partner_id, "before": before, "after": role.value},
    )
    return user


def set_disabled(
    db_session: Session, *, partner_id: str, member_id: int, disabled: bool, by: TeamActor
) -> PortalUser:
    """Disable a member, ending their sessions at once, or enable them again (no change, nothing
    recorded, when they are so already)."""
    user = _team_member(db_session, partner_id, member_id, by)
    if user.disabled == disabled:
        return user
    if disabled and user.role == PortalRole.OWNER.value:
        _keep_an_owner(db_session, user)
    user.disabled = disabled
    if disabled:
        sessions.close_user_sessions(db_session, user.id)
    audit.record(
        db_session,
        actor=by.actor,
        action="portal.member_disabled" if disabled else "portal.member_enabled",
        target_type="portal_user",
        target_id=str(user.id),
        detail={"partner_id": partner_id, "role": user.role},
    )
    return user


def reset_two_factor(db_session: Session, *, partner_id: str, member_id: int, by: TeamActor) -> PortalUser:
    """Forget a member's TOTP secret and recovery codes (a lost phone) and end their sessions; they
    must enrol again before anything else, whatever the team's policy (a reset replaces a device,
    it does not turn two-factor sign-in off)."""
    user = _team_member(db_session, partner_id, member_id, by)
    if user.totp_secret_encrypted is None:
        raise Conflict("two-factor sign-in is not on for that member: there is nothing to reset")
    user.totp_secret_encrypted = None
    user.totp_last_step = None
    user.recovery_codes = []
    user.totp_must_enrol = True
    sessions.close_user_sessions(db_session, user.id)
    audit.record(
        db_session,
        actor=by.actor,
        action="portal.2fa_reset",
        target_type="portal_user",
        target_id=str(user.id),
        detail={"partner_id": partner_id},
    )
    return user
