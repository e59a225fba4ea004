"""Dates on identity documents: as the visual zone prints them, and what they can mean.

Printed dates come as "12 AUG 1974", "12 AOÛT/AUG 1974", "12.08.1974", "12/08/1974",
"1974-08-12", "AUG 12, 1974", and the same with the spaces OCR drops ("12AUG1974"). Numeric dates
are ambiguous between day-first (most of the world) and month-first (the United States), and
two-digit years (and every MRZ date) between centuries, so a printed date yields every reading it
allows (:func:`find_dates`).

Which reading is meant is decided by meaning, never by list order (:func:`resolve_dates`): a
birth date lies in the past and not absurdly long ago, an issue date lies between birth and
today, and an expiry date follows the issue date within the document's plausible validity. The
three are resolved jointly: "16 APR 07" issued to a holder born in 1974 is 2007, not 1907. When
no reading of a date fits, none is reported and a note says why.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import combinations, groupby, product
from typing import Literal

from openkyc.engine.document.text import fold

# Month names and abbreviations in English, French, German, Spanish, Italian, Portuguese, Dutch and
# Polish, folded (no accents). Abbreviations of three letters or more of these are also accepted.
_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: (
        "JANUARY",
        "JANVIER",
        "JANUAR",
        "ENERO",
        "GENNAIO",
        "JANEIRO",
        "JANUARI",
        "STYCZEN",
        "JANV",
        "ENE",
        "GEN",
    ),
    2: (
        "FEBRUARY",
        "FEVRIER",
        "FEBRUAR",
        "FEBRERO",
        "FEBBRAIO",
        "FEVEREIRO",
        "FEBRUARI",
        "LUTY",
        "FEVR",
        "FEV",
    ),
    3: ("MARCH", "MARS", "MARZ", "MARZO", "MARCO", "MAART", "MARZEC", "MRT"),
    4: ("APRIL", "AVRIL", "ABRIL", "APRILE", "KWIECIEN", "AVR", "ABR"),
    5: ("MAY", "MAI", "MAYO", "MAGGIO", "MAIO", "MEI", "MAJ", "MAG"),
    6: ("JUNE", "JUIN", "JUNI", "JUNIO", "GIUGNO", "JUNHO", "CZERWIEC", "GIU"),
    7: ("JULY", "JUILLET", "JULI", "JULIO", "LUGLIO", "JULHO", "LIPIEC", "JUIL", "LUG"),
    8: ("AUGUST", "AOUT", "AGOSTO", "AUGUSTUS", "SIERPIEN", "AGO"),
    9: ("SEPTEMBER", "SEPTEMBRE", "SEPTIEMBRE", "SETTEMBRE", "SETEMBRO", "WRZESIEN", "SEPT", "SET"),
    10: (
        "OCTOBER",
        "OCTOBRE",
        "OKTOBER",
        "OCTUBRE",
        "OTTOBRE",
        "OUTUBRO",
        "PAZDZIERNIK",
        "OTT",
        "OUT",
        "OKT",
    ),
    11: ("NOVEMBER", "NOVEMBRE", "NOVIEMBRE", "NOVEMBRO", "LISTOPAD"),
    12: ("DECEMBER", "DECEMBRE", "DEZEMBER", "DICIEMBRE", "DICEMBRE", "DEZEMBRO", "GRUDZIEN", "DEZ", "DIC"),
}


def _month_table() -> dict[str, int]:
    table: dict[str, int] = {}
    for month, names in _MONTH_NAMES.items():
        for name in names:
            table.setdefault(name, month)
            table.setdefault(name[:3], month)
    return table


MONTHS = _month_table()
_MONTH_KEYS = sorted(MONTHS, key=len, reverse=True)

_SEP = r"\s*[.\-/ ]\s*"
_YMD = re.compile(rf"(?<!\d)(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})(?!\d)")
_DMY = re.compile(r"(?<!\d)(\d{1,2})\s*([.\-/])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})(?!\d)")
_DMY_SPACED = re.compile(r"(?<!\d)(\d{2}) (\d{2}) (\d{4})(?!\d)")
# Day, month name (maybe bilingual: "AOUT/AUG", or run together by OCR: "AUGAOUT"), year.
_D_MON_Y = re.compile(
    r"(?<!\d)(\d{1,2})\s*[.\-/ ]?\s*([A-Z]{3,12}(?:\s*[/.]\s*[A-Z]{3,12})?)\s*[.\-/ ,]?\s*(\d{4}|\d{2})(?!\d)"
)
_MON_D_Y = re.compile(r"(?<![A-Z])([A-Z]{3,12})\.?\s*(\d{1,2})\s*,?\s*(\d{4})(?!\d)")
_COMPACT = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{4})(?!\d)")


# "dmy": a numeric date read day first; "mdy": month first; "": no day/month ambiguity (a month
# name, year first, or the same number twice).
Order = Literal["dmy", "mdy", ""]


@dataclass(frozen=True)
class Reading:
    """One calendar date a printed (or MRZ) date can mean.

    ``order`` says which day/month convention gave it; ``penalty`` carries a caller's preference
    among readings (0 = no preference), added to the score :func:`resolve_dates` ranks by.
    """

    value: date
    order: Order = ""
    penalty: float = 0.0


@dataclass(frozen=True)
class PrintedDate:
    """One date found in text: what was printed and every calendar date it can mean."""

    text: str
    readings: tuple[Reading, ...]
    start: int

    @property
    def candidates(self) -> tuple[str, ...]:
        """Every reading as an ISO string. The order carries no preference between centuries:
        :func:`resolve_dates` chooses by meaning."""
        return tuple(r.value.isoformat() for r in self.readings)


def month_number(letters: str) -> int | None:
    """Month of a (possibly bilingual or run-together) month name: "AUG", "AOUT/AUG", "AUGAOUT"."""
    pieces = [piece for piece in re.split(r"[/.\s]+", letters) if piece]
    for piece in pieces:
        if piece in MONTHS:
            return MONTHS[piece]
    for piece in pieces:
        for key in _MONTH_KEYS:
            if piece.startswith(key) or piece.endswith(key):
                return MONTHS[key]
    return None


def _day(year: int, month: int, day: int) -> date | None:
    if not 1900 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _years(text: str) -> list[int]:
    year = int(text)
    if len(text) == 4:
        return [year]
    return [1900 + year, 2000 + year]


def _unique(values: list[Reading | None]) -> tuple[Reading, ...]:
    out: list[Reading] = []
    for value in values:
        if value is not None and all(value.value != kept.value for kept in out):
            out.append(value)
    return tuple(out)


def _reading(year: int, month: int, day: int, order: Order = "") -> Reading | None:
    value = _day(year, month, day)
    return Reading(value, order) if value is not None else None


def find_dates(text: str, *, allow_compact: bool = False) -> list[PrintedDate]:
    """Every date printed in ``text``, in order. ``allow_compact`` also reads "12081974" (only
    safe where a label says a date follows; elsewhere eight digits are usually a number)."""
    folded = fold(text)
    found: list[PrintedDate] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], readings: tuple[Reading, ...]) -> None:
        span = match.span()
        if not readings or any(span[0] < end and start < span[1] for start, end in taken):
            return
        taken.append(span)
        found.append(PrintedDate(text=match.group(0).strip(), readings=readings, start=span[0]))

    for match in _YMD.finditer(folded):
        add(match, _unique([_reading(int(match[1]), int(match[2]), int(match[3]))]))
    for match in _D_MON_Y.finditer(folded):
        month = month_number(match[2])
        if month is not None:
            add(match, _unique([_reading(y, month, int(match[1])) for y in _years(match[3])]))
    for match in _MON_D_Y.finditer(folded):
        month = month_number(match[1])
        if month is not None:
            add(match, _unique([_reading(int(match[3]), month, int(match[2]))]))
    numeric = [(m, m[1], m[3], m[4]) for m in _DMY.finditer(folded)]
    numeric += [(m, m[1], m[2], m[3]) for m in _DMY_SPACED.finditer(folded)]
    if allow_compact:
        numeric += [(m, m[1], m[2], m[3]) for m in _COMPACT.finditer(folded)]
    for match, first, second, year_text in numeric:
        a, b = int(first), int(second)
        readings: list[Reading | None] = []
        for year in _years(year_text):
            if a == b:
                readings.append(_reading(year, a, a))
                continue
            readings.append(_reading(year, b, a, "dmy"))  # day first: most of the world
            readings.append(_reading(year, a, b, "mdy"))  # month first: the United States
        add(match, _unique(readings))
    found.sort(key=lambda d: d.start)
    return found


# --- What dates can mean -------------------------------------------------------------------------

Role = Literal["birth", "issue", "expiry"]
ROLES: tuple[Role, ...] = ("birth", "issue", "expiry")
_ROLE_NAMES = {"birth": "birth date", "issue": "issue date", "expiry": "expiry date"}

# The oldest verified human lived 122 years: a birth (or issue) date further back is a misread.
MAX_AGE_YEARS = 130
# Longest validity (issue to expiry) by kind of document, in years. Passports and visas: 10 years
# is the longest any issuer grants (ICAO 9303 sets no maximum; US, UK, EU, India, Nigeria give at
# most 10), plus the up to 9 months of a renewed passport's unused validity the UK added until
# 2018. Identity cards and residence permits: EU Regulation 2019/1157 allows 5 to 10 years, some
# national cards run 15 (France's adult cards of 2004-2013), plus slack. Driving licences: EU
# Directive 2006/126/EC allows up to 15 years, US states up to 12.
VALIDITY_YEARS: dict[str, int] = {
    "passport": 11,
    "visa": 11,
    "identity_card": 16,
    "residence_permit": 16,
    "driving_licence": 16,
}
# Any other or unknown kind: the longest of the above.
DEFAULT_VALIDITY_YEARS = 16
# Identity cards of the elderly run much longer (Belgium: 30 years from age 75; Spain's DNI is
# permanent from 70 and prints no usable expiry date at all).
ELDERLY_AGE = 70
ELDERLY_VALIDITY_YEARS = 31
# Some driving licences run until a birthday (Arizona: the 65th), not for a number of years.
LICENCE_UNTIL_AGE = 66

# Scoring among plausible readings (lower is better). A reading costs its distance from today in
# centuries (a birth date: the holder's age), so two-digit years fall in the century that makes
# the holder younger and the document's dates closer to today when both are possible.
_MIXED_ORDERS = 0.5  # one document does not print some dates day-first and others month-first
_MONTH_FIRST = 0.1  # day-first is the convention nearly everywhere but the United States
_EXPIRES_ON_ISSUE_DAY = -0.15  # most documents expire on (or the day before) an issue anniversary
_EXPIRES_ON_BIRTHDAY = -0.1  # some expire on the holder's birthday (Italy, many US states)
# When dates contradict each other, the set that fits is kept only if it is likelier than every
# other by this much (20 years closer to today); otherwise only the dates every such set shares.
_CLEARLY_LIKELIER = 0.2


def add_years(day: date, years: int) -> date:
    """``day`` moved by whole years (29 February becomes 28 February in common years)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def years_between(earlier: date, later: date) -> int:
    """Whole years from ``earlier`` to ``later`` (negative if ``later`` comes first)."""
    years = later.year - earlier.year
    if (later.month, later.day) < (earlier.month, earlier.day):
        years -= 1
    return years


