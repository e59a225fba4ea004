"""Parsing MRZ lines into fields, check-digit verdicts and structure problems (ICAO 9303 parts 4-7).

Parsing never corrects anything: it reports what the lines say, which check digits hold, and what
the format does not allow where it stands (a letter in a date, letters after the names). Repair of
what the recogniser read lives in :mod:`openkyc.engine.document.mrz.decode`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from openkyc.engine.document.dates import ResolvedDates, resolve_mrz_dates
from openkyc.engine.document.mrz.checksum import is_valid

MrzType = Literal["TD1", "TD2", "TD3", "MRVA", "MRVB"]

# (number of lines, characters per line) of each format.
MRZ_SHAPES: dict[MrzType, tuple[int, int]] = {
    "TD1": (3, 30),
    "TD2": (2, 36),
    "TD3": (2, 44),
    "MRVA": (2, 44),
    "MRVB": (2, 36),
}


class MrzFormatError(ValueError):
    """The lines do not have the shape of any MRZ format."""


class MrzFields(BaseModel):
    """The fields of an MRZ, fillers removed. Dates are ISO strings, None where not a real date."""

    model_config = ConfigDict(frozen=True)

    document_code: str
    issuing_country: str
    document_number: str
    surname: str
    given_names: str
    nationality: str
    birth_date: str | None
    expiry_date: str | None
    # "M", "F" or "X" (unspecified, printed as '<').
    sex: str
    optional_data: str
    # TD1 only: the optional field of line 2.
    optional_data_2: str = ""
    # Why a date field is None: "birth_date" / "expiry_date" -> a sentence (no calendar date, or no
    # century that gives the date a meaning).
    date_notes: dict[str, str] = Field(default_factory=dict)


class MrzResult(BaseModel):
    """A parsed MRZ: its format, the lines, every check digit's verdict and the fields."""

    model_config = ConfigDict(frozen=True)

    type: MrzType
    lines: list[str]
    # True only when every check digit the format has holds on the lines as given and nothing in
    # them is impossible for the format (see :func:`structure_problems`).
    valid: bool
    # Keys: "number", "birth", "expiry", plus "personal" (TD3) and "composite" (TD1, TD2, TD3).
    checks: dict[str, bool]
    fields: MrzFields
    # What the lines hold that the format does not allow (empty when the structure is sound).
    problems: list[str] = Field(default_factory=list)


def mrz_type_of(lines: list[str]) -> MrzType:
    """The format of ``lines``, from their count and length (and 'V' for visas)."""
    count = len(lines)
    widths = {len(line) for line in lines}
    if len(widths) != 1:
        raise MrzFormatError("MRZ lines differ in length")
    width = widths.pop()
    visa = bool(lines) and lines[0].startswith("V")
    if (count, width) == (3, 30):
        return "TD1"
    if (count, width) == (2, 36):
        return "MRVB" if visa else "TD2"
    if (count, width) == (2, 44):
        return "MRVA" if visa else "TD3"
    raise MrzFormatError(f"no MRZ format has {count} lines of {width} characters")


def _clean(value: str) -> str:
    return value.replace("<", " ").strip()


def _names(field: str) -> tuple[str, str]:
    """Surname and given names: '<<' separates them, single '<' separates words."""
    surname, _, given = field.partition("<<")
    return " ".join(_clean(surname).split()), " ".join(_clean(given).split())


def _sex(char: str) -> str:
    return char if char in ("M", "F") else "X"


def _date(birth: str, expiry: str, *, today: date, document_code: str) -> ResolvedDates:
    """Birth and expiry dates of YYMMDD fields, their centuries chosen jointly by meaning (birth in
    the past and not over 130 years ago, expiry after birth and within the document's validity):
    see :func:`openkyc.engine.document.dates.resolve_mrz_dates`."""
    return resolve_mrz_dates(birth, expiry, today=today, document_code=document_code)


def _document_number(number: str, digit: str, optional: str) -> tuple[str, str, str, str]:
    """(full number, the string its check digit covers, the digit, optional data left over).

    ICAO 9303-5/6 extended numbers: '<' in the check position means the number continues in the
    optional field, where the characters before the first '<' are the rest of the number followed
    by the check digit.
    """
    if digit == "<" and optional.strip("<"):
        overflow = optional.split("<", 1)[0]
        rest = optional[len(overflow) :]
        if len(overflow) >= 2:
            full = number + overflow[:-1]
            return full.replace("<", ""), full, overflow[-1], rest
    return number.replace("<", ""), number, digit, optional


