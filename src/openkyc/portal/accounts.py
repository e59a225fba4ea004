"""Team members: adding, finding by e-mail address, listing; the team's 2FA policy."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from openkyc import audit
from openkyc.blind_index import PORTAL_EMAIL, index_key, number_digest
from openkyc.crypto import SecretBox
from openkyc.partners.models import Partner
from openkyc.portal.models import PortalRole, PortalTeamPolicy, PortalUser
from openkyc.portal.passwords import hash_password

MAX_EMAIL = 254  # RFC 5321's limit on a path
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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
    """A team member that cannot be added (bad address, duplicate, unknown partner...)."""


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

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "partner_id": self.partner_id,
            "email": self.email,
            "role": self.role,
            "two_factor": self.two_factor,
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat(),
        }


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_digest(box: SecretBox, email: str) -> str:
    """The blind index of an address (case and surrounding spaces do not make another address)."""
    return number_digest(index_key(box, PORTAL_EMAIL), normalise_email(email))


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
    address = normalise_email(email)
    if len(address) > MAX_EMAIL or not _EMAIL.match(address):
        raise AccountError("that is not an e-mail address")
    if db_session.get(Partner, partner_id) is None:
        raise AccountError(f"no partner {partner_id}")
    digest = email_digest(box, address)
    if db_session.scalar(select(PortalUser.id).where(PortalUser.email_digest == digest)) is not None:
        raise AccountError("a portal user with that e-mail address exists already")
    user = PortalUser(
        partner_id=partner_id,
        email_digest=digest,
        email_encrypted=box.encrypt_text(address),
        role=role.value,
        password_hash=hash_password(password),
        recovery_codes=[],
    )
    db_session.add(user)
    db_session.flush()
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