def _kind(kind: str | None) -> str | None:
    return kind if kind in VALIDITY_YEARS else None


def latest_expiry(issue: date, *, kind: str | None = None, birth: date | None = None) -> date:
    """The latest plausible expiry date of a document of ``kind`` issued on ``issue``."""
    kind = _kind(kind)
    end = add_years(issue, VALIDITY_YEARS.get(kind or "", DEFAULT_VALIDITY_YEARS))
    if birth is not None:
        if kind in (None, "identity_card", "residence_permit") and years_between(birth, issue) >= ELDERLY_AGE:
            end = max(end, add_years(issue, ELDERLY_VALIDITY_YEARS))
        if kind in (None, "driving_licence"):
            end = max(end, add_years(birth, LICENCE_UNTIL_AGE))
    return end


def kind_of_mrz_code(document_code: str) -> str | None:
    """The kind of document an ICAO 9303 document code names (P passport, V visa, I/A/C cards)."""
    first = document_code[:1]
    return {
        "P": "passport",
        "V": "visa",
        "I": "identity_card",
        "A": "identity_card",
        "C": "identity_card",
    }.get(first)


def implausibility(dates: dict[Role, date], *, today: date | None, kind: str | None = None) -> str | None:
    """Why these dates (any of birth, issue, expiry) cannot all be right; None when they can.

    Without ``today`` only the dates' relations to each other are judged.
    """
    birth, issue, expiry = dates.get("birth"), dates.get("issue"), dates.get("expiry")
    if today is not None:
        oldest = add_years(today, -MAX_AGE_YEARS)
        if birth is not None:
            if birth > today:
                return f"birth date {birth} is after today"
            if birth < oldest:
                return f"birth date {birth} is more than {MAX_AGE_YEARS} years ago"
        if issue is not None:
            if issue > today:
                return f"issue date {issue} is after today"
            if issue < oldest:
                return f"issue date {issue} is more than {MAX_AGE_YEARS} years ago"
        if expiry is not None:
            if expiry < oldest:
                return f"expiry date {expiry} is more than {MAX_AGE_YEARS} years ago"
            if issue is None and expiry > latest_expiry(today, kind=kind, birth=birth):
                # Not issued yet, or valid for longer than any such document is.
                return f"expiry date {expiry} is further ahead than any {kind or 'document'} is valid"
    if birth is not None and issue is not None and issue < birth:
        return f"issue date {issue} is before birth date {birth}"
    if birth is not None and expiry is not None and expiry <= birth:
        return f"expiry date {expiry} is not after birth date {birth}"
    if issue is not None and expiry is not None:
        if expiry <= issue:
            return f"expiry date {expiry} is not after issue date {issue}"
        if expiry > latest_expiry(issue, kind=kind, birth=birth):
            years = years_between(issue, expiry)
            return f"valid {years} years from {issue} to {expiry}, longer than any {kind or 'document'} is"
    return None


