"""Basic KYC matching: each detail the partner supplied against the authority's record (also
Enhanced Document Verification's, on the document's fields).

Every field gets one of "Exact Match", "Partial Match", "No Match", "Not Provided" (the partner
sent nothing) or "Unable To Determine" (the record has nothing to compare with). The rules:

Names (first, middle and last together): each name is transliterated to ASCII (anyascii, so
"Adébáyọ̀" and "Adebayo" agree), lower-cased, stripped of punctuation and split into words.

* Exact: the partner's words equal the record's words, in order.
* Partial: the words of one side each correspond to a different word of the other side and at
  least two words correspond (or both names are a single word). Words correspond when they are
  equal, when one is the initial of the other ("J" / "Joe"), or when their rapidfuzz ``ratio`` is
  at least :data:`TYPO_SIMILARITY` (a typo). This covers a missing or extra middle name, names in
  another order, initials and small misspellings.
* Otherwise: No Match.

DOB (YYYY-MM-DD): exact when equal; partial when the year is the same and either the month is the
same or day and month are swapped (a US-order entry); otherwise no match.

Gender: M/Male and F/Female, any case; exact when they agree, else no match.

Phone numbers: digits only, compared on their last :data:`PHONE_DIGITS` digits, so that a country
code, a leading trunk 0 and formatting do not matter ("+234 803 123 4567" = "08031234567"). Exact
when those agree; partial when they differ in one digit (a typo); otherwise no match.

The overall result: Exact Match (1020) when every compared field is exact, No Match (1022) when
none is exact or partial, Partial Match (1021) otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from anyascii import anyascii
from rapidfuzz import fuzz

from openkyc.products.authority import AuthorityRecord

TYPO_SIMILARITY = 85.0
PHONE_DIGITS = 9
_NOT_WORD = re.compile(r"[^a-z0-9 ]+")


class Match(StrEnum):
    EXACT = "Exact Match"
    PARTIAL = "Partial Match"
    NONE = "No Match"
    NOT_PROVIDED = "Not Provided"
    UNABLE_TO_DETERMINE = "Unable To Determine"

    @property
    def compared(self) -> bool:
        return self in (Match.EXACT, Match.PARTIAL, Match.NONE)


class Person(Protocol):
    """What the partner says about the person (idverification's PersonDetails)."""

    @property
    def first_name(self) -> str | None: ...

    @property
    def middle_name(self) -> str | None: ...

    @property
    def last_name(self) -> str | None: ...

    @property
    def dob(self) -> str | None: ...

    @property
    def gender(self) -> str | None: ...

    @property
    def phone_number(self) -> str | None: ...


@dataclass(frozen=True)
class FieldMatches:
    names: Match
    dob: Match
    gender: Match
    phone_number: Match

    @property
    def overall(self) -> Match:
        compared = [m for m in (self.names, self.dob, self.gender, self.phone_number) if m.compared]
        if compared and all(m is Match.EXACT for m in compared):
            return Match.EXACT
        if all(m is Match.NONE for m in compared):
            return Match.NONE
        return Match.PARTIAL


def match_person(person: Person, record: AuthorityRecord) -> FieldMatches:
    return FieldMatches(
        names=match_names([person.first_name, person.middle_name, person.last_name], _record_names(record)),
        dob=_compare(person.dob, record.dob, match_dob),
        gender=_compare(person.gender, record.gender, match_gender),
        phone_number=_compare(person.phone_number, record.phone_number, match_phone_number),
    )


def _record_names(record: AuthorityRecord) -> list[str | None]:
    if record.first_name or record.last_name:
        return [record.first_name, record.middle_name, record.last_name]
    return [record.full_name]


def _compare(supplied: str | None, on_record: str | None, matcher: Callable[[str, str], Match]) -> Match:
    if not supplied:
        return Match.NOT_PROVIDED
    if not on_record:
        return Match.UNABLE_TO_DETERMINE
    return matcher(supplied, on_record)


def name_words(parts: list[str | None]) -> list[str]:
    text = " ".join(anyascii(part) for part in parts if part).lower()
    return _NOT_WORD.sub(" ", text.replace("-", " ")).split()


def match_names(supplied_parts: list[str | None], record_parts: list[str | None]) -> Match:
    supplied, on_record = name_words(supplied_parts), name_words(record_parts)
    if not supplied:
        return Match.NOT_PROVIDED
    if not on_record:
        return Match.UNABLE_TO_DETERMINE
    if supplied == on_record:
        return Match.EXACT
    shorter, longer = sorted((supplied, on_record), key=len)
    paired = _pair_words(shorter, longer)
    if paired == len(shorter) and (paired >= 2 or len(longer) == 1):
        return Match.PARTIAL
    return Match.NONE


def _pair_words(shorter: list[str], longer: list[str]) -> int:
    """How many words of ``shorter`` correspond to a distinct word of ``longer`` (best first)."""
    unused = list(longer)
    paired = 0
    for word in sorted(shorter, key=len, reverse=True):  # initials last: full words claim first
        best = max(unused, key=lambda other: _similarity(word, other), default=None)
        if best is not None and _similarity(word, best) > 0:
            unused.remove(best)
            paired += 1
    return paired


def _similarity(a: str, b: str) -> float:
    """100 for equal words and initials, the typo similarity when close enough, else 0."""
    if a == b or (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b)):
        return 100.0
    score = float(fuzz.ratio(a, b))
    return score if score >= TYPO_SIMILARITY else 0.0


def match_dob(supplied: str, on_record: str) -> Match:
    try:
        year, month, day = (int(x) for x in supplied.strip().split("-"))
        r_year, r_month, r_day = (int(x) for x in on_record.strip()[:10].split("-"))
    except ValueError:
        return Match.UNABLE_TO_DETERMINE
    if (year, month, day) == (r_year, r_month, r_day):
        return Match.EXACT
    if year == r_year and (month == r_month or (month, day) == (r_day, r_month)):
        return Match.PARTIAL
    return Match.NONE


_GENDERS = {"m": "M", "male": "M", "f": "F", "female": "F"}


def match_gender(supplied: str, on_record: str) -> Match:
    ours, theirs = _GENDERS.get(supplied.strip().lower()), _GENDERS.get(on_record.strip().lower())
    if ours is None or theirs is None:
        return Match.EXACT if supplied.strip().lower() == on_record.strip().lower() else Match.NONE
    return Match.EXACT if ours == theirs else Match.NONE


def match_phone_number(supplied: str, on_record: str) -> Match:
    ours, theirs = re.sub(r"\D", "", supplied), re.sub(r"\D", "", on_record)
    if not ours or not theirs:
        return Match.NONE
    ours, theirs = ours[-PHONE_DIGITS:], theirs[-PHONE_DIGITS:]
    if ours == theirs:
        return Match.EXACT
    if len(ours) == len(theirs) and sum(a != b for a, b in zip(ours, theirs, strict=True)) == 1:
        return Match.PARTIAL
    return Match.NONE
