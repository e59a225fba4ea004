"""The local registry: ID records an operator imports, looked up like an authority's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openkyc.db import Base, utcnow


class RegistryRecord(Base):
    __tablename__ = "registry_records"
    __table_args__ = (UniqueConstraint("country", "id_type", "number_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    country: Mapped[str] = mapped_column(String(2))
    id_type: Mapped[str] = mapped_column(String(64))
    # HMAC of the normalised ID number: looked up by, never stored in clear.
    number_digest: Mapped[str] = mapped_column(String(64))
    # The record (names, dates, photo...) as encrypted JSON: it is the holder's PII.
    record_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
