"""Watch-list entries: one row per listed person, replaced wholesale when a list is reloaded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openkyc.db import Base, utcnow


class WatchlistEntry(Base):
    __tablename__ = "aml_list_entries"
    __table_args__ = (UniqueConstraint("list_source", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # The format the list was loaded from (ofac-xml, ofac-csv, un-xml, opensanctions).
    list_source: Mapped[str] = mapped_column(String(32), index=True)
    entry_id: Mapped[str] = mapped_column(String(200))  # the list's own id (OFAC uid, UN reference...)
    primary_name: Mapped[str] = mapped_column(String(500))
    # Normalised primary name (see aml.matching.normalise): lets operators query the table directly.
    search_key: Mapped[str] = mapped_column(String(500), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # sanction, pep or sanction+pep
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    dates_of_birth: Mapped[list[Any]] = mapped_column(default=list)
    nationalities: Mapped[list[Any]] = mapped_column(default=list)  # ISO alpha-2
    addresses: Mapped[list[Any]] = mapped_column(default=list)
    programs: Mapped[list[Any]] = mapped_column(default=list)
    positions: Mapped[list[Any]] = mapped_column(default=list)
    source_link: Mapped[str | None] = mapped_column(String(2048), default=None)
    listed_date: Mapped[str | None] = mapped_column(String(32), default=None)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
