"""The management API's KSig1 nonce store: a table every API process shares.

The primary key (API key, nonce digest) makes remembering atomic: of two processes accepting the
same nonce at once, one insert fails. Expired nonces are deleted as new ones arrive, so the table
holds at most the nonces of one timestamp window.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from openkyc.db import transaction
from openkyc.management.models import UsedNonce


def nonce_digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("utf-8", "surrogatepass")).hexdigest()


class DatabaseNonceStore:
    """A ``signing.NonceStore`` in the ``management_nonces`` table (SQLite or PostgreSQL)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def remember(self, scope: str, nonce: str, expires_at: datetime, now: datetime) -> bool:
        row = UsedNonce(api_key=scope, nonce_digest=nonce_digest(nonce), expires_at=expires_at)
        try:
            with transaction(self._sessions) as session:
                # A nonce whose window has passed may be used again (its request is refused as
                # stale anyway), so expired rows go first, this one's included.
                session.execute(delete(UsedNonce).where(UsedNonce.expires_at <= now))
                session.add(row)
        except IntegrityError:
            return False
        return True

    def count(self) -> int:
        """How many nonces are remembered now (for inspection and tests)."""
        with transaction(self._sessions) as session:
            return int(session.scalar(select(func.count()).select_from(UsedNonce)) or 0)
