"""Callback deliveries: one row per (job, result) to deliver, with every attempt logged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openkyc.db import Base, utcnow
from openkyc.sealed import CLEAR_RESULT_KEYS, SealedJSON


class CallbackDelivery(Base):
    __tablename__ = "callback_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    smile_job_id: Mapped[str] = mapped_column(ForeignKey("jobs.smile_job_id"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    # The result body without timestamp/signature: those are made fresh on every attempt. Sealed
    # (encrypted) like the job's result: it is the same personal data.
    payload: Mapped[dict[str, Any]] = mapped_column(SealedJSON(CLEAR_RESULT_KEYS))
    delivered: Mapped[bool] = mapped_column(default=False, index=True)
    abandoned: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    give_up_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "v1": the payload is a v1 result, signed with signature/timestamp fields in the body; "v3":
    # a V3 payload, signed in the Response-Signature/Response-Timestamp headers (callbacks.service).
    wire: Mapped[str] = mapped_column(String(4), default="v1", server_default="v1")
    # Claimed by a dispatcher until this time (so two dispatchers never send one delivery twice).
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)


class CallbackAttempt(Base):
    __tablename__ = "callback_attempts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("callback_deliveries.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(default=None)
    # Why it failed, in our words (never the receiver's response body: it may echo PII).
    error: Mapped[str | None] = mapped_column(Text, default=None)
    duration_ms: Mapped[float | None] = mapped_column(default=None)