def _cost(combo: dict[Role, Reading], reference: date) -> float:
    cost = 0.0
    for role, reading in combo.items():
        days = (reading.value - reference).days
        cost += (abs(days) if role == "expiry" else -days) / 36525.0 + reading.penalty
        if reading.order == "mdy":
            cost += _MONTH_FIRST
    orders = {reading.order for reading in combo.values()} - {""}
    if len(orders) > 1:
        cost += _MIXED_ORDERS
    issue, expiry, birth = combo.get("issue"), combo.get("expiry"), combo.get("birth")
    if expiry is not None:
        before = expiry.value + timedelta(days=1)
        if issue is not None and (issue.value.month, issue.value.day) in {
            (expiry.value.month, expiry.value.day),
            (before.month, before.day),
        }:
            cost += _EXPIRES_ON_ISSUE_DAY
        if birth is not None and (birth.value.month, birth.value.day) in {
            (expiry.value.month, expiry.value.day),
            (before.month, before.day),
        }:
            cost += _EXPIRES_ON_BIRTHDAY
    return cost


@dataclass(frozen=True)
class ResolvedDates:
    """The meaning chosen for a document's dates.

    ``birth``, ``issue``, ``expiry``: the chosen reading, None when the date was not read or no
    reading of it fits. ``plausible``: per role, every reading that fits with the others, best
    first. ``notes``: per role read but not reported, why.
    """

    birth: date | None = None
    issue: date | None = None
    expiry: date | None = None
    plausible: dict[Role, tuple[date, ...]] = field(default_factory=dict)
    notes: dict[Role, str] = field(default_factory=dict)

    def get(self, role: Role) -> date | None:
        return {"birth": self.birth, "issue": self.issue, "expiry": self.expiry}[role]


