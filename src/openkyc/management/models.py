"""Management-API credentials (KSig1): API key, secret and auth token per partner and environment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openkyc.db import Base, utcnow


class ManagementCredential(Base):
    __tablename__ = "management_credentials"

    # The public API key (sb_/lv_ prefix) identifies the credential.
    api_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    environment: Mapped[str] = mapped_column(String(16))
    # Both are needed in clear to recompute signatures, so both are encrypted, not hashed.
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    auth_token_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    revoked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UsedNonce(Base):
    """A KSig1 nonce already accepted, kept until its request's timestamp leaves the window.

    In the database, not in a process, so that a captured request cannot be replayed against
    another API process (or after a restart) either.
    """

    __tablename__ = "management_nonces"

    # The credential's API key and SHA-256 of the nonce: a fixed size whatever the client sent.
    api_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
