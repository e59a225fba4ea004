"""Portal tables: the partner's team members, their signed-in sessions, failed sign-ins, the team policy.

No e-mail address is stored in clear: a blind index finds a member by address, and the address
itself is kept encrypted for listing. Passwords are argon2 hashes, TOTP secrets are encrypted (they
must be read back to check a code), recovery codes and session tokens are SHA-256 digests (random
enough that a digest cannot be reversed by guessing).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openkyc.db import Base, utcnow


class PortalRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    OPERATOR = "operator"
    AUDITOR = "auditor"


class PortalUser(Base):
    __tablename__ = "portal_users"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    # openkyc.blind_index.PORTAL_EMAIL digest of the address: one account per address.
    email_digest: Mapped[str] = mapped_column(String(64), unique=True)
    email_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # The last TOTP time step accepted: a code is good once, not for the rest of its 30 s.
    totp_last_step: Mapped[int | None] = mapped_column(default=None)
    # SHA-256 hex digests of the unused recovery codes.
    recovery_codes: Mapped[list[Any]] = mapped_column(default=list)
    disabled: Mapped[bool] = mapped_column(default=False)
    # Set when an admin resets the member's 2FA: they must enrol again before anything else, even
    # where the team does not require 2FA (a reset replaces a lost device, it does not turn 2FA off).
    totp_must_enrol: Mapped[bool] = mapped_column(default=False)
    # When a session was last opened past every factor (shown on the team page).
    last_sign_in_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PortalSession(Base):
    """A signed-in browser: any API process serves it, since it lives here and not in a process."""

    __tablename__ = "portal_sessions"

    # SHA-256 of the cookie's token: a copy of this table signs no one in.
    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"), index=True)
    # Password checked, TOTP code still to come: such a session reaches only the code page.
    second_factor_pending: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class PortalLoginFailure(Base):
    """One failed sign-in, counted per e-mail address and per client address for the rate limit."""

    __tablename__ = "portal_login_failures"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # A keyed digest of "email\n<address>" or "address\n<client IP>": neither is stored in clear.
    key_digest: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


class PortalTeamPolicy(Base):
    """What an owner decides for the whole team (a partner without a row has the defaults)."""

    __tablename__ = "portal_team_policies"

    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    totp_required: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PortalInvitation(Base):
    """A link an admin hands to someone to join the team with a role: good once, for a day.

    The link's token is kept only as its SHA-256 (like a session's), the address as a blind index
    and encrypted (like a member's). Accepted, revoked and expired rows stay as the team's history
    until :func:`openkyc.portal.accounts.invite` sweeps the old ones.
    """

    __tablename__ = "portal_invitations"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    email_digest: Mapped[str] = mapped_column(String(64), index=True)
    email_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    role: Mapped[str] = mapped_column(String(16))
    # The member who invited (None: an operator on the server, with the CLI).
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
