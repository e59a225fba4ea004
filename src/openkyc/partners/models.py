"""Partner and API-key tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openkyc.db import Base, utcnow


class Partner(Base):
    __tablename__ = "partners"

    # Smile ID partner ids are short digit strings; the V3 SDKs insist on no leading zeros.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    production_enabled: Mapped[bool] = mapped_column(default=False)
    # Where results of jobs sent without a callback_url go, per environment (None: nowhere).
    sandbox_callback_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    production_callback_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    api_keys: Mapped[list[ApiKey]] = relationship(back_populates="partner", cascade="all, delete-orphan")

    def callback_url_for(self, environment: str) -> str | None:
        """The default callback URL of jobs in ``environment`` ("sandbox" or "production")."""
        return self.production_callback_url if environment == "production" else self.sandbox_callback_url


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    environment: Mapped[str] = mapped_column(String(16))
    # Encrypted with the master key: requests are verified by recomputing their HMAC with it.
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    fingerprint: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    partner: Mapped[Partner] = relationship(back_populates="api_keys")