ReadingLike = Reading | date | str


def as_readings(values: Sequence[ReadingLike], *, step: float = 0.0) -> list[Reading]:
    """Readings from ISO strings, dates or readings; the n-th plain value gets ``n * step`` as its
    penalty (a caller's order of preference, kept weaker than meaning)."""
    out: list[Reading] = []
    for index, value in enumerate(values):
        if isinstance(value, Reading):
            reading = value
        else:
            day = value if isinstance(value, date) else date.fromisoformat(value)
            reading = Reading(day, "", index * step)
        if all(reading.value != kept.value for kept in out):
            out.append(reading)
    return out


def resolve_dates(
    *,
    birth: Sequence[ReadingLike] = (),
    issue: Sequence[ReadingLike] = (),
    expiry: Sequence[ReadingLike] = (),
    today: date | None,
    kind: str | None = None,
    trusted: Collection[Role] = (),
) -> ResolvedDates:
    """Choose what a document's dates mean, jointly, from every reading of each.

    Dates that cannot all be right are dropped, fewest first, and ``trusted`` ones (an MRZ check
    digit vouches for their digits) last: a date is kept only if every best set of dates that
    fits together includes it, so that of two equally trusted dates that contradict each other
    neither is reported (which of them is wrong is unknown), unless one set is clearly likelier.
    ``today`` None: only the relations between the dates are judged (and readings are scored
    against the latest of them).
    """
    inputs: dict[Role, Sequence[ReadingLike]] = {"birth": birth, "issue": issue, "expiry": expiry}
    given: dict[Role, list[Reading]] = {role: as_readings(inputs[role]) for role in ROLES if inputs[role]}
    read: list[Role] = [role for role in ROLES if role in given]
    reference = today or max((r.value for readings in given.values() for r in readings), default=date.min)

    def fits(roles: Sequence[Role]) -> list[tuple[float, dict[Role, Reading]]]:
        out: list[tuple[float, dict[Role, Reading]]] = []
        for choice in product(*(given[role] for role in roles)):
            combo = dict(zip(roles, choice, strict=True))
            values = {role: reading.value for role, reading in combo.items()}
            if implausibility(values, today=today, kind=kind) is None:
                out.append((_cost(combo, reference), combo))
        out.sort(key=lambda item: item[0])
        return out

    # Candidate sets of dates to keep, best first: most trusted dates, then most dates.
    def merit(roles: tuple[Role, ...]) -> tuple[int, int]:
        return sum(role in trusted for role in roles), len(roles)

    subsets = [roles for size in range(len(read), 0, -1) for roles in combinations(read, size)]
    subsets.sort(key=merit, reverse=True)
    kept: list[Role] = []
    for _, group in groupby(subsets, key=merit):
        best = [(fitting[0][0], set(roles)) for roles in group if (fitting := fits(roles))]
        if not best:
            continue
        best.sort(key=lambda item: item[0])
        if len(best) == 1 or best[1][0] - best[0][0] >= _CLEARLY_LIKELIER:
            kept = [role for role in read if role in best[0][1]]
        else:
            kept = [role for role in read if all(role in roles for _, roles in best)]
        break
    scored = fits(kept) if kept else []
    chosen = scored[0][1] if scored else {}
    plausible: dict[Role, tuple[date, ...]] = {}
    for role in kept:
        ordered: list[date] = []
        for _, combo in scored:
            if combo[role].value not in ordered:
                ordered.append(combo[role].value)
        plausible[role] = tuple(ordered)
    notes = {role: _why_not(role, given, chosen, today=today, kind=kind) for role in read if role not in kept}
    return ResolvedDates(
        birth=chosen["birth"].value if "birth" in chosen else None,
        issue=chosen["issue"].value if "issue" in chosen else None,
        expiry=chosen["expiry"].value if "expiry" in chosen else None,
        plausible=plausible,
        notes=notes,
    )


