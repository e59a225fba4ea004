"""Issue and look up hosted-web tokens.

A token is 32 random bytes (URL-safe base64), unguessable, so holding it is the authority: the
capture page a later issue builds takes it in place of a signature, which the end user's browser
must never hold. Only its sha256 is stored, so a database leak yields no usable token. Look-ups do
not consume it: the page may be reloaded, and a job id can only be used once anyway.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from openkyc.db import rows_matched
from openkyc.links.models import WebProduct, WebToken

TOKEN_TTL = timedelta(hours=1)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # give to the partner once; never logged or stored
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    *,
    db_session: Session,
    partner_id: str,
    environment: str,
    api_key_id: str,
    user_id: str,
    job_id: str,
    product: WebProduct,
    callback_url: str | None,
    now: datetime,
    ttl: timedelta = TOKEN_TTL,
) -> IssuedToken:
    """Store a new token bound to this partner, environment, user, job, product and callback."""
    token = secrets.token_urlsafe(32)
    expires_at = now + ttl
    db_session.add(
        WebToken(
            token_hash=token_hash(token),
            partner_id=partner_id,
            environment=environment,
            api_key_id=api_key_id,
            user_id=user_id,
            job_id=job_id,
            product=product.value,
            callback_url=callback_url,
            created_at=now,
            expires_at=expires_at,
        )
    )
    db_session.flush()
    return IssuedToken(token=token, expires_at=expires_at)


def lookup_token(*, db_session: Session, token: str, now: datetime) -> WebToken | None:
    """The grant behind ``token``, or None when it is unknown or has expired."""
    if not token or len(token) > 200:
        return None
    grant = db_session.get(WebToken, token_hash(token))
    if grant is None or grant.expires_at <= now:
        return None
    return grant


def purge_expired(*, db_session: Session, now: datetime) -> int:
    """Delete expired tokens (for a periodic clean-up); the number removed."""
    result = db_session.execute(delete(WebToken).where(WebToken.expires_at <= now))
    return rows_matched(result)
