"""ICAO 9303 7-3-1 check digits."""

from __future__ import annotations

import pytest

from openkyc.engine.document.mrz.checksum import char_value, check_digit, is_valid


@pytest.mark.parametrize(
    ("field", "digit"),
    [
        ("L898902C3", "6"),  # ICAO 9303-4 specimen document number
        ("740812", "2"),  # its birth date
        ("120415", "9"),  # its expiry date
        ("ZE184226B<<<<<", "1"),  # its personal number
        ("D23145890", "7"),  # ICAO TD1 specimen number
        ("520727", "3"),
    ],
)
def test_icao_specimen_check_digits(field: str, digit: str) -> None:
    assert check_digit(field) == digit
    assert is_valid(field, digit)


def test_values_of_the_alphabet() -> None:
    assert [char_value(c) for c in "09AZ<"] == [0, 9, 10, 35, 0]
    assert char_value("a") is None
    assert char_value("Ñ") is None


def test_character_outside_the_alphabet_has_no_check_digit() -> None:
    assert check_digit("ESPAÑOLA") is None
    assert not is_valid("ESPAÑOLA", "0")


def test_every_wrong_digit_is_rejected() -> None:
    for digit in "0123456789":
        assert is_valid("L898902C3", digit) == (digit == "6")


def test_filler_check_digit_only_for_an_empty_field() -> None:
    assert is_valid("<<<<<<<<<<<<<<", "<")
    assert is_valid("<<<<<<<<<<<<<<", "0")
    # A field that sums to 0 mod 10 but is not empty must print '0', not '<'.
    assert check_digit("A") == "0"
    assert not is_valid("A", "<")
