"""Signed-in sessions: a random token in the cookie, its SHA-256 in the database.

A session ends after ``IDLE`` without a request, or ``ABSOLUTE`` after sign-in whatever happens;
one still waiting for its TOTP code ends after ``PENDING``. Every form carries a CSRF token: an
HMAC of the cookie's token under a key derived from the installation's, so it is per session (or
per visitor before sign-in), needs no storage and is the same in every API process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from openkyc.crypto import SecretBox
from openkyc.db import rows_matched
from openkyc.portal.models import PortalSession, PortalUser

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
PENDING = timedelta(minutes=5)
# last_seen_at is written at most this often: not one UPDATE per page view.
TOUCH_EVERY = timedelta(seconds=60)
CSRF_PURPOSE = b"openkyc portal csrf v1"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def open_session(db_session: Session, user: PortalUser, *, pending: bool, now: datetime) -> str:
    """A new session for ``user`` (flushed); the token to put in the cookie."""
    token = new_token()
    if not pending:  # past every factor: a sign-in, as the team page shows it
        user.last_sign_in_at = now
    db_session.add(
        PortalSession(
            token_digest=token_digest(token),
            user_id=user.id,
            second_factor_pending=pending,
            created_at=now,
            last_seen_at=now,
            expires_at=now + (PENDING if pending else ABSOLUTE),
        )
    )
    db_session.flush()
    return token


def live_session(db_session: Session, token: str, *, now: datetime) -> PortalSession | None:
    """The session of ``token`` if it has not expired (an expired one is deleted)."""
    row = db_session.get(PortalSession, token_digest(token))
    if row is None:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= IDLE:
        db_session.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


def close_session(db_session: Session, token: str) -> None:
    db_session.execute(delete(PortalSession).where(PortalSession.token_digest == token_digest(token)))


def close_user_sessions(db_session: Session, user_id: int) -> None:
    db_session.execute(delete(PortalSession).where(PortalSession.user_id == user_id))


def sweep_expired(db_session: Session, *, now: datetime) -> int:
    """Delete sessions past their absolute expiry (idle ones go when next presented)."""
    return rows_matched(db_session.execute(delete(PortalSession).where(PortalSession.expires_at <= now)))


def csrf_token(box: SecretBox, cookie_token: str) -> str:
    key = box.derive_key(CSRF_PURPOSE)
    return hmac.new(key, b"csrf\n" + cookie_token.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_valid(box: SecretBox, cookie_token: str | None, sent: str | None) -> bool:
    """Constant-time comparison of the form's token with the one the cookie's token gives."""
    if not cookie_token or not sent or not sent.isascii():  # compare_digest refuses other text
        return False
    return hmac.compare_digest(csrf_token(box, cookie_token), sent)
