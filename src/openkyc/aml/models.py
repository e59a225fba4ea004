"""Watch-list entries (one row per listed person, replaced wholesale when a list is reloaded) and
the people under ongoing monitoring."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openkyc.db import Base, utcnow
from openkyc.sealed import SealedJSON


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


class MonitoredSubject(Base):
    """A person under ongoing AML monitoring (``POST /v3/aml/monitoring``): screened again whenever
    the loaded lists change, its partner called back when the answer does.

    One row per monitoring job. Who is screened (name, aliases, birth year, countries) and the last
    answer (the matched list entries) are personal data: sealed like job results. ``lists_version``
    names the lists the last answer was screened against (``aml.service.lists_version``); a row
    whose version differs from the loaded lists' is due for another screening.
    """

    __tablename__ = "aml_monitored_subjects"
    __table_args__ = (Index("ix_aml_monitored_subjects_due", "active", "lists_version"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # The monitoring job (jobs.smile_job_id): its updates are recorded on it and called back for it.
    smile_job_id: Mapped[str] = mapped_column(ForeignKey("jobs.smile_job_id"), unique=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    environment: Mapped[str] = mapped_column(String(16))
    # {"full_name", "aliases", "birth_year", "countries", "strict_match"}: sealed.
    subject: Mapped[dict[str, Any]] = mapped_column(SealedJSON(frozenset()))
    # The last answer, {"status": "clear"|"block"|"error", "entries": ["<list>:<entry id>", ...]}: sealed.
    last_screening: Mapped[dict[str, Any]] = mapped_column(SealedJSON(frozenset()))
    lists_version: Mapped[str] = mapped_column(String(64))
    # False once monitoring ended (the job was purged: its user deleted, or past retention).
    active: Mapped[bool] = mapped_column(default=True)
    screenings: Mapped[int] = mapped_column(default=1)  # how many times it was screened
    screened_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
