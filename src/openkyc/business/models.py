"""The local business registry: companies an operator imports, looked up like a registry's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openkyc.db import Base, utcnow


class BusinessRegistryRecord(Base):
    __tablename__ = "business_registry_records"
    __table_args__ = (UniqueConstraint("country", "id_type", "number_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    country: Mapped[str] = mapped_column(String(2))
    # The register: BUSINESS_REGISTRATION (which basic searches read too) or TAX_INFORMATION.
    id_type: Mapped[str] = mapped_column(String(64))
    # HMAC of the normalised registration or tax number: looked up by, never stored in clear.
    number_digest: Mapped[str] = mapped_column(String(64))
    # The company, its officers and owners as encrypted JSON: names and ID numbers of people.
    record_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
