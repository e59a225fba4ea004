"""Loading lists into the database and screening a name against what is loaded.

The screening index is built from the database once per process and engine, and rebuilt when
the table changes: a load in this process drops it at once, and a load by another process (the
CLI while the server runs) is noticed through the table's row count, highest id and latest load
time. The time is what every load changes for sure: a load deletes and re-inserts its source's
rows, and SQLite may hand the deleted highest ids out again, so a reload of as many entries can
leave the count and the highest id as they were.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from openkyc.aml.entries import LIST_LABELS, SOURCE_NAMES, EntryKind, ListEntry, ListSource
from openkyc.aml.matching import Candidate, ScreeningIndex, normalise
from openkyc.aml.models import WatchlistEntry
from openkyc.aml.parsers import PARSERS, parse_ofac_csv
from openkyc.db import transaction


def parse_file(source: ListSource, path: Path) -> list[ListEntry]:
    """Parse one list file; OFAC's CSV picks up ``alt.csv`` (aliases) from the same folder."""
    if source is ListSource.OFAC_CSV:
        alt = path.with_name("alt.csv")
        return parse_ofac_csv(path.read_bytes(), alt.read_bytes() if alt.is_file() and alt != path else None)
    return PARSERS[source](path.read_bytes())


def load_entries(sessions: sessionmaker[Session], source: ListSource, entries: list[ListEntry]) -> int:
    """Replace every entry of ``source`` with ``entries`` in one transaction; the number stored."""
    unique = {entry.entry_id: entry for entry in entries}  # a list repeating an id keeps the last
    with transaction(sessions) as session:
        session.execute(delete(WatchlistEntry).where(WatchlistEntry.list_source == source.value))
        session.add_all(
            WatchlistEntry(
                list_source=source.value,
                entry_id=entry.entry_id[:200],
                primary_name=entry.primary_name[:500],
                search_key=normalise(entry.primary_name)[:500],
                kind=entry.kind.value,
                aliases=entry.aliases,
                dates_of_birth=entry.dates_of_birth,
                nationalities=entry.nationalities,
                addresses=entry.addresses,
                programs=entry.programs,
                positions=entry.positions,
                source_link=entry.source_link,
                listed_date=entry.listed_date,
            )
            for entry in unique.values()
        )
    engine = sessions.kw.get("bind")
    if isinstance(engine, Engine):
        invalidate(engine)
    return len(unique)


def count_entries(sessions: sessionmaker[Session]) -> dict[str, int]:
    with transaction(sessions) as session:
        rows = session.execute(
            select(WatchlistEntry.list_source, func.count()).group_by(WatchlistEntry.list_source)
        ).all()
    return {source: count for source, count in rows}


@dataclass
class _Cached:
    fingerprint: tuple[int, int, str]
    index: ScreeningIndex


_CACHE: weakref.WeakKeyDictionary[Engine, _Cached] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def invalidate(engine: Engine) -> None:
    with _LOCK:
        _CACHE.pop(engine, None)


def _fingerprint(session: Session) -> tuple[int, int, str]:
    count, highest, latest = session.execute(
        select(func.count(), func.max(WatchlistEntry.id), func.max(WatchlistEntry.loaded_at))
    ).one()
    return int(count), int(highest or 0), latest.isoformat() if isinstance(latest, datetime) else ""


def _version(fingerprint: tuple[int, int, str]) -> str:
    return ":".join(str(part) for part in fingerprint)


def lists_version(sessions: sessionmaker[Session]) -> str:
    """A name for what the lists hold now, changed by every load (``"<entries>:<highest id>:<latest
    load time>"``; ``"0:0:"`` while nothing is loaded): monitoring screens a person again when it
    differs from the version their last answer was screened against."""
    with transaction(sessions) as session:
        return _version(_fingerprint(session))


def build_index(session: Session) -> ScreeningIndex:
    index = ScreeningIndex()
    rows = session.execute(
        select(
            WatchlistEntry.id,
            WatchlistEntry.primary_name,
            WatchlistEntry.aliases,
            WatchlistEntry.dates_of_birth,
            WatchlistEntry.nationalities,
        )
    )
    for pk, name, aliases, dates, nationalities in rows:
        index.add(pk, [name, *aliases], dates, nationalities)
    return index


def screening_index(sessions: sessionmaker[Session]) -> ScreeningIndex:
    """The index of what the database holds now, rebuilt only when it changed."""
    return _current(sessions).index


def _current(sessions: sessionmaker[Session]) -> _Cached:
    engine = sessions.kw["bind"]
    with transaction(sessions) as session:
        fingerprint = _fingerprint(session)
        with _LOCK:
            cached = _CACHE.get(engine)
            if cached is not None and cached.fingerprint == fingerprint:
                return cached
        current = _Cached(fingerprint, build_index(session))
    with _LOCK:
        _CACHE[engine] = current
    return current


