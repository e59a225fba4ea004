"""Fraud reports on a partner's users (V3 ``report_fraud``) and the flag they leave.

Every report is kept (who reported it and the notes are sealed: an email address and free text
are personal data); the flag is one row per (partner, environment, user_id), raised by a report
of fraud and lowered by a report that says the user is not a fraudster. Later jobs of a flagged
user, and jobs whose selfie matches a flagged user's enrolled face, are blocked (``users.fraud``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openkyc.db import Base, utcnow
from openkyc.sealed import SealedJSON


class FraudReport(Base):
    __tablename__ = "fraud_reports"
    __table_args__ = (Index("ix_fraud_reports_partner_env_user", "partner_id", "environment", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"))
    environment: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(200))
    is_fraud: Mapped[bool]
    # One of users.fraud.REASONS when is_fraud; None when the report clears the user.
    reason: Mapped[str | None] = mapped_column(String(32), default=None)
    # {"reported_by": <email>, "notes": <text or None>}: sealed, see openkyc.sealed.
    details: Mapped[dict[str, Any]] = mapped_column(SealedJSON(frozenset()))
    # The API key the report came with (the partner's own id for it, no secret).
    api_key_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FraudFlag(Base):
    __tablename__ = "fraud_flags"
    __table_args__ = (
        UniqueConstraint("partner_id", "environment", "user_id"),
        # Every job's check reads a partner's raised flags (the 1:N face comparison).
        Index("ix_fraud_flags_partner_env_active", "partner_id", "environment", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"))
    environment: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(200))
    # Raised by the latest report of fraud, lowered by a later report that the user is no fraudster.
    active: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(String(32), default=None)
    # The flagged user's face when the flag was raised (the face descriptor the engine's match score
    # is computed from, of the enrolled selfie), encrypted: new selfies are compared with it. None
    # when the user had no enrolled face, once the flag is lowered, and after the user's deletion.
    face_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # The report that last raised or lowered it.
    report_id: Mapped[int] = mapped_column(ForeignKey("fraud_reports.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
