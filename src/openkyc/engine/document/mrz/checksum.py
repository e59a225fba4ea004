"""ICAO 9303 check digits (part 3, section 4.9): weights 7-3-1 over the character values, mod 10.

Digits count as themselves, A-Z as 10-35 and the filler ``<`` as 0. Anything else has no value in
the MRZ alphabet, so a field holding it has no check digit at all (``None``), never a guessed one.
"""

from __future__ import annotations

MRZ_ALPHABET = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<")
_WEIGHTS = (7, 3, 1)


def char_value(char: str) -> int | None:
    """Value of one MRZ character, or None outside the MRZ alphabet."""
    if "0" <= char <= "9":
        return ord(char) - ord("0")
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    return None


def check_digit(field: str) -> str | None:
    """The check digit of ``field`` as one character '0'-'9', or None if it holds a non-MRZ character."""
    total = 0
    for index, char in enumerate(field):
        value = char_value(char)
        if value is None:
            return None
        total += value * _WEIGHTS[index % 3]
    return str(total % 10)


def is_valid(field: str, digit: str) -> bool:
    """Whether ``digit`` is the check digit of ``field``.

    A filler ``<`` in the check position counts as 0: ICAO allows it where the field is all fillers
    (an unused optional or personal-number field), and such a field sums to 0 anyway.
    """
    expected = check_digit(field)
    if expected is None:
        return False
    if digit == "<":
        return expected == "0" and set(field) <= {"<"}
    return digit == expected
