"""Dates as documents print them in the visual zone.

"12 AUG 1974", "12 AOÛT/AUG 1974", "12.08.1974", "12/08/1974", "1974-08-12", "AUG 12, 1974",
and the same with the spaces OCR drops ("12AUG1974"). Numeric dates are ambiguous between
day-first (most of the world) and month-first (the United States), and two-digit years between
centuries, so a printed date yields every reading it allows, most likely first; the consistency
check accepts the MRZ date if it is any of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

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


@dataclass(frozen=True)
class PrintedDate:
    """One date found in text: what was printed and every calendar date it can mean (ISO)."""

    text: str
    candidates: tuple[str, ...]
    start: int


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


def _iso(year: int, month: int, day: int) -> str | None:
    if not 1900 <= year <= 2100:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _years(text: str) -> list[int]:
    year = int(text)
    if len(text) == 4:
        return [year]
    return [1900 + year, 2000 + year]


def _unique(values: list[str | None]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        if value is not None and value not in out:
            out.append(value)
    return tuple(out)


def find_dates(text: str, *, allow_compact: bool = False) -> list[PrintedDate]:
    """Every date printed in ``text``, in order. ``allow_compact`` also reads "12081974" (only
    safe where a label says a date follows; elsewhere eight digits are usually a number)."""
    folded = fold(text)
    found: list[PrintedDate] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], candidates: tuple[str, ...]) -> None:
        span = match.span()
        if not candidates or any(span[0] < end and start < span[1] for start, end in taken):
            return
        taken.append(span)
        found.append(PrintedDate(text=match.group(0).strip(), candidates=candidates, start=span[0]))

    for match in _YMD.finditer(folded):
        add(match, _unique([_iso(int(match[1]), int(match[2]), int(match[3]))]))
    for match in _D_MON_Y.finditer(folded):
        month = month_number(match[2])
        if month is not None:
            add(match, _unique([_iso(y, month, int(match[1])) for y in _years(match[3])]))
    for match in _MON_D_Y.finditer(folded):
        month = month_number(match[1])
        if month is not None:
            add(match, _unique([_iso(int(match[3]), month, int(match[2]))]))
    numeric = [(m, m[1], m[3], m[4]) for m in _DMY.finditer(folded)]
    numeric += [(m, m[1], m[2], m[3]) for m in _DMY_SPACED.finditer(folded)]
    if allow_compact:
        numeric += [(m, m[1], m[2], m[3]) for m in _COMPACT.finditer(folded)]
    for match, first, second, year_text in numeric:
        a, b = int(first), int(second)
        readings: list[str | None] = []
        for year in _years(year_text):
            readings.append(_iso(year, b, a))  # day first: most of the world
            readings.append(_iso(year, a, b))  # month first: the United States
        add(match, _unique(readings))
    found.sort(key=lambda d: d.start)
    return found
