"""The sign-in rate limit: failed attempts counted per e-mail address and per client address.

Counted in the database (every API process sees the same counts), over a sliding window: more
than ``PER_EMAIL`` failures for one address, or ``PER_CLIENT`` from one client, within ``WINDOW``
and further attempts are refused without checking the password. A successful sign-in forgets the
address's failures. Both keys are HMACs (blind_index.PORTAL_LOGIN_LIMIT): no address in clear.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from openkyc.blind_index import PORTAL_LOGIN_LIMIT, index_key
from openkyc.crypto import SecretBox
from openkyc.portal.accounts import normalise_email
from openkyc.portal.models import PortalLoginFailure

WINDOW = timedelta(minutes=15)
PER_EMAIL = 5
PER_CLIENT = 20


def _digest(box: SecretBox, kind: str, value: str) -> str:
    key = index_key(box, PORTAL_LOGIN_LIMIT)
    return hmac.new(key, f"{kind}\n{value}".encode(), hashlib.sha256).hexdigest()


def email_key(box: SecretBox, email: str) -> str:
    return _digest(box, "email", normalise_email(email))


def client_key(box: SecretBox, address: str) -> str:
    return _digest(box, "client", address)


def _failures(db_session: Session, key: str, now: datetime) -> int:
    count = db_session.scalar(
        select(func.count())
        .select_from(PortalLoginFailure)
        .where(PortalLoginFailure.key_digest == key, PortalLoginFailure.at > now - WINDOW)
    )
    return int(count or 0)


def is_limited(db_session: Session, *, email: str, client: str, now: datetime) -> bool:
    return _failures(db_session, email, now) >= PER_EMAIL or _failures(db_session, client, now) >= PER_CLIENT


def client_is_limited(db_session: Session, client: str, *, now: datetime) -> bool:
    """Whether one client has failed too often, whatever it tried (sign-in or invitation links)."""
    return _failures(db_session, client, now) >= PER_CLIENT


def record_failure(db_session: Session, keys: Sequence[str], *, now: datetime) -> None:
    db_session.add_all(PortalLoginFailure(key_digest=key, at=now) for key in keys)
    # Old rows count for nothing: dropped here so the table stays the size of one window.
    db_session.execute(delete(PortalLoginFailure).where(PortalLoginFailure.at <= now - WINDOW))


def forget(db_session: Session, key: str) -> None:
    db_session.execute(delete(PortalLoginFailure).where(PortalLoginFailure.key_digest == key))