def parse_mrz(lines: list[str], *, today: date | None = None) -> MrzResult:
    """Parse MRZ lines (exactly as printed) of any of the five formats.

    ``today`` fixes the reference date for the meaning of two-digit years (default: today).
    Raises :class:`MrzFormatError` if the lines fit no format.
    """
    lines = [line.upper() for line in lines]
    kind = mrz_type_of(lines)
    today = today or datetime.now(UTC).date()
    checks: dict[str, bool] = {}

    if kind == "TD1":
        l1, l2, l3 = lines
        code, issuer = l1[0:2], l1[2:5]
        number, covered, digit, optional = _document_number(l1[5:14], l1[14], l1[15:30])
        checks["number"] = is_valid(covered, digit)
        birth, sex, expiry, nationality = l2[0:6], l2[7], l2[8:14], l2[15:18]
        checks["birth"] = is_valid(birth, l2[6])
        checks["expiry"] = is_valid(expiry, l2[14])
        checks["composite"] = is_valid(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29])
        surname, given = _names(l3)
        optional_2 = l2[18:29]
    elif kind in ("TD2", "MRVB"):
        l1, l2 = lines
        code, issuer = l1[0:2], l1[2:5]
        surname, given = _names(l1[5:36])
        optional_field = l2[28:35] if kind == "TD2" else l2[28:36]
        number, covered, digit, optional = _document_number(l2[0:9], l2[9], optional_field)
        checks["number"] = is_valid(covered, digit)
        nationality, birth, sex, expiry = l2[10:13], l2[13:19], l2[20], l2[21:27]
        checks["birth"] = is_valid(birth, l2[19])
        checks["expiry"] = is_valid(expiry, l2[27])
        if kind == "TD2":
            checks["composite"] = is_valid(l2[0:10] + l2[13:20] + l2[21:35], l2[35])
        optional_2 = ""
    else:  # TD3, MRVA
        l1, l2 = lines
        code, issuer = l1[0:2], l1[2:5]
        surname, given = _names(l1[5:44])
        number = l2[0:9].replace("<", "")
        checks["number"] = is_valid(l2[0:9], l2[9])
        nationality, birth, sex, expiry = l2[10:13], l2[13:19], l2[20], l2[21:27]
        checks["birth"] = is_valid(birth, l2[19])
        checks["expiry"] = is_valid(expiry, l2[27])
        if kind == "TD3":
            optional = l2[28:42]
            checks["personal"] = is_valid(optional, l2[42])
            checks["composite"] = is_valid(l2[0:10] + l2[13:20] + l2[21:43], l2[43])
        else:
            optional = l2[28:44]
        optional_2 = ""

    dates = _date(birth, expiry, today=today, document_code=code)
    fields = MrzFields(
        document_code=code.rstrip("<"),
        issuing_country=issuer.replace("<", ""),
        document_number=number,
        surname=surname,
        given_names=given,
        nationality=nationality.replace("<", ""),
        birth_date=dates.birth.isoformat() if dates.birth else None,
        expiry_date=dates.expiry.isoformat() if dates.expiry else None,
        sex=_sex(sex),
        optional_data=_clean(optional),
        optional_data_2=_clean(optional_2),
        date_notes={f"{role}_date": note for role, note in dates.notes.items()},
    )
    problems = structure_problems(lines, kind)
    return MrzResult(
        type=kind,
        lines=lines,
        valid=all(checks.values()) and not problems,
        checks=checks,
        fields=fields,
        problems=problems,
    )