def _why_not(
    role: Role,
    given: dict[Role, list[Reading]],
    chosen: dict[Role, Reading],
    *,
    today: date | None,
    kind: str | None,
) -> str:
    """A sentence on why no reading of ``role`` is reported: each reading's own fault, else the
    other date it cannot agree with."""

    def why(values: dict[Role, date]) -> str | None:
        return implausibility(values, today=today, kind=kind)

    faults = [fault for r in given[role] if (fault := why({role: r.value})) is not None]
    alone = [r.value for r in given[role] if why({role: r.value}) is None]
    conflict = ""
    for other in ROLES:
        if not alone or other == role or other not in given:
            continue
        theirs = [r.value for r in given[other] if why({other: r.value}) is None]
        pairs: list[dict[Role, date]] = [{role: mine, other: their} for mine in alone for their in theirs]
        if pairs and all(why(pair) is not None for pair in pairs):
            conflict = f"no reading fits the {_ROLE_NAMES[other]}: " + "; ".join(
                sorted({str(why(pair)) for pair in pairs})
            )
            break
    if alone and not conflict:
        others = {other: reading.value for other, reading in chosen.items()}
        found = sorted({str(why({**others, role: mine})) for mine in alone if why({**others, role: mine})})
        conflict = "no reading fits the other dates: " + ("; ".join(found) or "they contradict each other")
    return "; ".join([conflict, *faults] if conflict else faults)


