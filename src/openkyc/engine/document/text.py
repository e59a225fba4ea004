"""Text normalisation shared by the document checks (OCR output, MRZ fields, keywords).

OCR output differs from printed text in predictable ways: accents come and go, spaces between
words are often dropped ("DATEOFBIRTH"), and a few letters and digits are confused (O/0, I/1).
Every comparison goes through these helpers so that the checks agree on what "the same" means.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that ICAO 9303 transliterates to two letters in the MRZ (Part 3, Table A); stripping the
# accent gives the other accepted spelling (Ä -> A), so both forms are tried.
_TWO_LETTER = {
    "Ä": "AE",
    "Ö": "OE",
    "Ü": "UE",
    "ß": "SS",
    "Å": "AA",
    "Æ": "AE",
    "Ø": "OE",
    "Œ": "OE",
    "Þ": "TH",
}
_SINGLE = {"Ø": "O", "Æ": "AE", "Œ": "OE", "ß": "SS", "Đ": "D", "Ł": "L", "Þ": "TH", "Ħ": "H", "ı": "I"}
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_SPACES = re.compile(r"\s+")

# Characters OCR confuses inside document numbers; both sides are mapped to the digit.
_CONFUSABLE = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8", "G": "6"}
)


def fold(text: str, *, two_letter: bool = False) -> str:
    """Upper case without accents; with ``two_letter`` the ICAO two-letter forms (Ä -> AE)."""
    upper = text.upper()
    if two_letter:
        upper = "".join(_TWO_LETTER.get(char, char) for char in upper)
    upper = "".join(_SINGLE.get(char, char) for char in upper)
    decomposed = unicodedata.normalize("NFKD", upper)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str, *, two_letter: bool = False) -> str:
    """Folded text with every run of non-alphanumerics (MRZ '<' fillers included) as one space."""
    return _SPACES.sub(" ", _NON_ALNUM.sub(" ", fold(text, two_letter=two_letter))).strip()


def compact(text: str, *, two_letter: bool = False) -> str:
    """Folded text with everything but A-Z and 0-9 removed (OCR drops spaces, so compare this)."""
    return _NON_ALNUM.sub("", fold(text, two_letter=two_letter))


def unconfuse(text: str) -> str:
    """Map letters OCR mistakes for digits onto those digits (for document numbers)."""
    return compact(text).translate(_CONFUSABLE)


def edit_distance(a: str, b: str, *, limit: int | None = None) -> int:
    """Levenshtein distance; stops early and returns ``limit + 1`` once it must exceed ``limit``."""
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    if limit is not None and len(a) - len(b) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        if limit is not None and min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def allowed_edits(length: int) -> int:
    """Edits tolerated as OCR noise for a string of ``length`` characters (none for short ones)."""
    if length < 4:
        return 0
    if length < 9:
        return 1
    return 2


def fuzzy_find(needle: str, haystack: str, *, limit: int | None = None) -> int | None:
    """Smallest edit distance of ``needle`` to any window of ``haystack`` (compact strings), or
    None when the best window needs more than ``limit`` (default :func:`allowed_edits`) edits."""
    if not needle:
        return None
    limit = allowed_edits(len(needle)) if limit is None else limit
    if needle in haystack:
        return 0
    if limit == 0 or len(haystack) + limit < len(needle):
        return None
    best: int | None = None
    for size in range(max(1, len(needle) - limit), len(needle) + limit + 1):
        for start in range(0, max(0, len(haystack) - size) + 1):
            distance = edit_distance(needle, haystack[start : start + size], limit=limit)
            if distance <= limit and (best is None or distance < best):
                best = distance
                if best == 1:
                    return best
    return best