# Character classes by position (ICAO 9303 parts 4-7): L a letter, A a letter or filler (names,
# country codes), N a digit or filler (date fields: '<' marks an unknown part), C a check digit
# (a digit, or '<' where the field it covers is empty or continues elsewhere), S the sex (M, F,
# '<', or X), X any MRZ character (document numbers, optional data). The document code's second
# character is issuer-defined (X).
TEMPLATES: dict[MrzType, tuple[str, ...]] = {
    "TD1": ("LXAAA" + "X" * 9 + "C" + "X" * 15, "N" * 6 + "CS" + "N" * 6 + "CAAA" + "X" * 11 + "C", "A" * 30),
    "TD2": ("LXAAA" + "A" * 31, "X" * 9 + "CAAA" + "N" * 6 + "CS" + "N" * 6 + "C" + "X" * 7 + "C"),
    "TD3": ("LXAAA" + "A" * 39, "X" * 9 + "CAAA" + "N" * 6 + "CS" + "N" * 6 + "C" + "X" * 14 + "CC"),
    "MRVA": ("LXAAA" + "A" * 39, "X" * 9 + "CAAA" + "N" * 6 + "CS" + "N" * 6 + "C" + "X" * 16),
    "MRVB": ("LXAAA" + "A" * 31, "X" * 9 + "CAAA" + "N" * 6 + "CS" + "N" * 6 + "C" + "X" * 8),
}
CLASS_CHARS: dict[str, str] = {
    "L": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "A": "<ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "N": "<0123456789",
    "C": "<0123456789",
    "S": "<FMX",
    "X": "<0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
}
# Where the names are: (line, start); the field runs to the end of the line.
NAME_FIELD: dict[MrzType, tuple[int, int]] = {
    "TD1": (2, 0),
    "TD2": (0, 5),
    "TD3": (0, 5),
    "MRVA": (0, 5),
    "MRVB": (0, 5),
}
# Country code positions (line, start): the issuing state, then the nationality.
COUNTRY_FIELDS: dict[MrzType, tuple[tuple[int, int], tuple[int, int]]] = {
    "TD1": ((0, 2), (1, 15)),
    "TD2": ((0, 2), (1, 10)),
    "TD3": ((0, 2), (1, 10)),
    "MRVA": ((0, 2), (1, 10)),
    "MRVB": ((0, 2), (1, 10)),
}
# Date fields (line, start) of YYMMDD: birth, expiry.
DATE_FIELDS: dict[MrzType, tuple[tuple[int, int], tuple[int, int]]] = {
    "TD1": ((1, 0), (1, 8)),
    "TD2": ((1, 13), (1, 21)),
    "TD3": ((1, 13), (1, 21)),
    "MRVA": ((1, 13), (1, 21)),
    "MRVB": ((1, 13), (1, 21)),
}
_NAME_PATTERN = re.compile(r"^([A-Z]+(<[A-Z]+)*)?(<<[A-Z]+(<[A-Z]+)*)?<*$")


def _date_problem(field: str) -> str | None:
    if "<" in field:
        # An unknown day or month is printed as fillers; digits around them must still make sense.
        return None if all(c == "<" or c.isdigit() for c in field) else "a letter in a date"
    if not field.isdigit():
        return "a letter in a date"
    month, day = int(field[2:4]), int(field[4:6])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return f"no such date: {field}"
    return None


def structure_problems(lines: list[str], kind: MrzType) -> list[str]:
    """What ``lines`` hold that ``kind`` does not allow: a character of the wrong class at its
    position (a letter in a date, a digit in a name), an impossible date, letters after the end of
    the names (a name line has surname, '<<', given names, then only fillers). Country codes may be
    printed in digits (some issuers do), so only their characters' alphabet is checked."""
    problems: list[str] = []
    for row, (line, template) in enumerate(zip(lines, TEMPLATES[kind], strict=True)):
        for position, (char, cls) in enumerate(zip(line, template, strict=True)):
            allowed = (
                CLASS_CHARS["X"] if cls == "A" and _in_country(kind, row, position) else CLASS_CHARS[cls]
            )
            if char not in allowed:
                problems.append(
                    f"line {row + 1} position {position + 1}: '{char}' where the format allows {cls}"
                )
    for row, start in DATE_FIELDS[kind]:
        problem = _date_problem(lines[row][start : start + 6])
        if problem is not None:
            problems.append(problem)
    row, start = NAME_FIELD[kind]
    if not _NAME_PATTERN.match(lines[row][start:]):
        problems.append("the name field is not surname '<<' given names followed by fillers")
    return problems


def _in_country(kind: MrzType, row: int, position: int) -> bool:
    return any(row == r and s <= position < s + 3 for r, s in COUNTRY_FIELDS[kind])
