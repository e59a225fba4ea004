from __future__ import annotations

import pytest

from openkyc.engine.document.dates import find_dates, month_number


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("12 AUG 1974", "1974-08-12"),
        ("12AUG1974", "1974-08-12"),
        ("12 AOÛT/AUG 1974", "1974-08-12"),
        ("12.08.1974", "1974-08-12"),
        ("12/08/1974", "1974-08-12"),
        ("1974-08-12", "1974-08-12"),
        ("AUG 12, 1974", "1974-08-12"),
        ("3 MÄR 1981", "1981-03-03"),
        ("15 ENE 2030", "2030-01-15"),
    ],
)
def test_formats(text: str, first: str) -> None:
    found = find_dates(text)
    assert len(found) == 1
    assert found[0].candidates[0] == first


def test_numeric_dates_keep_both_readings() -> None:
    (found,) = find_dates("08/12/1974")
    assert set(found.candidates) == {"1974-12-08", "1974-08-12"}
    (unambiguous,) = find_dates("25.12.1974")
    assert unambiguous.candidates == ("1974-12-25",)


def test_two_digit_years_give_both_centuries() -> None:
    (found,) = find_dates("3 MAR 81")
    assert found.candidates == ("1981-03-03", "2081-03-03")


def test_compact_digits_only_when_asked() -> None:
    assert find_dates("12081974") == []
    assert find_dates("12081974", allow_compact=True)[0].candidates[0] == "1974-08-12"


def test_not_dates() -> None:
    assert find_dates("L898902C3") == []
    assert find_dates("31 FEB 1990") == []
    assert find_dates("12 XYZ 1990") == []


def test_month_number() -> None:
    assert month_number("AUG") == 8
    assert month_number("AOUT/AUG") == 8
    assert month_number("AUGAOUT") == 8
    assert month_number("DEZ") == 12
    assert month_number("QQQ") is None
