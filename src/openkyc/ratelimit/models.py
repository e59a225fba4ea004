"""One row per ID number a partner looks up: how many requests its current streak holds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openkyc.db import Base, utcnow


class IdNumberRequests(Base):
    __tablename__ = "id_number_requests"
    __table_args__ = (
        UniqueConstraint("partner_id", "environment", "country", "id_type", "id_number_digest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    environment: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(8))
    id_type: Mapped[str] = mapped_column(String(64))
    # Keyed HMAC of the ID number: counting needs equality only, and the raw number is PII.
    id_number_digest: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(default=0)
    streak_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_request_at: Mapped[datetime] = mapped_column(default=utcnow)