# --- MRZ dates -----------------------------------------------------------------------------------


def mrz_readings(yymmdd: str) -> list[Reading]:
    """Both centuries' readings of an MRZ YYMMDD field (none if it is not a calendar date)."""
    if len(yymmdd) != 6 or not yymmdd.isdigit():
        return []
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    return [r for r in (_reading(1900 + yy, month, day), _reading(2000 + yy, month, day)) if r is not None]


def other_centuries(iso: str) -> list[Reading]:
    """The readings a date printed with a two-digit year (as the MRZ prints it) allows."""
    value = date.fromisoformat(iso)
    return mrz_readings(value.strftime("%y%m%d"))


# The MRZ reader parses many trial repairs of the same lines: the same fields recur.
@lru_cache(maxsize=4096)
def resolve_mrz_dates(birth: str, expiry: str, *, today: date, document_code: str = "") -> ResolvedDates:
    """Birth and expiry dates of an MRZ (YYMMDD each), their centuries chosen jointly.

    A field that is not a calendar date is left out with a note; ``document_code`` (P, V, I, ...)
    bounds the validity.
    """
    resolved = resolve_dates(
        birth=mrz_readings(birth),
        expiry=mrz_readings(expiry),
        today=today,
        kind=kind_of_mrz_code(document_code),
    )
    notes = dict(resolved.notes)
    fields: tuple[tuple[Role, str], ...] = (("birth", birth), ("expiry", expiry))
    for role, text in fields:
        if not mrz_readings(text):
            notes[role] = f"{text!r} is not a calendar date"
    if notes == resolved.notes:
        return resolved
    return ResolvedDates(
        birth=resolved.birth,
        issue=None,
        expiry=resolved.expiry,
        plausible=resolved.plausible,
        notes=notes,
    )
