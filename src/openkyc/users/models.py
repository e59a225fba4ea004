"""Enrolled users (a partner's user_id with a registered face)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openkyc.db import Base, utcnow


class UserStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"  # 2207
    DELETED = "deleted"  # 2208
    REENROLL_REQUIRED = "reenroll_required"  # 2211


class EnrolledUser(Base):
    __tablename__ = "enrolled_users"
    __table_args__ = (UniqueConstraint("partner_id", "environment", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    environment: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(24), default=UserStatus.ACTIVE)
    # The registered face: embedding (encrypted) and the blob key of the encrypted selfie.
    embedding_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    selfie_blob: Mapped[str | None] = mapped_column(String(200), default=None)
    enrolled_by_job: Mapped[str | None] = mapped_column(String(20), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