@dataclass(frozen=True)
class Screening:
    candidates: list[Candidate]
    people: list[dict[str, Any]]  # in the v1 response's shape, best match first
    # The same people in the V3 API's shape (its AmlPersonMatch schema), best match first.
    people_v3: list[dict[str, Any]] = field(default_factory=list)
    # The matched entries as "<list source>:<the list's own id>", ids a reload keeps (the rows' own
    # ids change with every load): what monitoring compares to tell whether an answer changed.
    entries: list[str] = field(default_factory=list)
    lists_version: str = "0:0:"  # the lists screened against (see lists_version)

    @property
    def lists_loaded(self) -> bool:
        """Whether any list was loaded: screening against none found nobody, and proves nothing."""
        return not self.lists_version.startswith("0:")


def screen(
    sessions: sessionmaker[Session],
    *,
    full_name: str,
    aliases: list[str],
    birth_year: int | None,
    countries: list[str],
    strict: bool,
    limit: int = 20,
) -> Screening:
    current = _current(sessions)
    candidates = current.index.screen(
        full_name, aliases=aliases, birth_year=birth_year, countries=countries, strict=strict
    )[:limit]
    with transaction(sessions) as session:
        rows = {
            row.id: row
            for row in session.scalars(
                select(WatchlistEntry).where(WatchlistEntry.id.in_([c.entry_pk for c in candidates]))
            )
        }
        found = [rows[c.entry_pk] for c in candidates if c.entry_pk in rows]
        return Screening(
            candidates,
            [person_body(entry) for entry in found],
            people_v3=[person_match(entry) for entry in found],
            entries=[f"{entry.list_source}:{entry.entry_id}" for entry in found],
            lists_version=_version(current.fingerprint),
        )


def person_body(entry: WatchlistEntry) -> dict[str, Any]:
    """One ``people[]`` item as Smile ID returns it (compatibility §4.9)."""
    source_name = SOURCE_NAMES.get(ListSource(entry.list_source), entry.list_source)
    is_pep = entry.kind in (EntryKind.PEP, EntryKind.SANCTION_AND_PEP)
    is_sanction = entry.kind in (EntryKind.SANCTION, EntryKind.SANCTION_AND_PEP)
    link = entry.source_link or ""
    return {
        "name": entry.primary_name,
        "aliases": list(entry.aliases),
        "addresses": list(entry.addresses),
        "dates_of_birth": list(entry.dates_of_birth),
        "nationalities": list(entry.nationalities),
        "adverse_media": [],  # no news source is screened
        "associations": [],
        "pep": {
            "pep_level": 1 if is_pep else None,
            "political_positions": [
                {
                    "country": (entry.nationalities or [None])[0],
                    "from": None,
                    "position": position,
                    "to": None,
                }
                for position in entry.positions
            ]
            if is_pep
            else [],
            "sources": [{"source_link": link, "source_name": source_name}] if is_pep else [],
        },
        "sanctions": [
            {
                "date_of_birth": (entry.dates_of_birth or [None])[0],
                "nationality": (entry.nationalities or [None])[0],
                "source_details": {
                    "listed_date": entry.listed_date,
                    "source_link": [link] if link else [],
                    "source_name": source_name,
                    "source_type": "sanctions",
                },
            }
        ]
        if is_sanction
        else [],
    }


def person_match(entry: WatchlistEntry) -> dict[str, Any]:
    """One ``people[]`` item of a V3 AML result (the spec's ``AmlPersonMatch``).

    Its arrays hold objects: an alias ``{"name"}``, a date of birth ``{"date"}`` as the list wrote
    it, a nationality ``{"country_code"}``, an address ``{"address"}``; a sanction names its list
    (``{"list": "OFAC SDN", ...}``). No news source is screened, so ``news_summary`` is always
    empty; lists record no associations nor enforcement actions: empty too.
    """
    source = ListSource(entry.list_source)
    is_pep = entry.kind in (EntryKind.PEP, EntryKind.SANCTION_AND_PEP)
    is_sanction = entry.kind in (EntryKind.SANCTION, EntryKind.SANCTION_AND_PEP)
    source_name = SOURCE_NAMES.get(source, entry.list_source)
    link = entry.source_link
    return {
        "name": entry.primary_name,
        "addresses": [{"address": address} for address in entry.addresses],
        "news_summary": [],
        "aliases": [{"name": alias} for alias in entry.aliases],
        "associations": [],
        "dates_of_birth": [{"date": date} for date in entry.dates_of_birth],
        "enforcement_actions": [],
        "nationalities": [{"country_code": code} for code in entry.nationalities],
        "sanctions": [
            {
                "list": LIST_LABELS.get(source, source_name),
                "source_name": source_name,
                "source_link": link,
                "listed_date": entry.listed_date,
                "programs": list(entry.programs),
            }
        ]
        if is_sanction
        else [],
        "pep": {
            "pep_level": 1 if is_pep else None,
            "political_positions": [str(position) for position in entry.positions] if is_pep else [],
            "sources": [{"source_name": source_name, "source_link": link}] if is_pep else [],
        },
    }
