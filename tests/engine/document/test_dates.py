"""Printed dates and their readings, and the meaning chosen for a document's dates."""

from __future__ import annotations

from datetime import date

import pytest

from openkyc.engine.document.dates import (
    Reading,
    add_years,
    find_dates,
    kind_of_mrz_code,
    latest_expiry,
    month_number,
    mrz_readings,
    other_centuries,
    resolve_dates,
    years_between,
)


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


# --- What dates mean -----------------------------------------------------------------------------

TODAY = date(2026, 12, 3)


def readings(text: str) -> tuple[Reading, ...]:
    (found,) = find_dates(text)
    return found.readings


def test_readings_say_which_convention_gave_them() -> None:
    assert [(r.value.isoformat(), r.order) for r in readings("08/12/1974")] == [
        ("1974-12-08", "dmy"),
        ("1974-08-12", "mdy"),
    ]
    assert [r.order for r in readings("25.12.1974")] == ["dmy"]
    assert [r.order for r in readings("12/25/1974")] == ["mdy"]
    assert [r.order for r in readings("05/05/1974")] == [""]
    assert [r.order for r in readings("12 AUG 1974")] == [""]


def test_issued_16_apr_07_to_a_holder_born_in_1974_is_2007() -> None:
    resolved = resolve_dates(birth=readings("12 AUG 1974"), issue=readings("16 APR 07"), today=TODAY)
    assert resolved.issue == date(2007, 4, 16)
    assert resolved.plausible["issue"] == (date(2007, 4, 16),)  # 1907 is before the birth
    assert resolved.notes == {}


def test_an_issue_date_alone_prefers_the_recent_century_but_keeps_the_other() -> None:
    resolved = resolve_dates(issue=readings("16 APR 07"), today=TODAY)
    assert resolved.plausible["issue"] == (date(2007, 4, 16), date(1907, 4, 16))


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("01 JAN 24", date(2024, 1, 1)),  # a toddler rather than a 102-year-old
        ("24 DEC 26", date(1926, 12, 24)),  # 24 December 2026 is still ahead on 3 December 2026
        ("02 DEC 26", date(2026, 12, 2)),  # yesterday
        ("1896-01-01", None),  # 130 years and 11 months old
        ("01 JAN 2027", None),  # not born yet
    ],
)
def test_birth_dates_lie_in_the_past_and_within_130_years(printed: str, expected: date | None) -> None:
    # ISO text stands for itself (find_dates reads no year before 1900).
    given = [printed] if "-" in printed else readings(printed)
    resolved = resolve_dates(birth=given, today=TODAY)
    assert resolved.birth == expected, resolved.notes
    if expected is None:
        assert "birth date" in resolved.notes["birth"]


def test_birth_24_is_1924_when_the_document_was_issued_before_2024() -> None:
    resolved = resolve_dates(birth=readings("01 JAN 24"), issue=readings("05 MAY 2020"), today=TODAY)
    assert resolved.birth == date(1924, 1, 1)


def test_expiry_2031_not_1931() -> None:
    resolved = resolve_dates(expiry=readings("01 JAN 31"), today=TODAY, kind="passport")
    assert resolved.expiry == date(2031, 1, 1)
    with_birth = resolve_dates(birth=readings("12 AUG 1974"), expiry=readings("01 JAN 31"), today=TODAY)
    assert with_birth.plausible["expiry"] == (date(2031, 1, 1),)


def test_issue_date_after_today_is_not_reported() -> None:
    resolved = resolve_dates(issue=readings("01 JAN 2027"), today=TODAY)
    assert resolved.issue is None
    assert resolved.notes["issue"] == "issue date 2027-01-01 is after today"


def test_issue_date_before_birth_is_not_reported() -> None:
    resolved = resolve_dates(birth=readings("12 AUG 1974"), issue=readings("16 APR 1970"), today=TODAY)
    # Nothing says which of the two is wrong: neither is reported.
    assert (resolved.birth, resolved.issue) == (None, None)
    assert "issue date 1970-04-16 is before birth date 1974-08-12" in resolved.notes["issue"]


def test_a_trusted_date_stands_against_a_printed_one_that_contradicts_it() -> None:
    resolved = resolve_dates(
        birth=readings("12 AUG 1974"), issue=readings("16 APR 1970"), today=TODAY, trusted=["birth"]
    )
    assert (resolved.birth, resolved.issue) == (date(1974, 8, 12), None)


@pytest.mark.parametrize(
    ("kind", "issue", "expiry", "fits"),
    [
        ("passport", "2020-01-10", "2030-01-09", True),  # 10 years, expiring the day before
        ("passport", "2016-03-01", "2026-12-01", True),  # UK: 10 years and 9 months
        ("passport", "2016-01-01", "2031-01-01", False),  # no passport runs 15 years
        ("identity_card", "2016-01-01", "2031-01-01", True),  # French cards of 2004-2013 ran 15
        ("identity_card", "2016-01-01", "2036-01-01", False),
        (None, "2016-01-01", "2031-12-31", True),  # unknown kind: the longest validity of any
        ("passport", "2020-01-10", "2020-01-10", False),  # expiry must follow the issue
        ("passport", "2020-01-10", "2019-01-10", False),
    ],
)
def test_expiry_follows_the_issue_within_the_documents_validity(
    kind: str | None, issue: str, expiry: str, fits: bool
) -> None:
    resolved = resolve_dates(issue=[issue], expiry=[expiry], today=TODAY, kind=kind)
    assert (resolved.expiry is not None) is fits
    assert (resolved.issue is not None) is fits


def test_long_validities_of_the_elderly_and_of_licences_until_a_birthday() -> None:
    # Belgium: a card issued at 75 runs 30 years.
    card = resolve_dates(
        birth=["1940-05-01"], issue=["2016-06-01"], expiry=["2046-06-01"], today=TODAY, kind="identity_card"
    )
    assert card.expiry == date(2046, 6, 1)
    young = resolve_dates(
        birth=["1990-05-01"], issue=["2016-06-01"], expiry=["2046-06-01"], today=TODAY, kind="identity_card"
    )
    assert young.expiry is None
    # Arizona: a licence issued at 16 runs until the 65th birthday.
    licence = resolve_dates(
        birth=["2000-05-01"], issue=["2016-06-01"], expiry=["2065-05-01"], today=TODAY, kind="driving_licence"
    )
    assert licence.expiry == date(2065, 5, 1)
    assert latest_expiry(date(2016, 6, 1), kind="passport") == date(2027, 6, 1)


def test_an_expiry_date_without_an_issue_date_is_bounded_by_today() -> None:
    # Issued today at the latest, valid at most 11 years: 2038 is too far for a passport.
    resolved = resolve_dates(expiry=["2038-01-01"], today=TODAY, kind="passport")
    assert resolved.expiry is None
    assert "further ahead than any passport is valid" in resolved.notes["expiry"]
    expired_long_ago = resolve_dates(expiry=readings("01 JAN 50"), today=TODAY, kind="passport")
    assert expired_long_ago.expiry == date(1950, 1, 1)  # 2050 is too far ahead


def test_a_document_printed_month_first_is_read_month_first_throughout() -> None:
    # A US licence: the birth and expiry dates can only be month-first, so the issue date is too.
    resolved = resolve_dates(
        birth=readings("08/13/1974"), issue=readings("05/06/2015"), expiry=readings("08/13/2023"), today=TODAY
    )
    assert resolved.issue == date(2015, 5, 6)
    # Alone, a numeric date is read day-first, as nearly everywhere else.
    assert resolve_dates(issue=readings("05/06/2015"), today=TODAY).issue == date(2015, 6, 5)


def test_without_today_only_the_relations_are_judged() -> None:
    resolved = resolve_dates(birth=["2030-01-01"], issue=readings("16 APR 35"), today=None)
    assert (resolved.birth, resolved.issue) == (date(2030, 1, 1), date(2035, 4, 16))


def test_add_years_and_years_between() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert years_between(date(2004, 2, 29), date(2022, 2, 28)) == 17
    assert years_between(date(2004, 2, 29), date(2022, 3, 1)) == 18


def test_mrz_readings_and_kinds() -> None:
    assert [r.value for r in mrz_readings("740812")] == [date(1974, 8, 12), date(2074, 8, 12)]
    assert mrz_readings("741312") == [] and mrz_readings("74<812") == []
    assert [r.value for r in other_centuries("2024-01-01")] == [date(1924, 1, 1), date(2024, 1, 1)]
    assert kind_of_mrz_code("P<") == "passport"
    assert kind_of_mrz_code("ID") == "identity_card"
    assert kind_of_mrz_code("VC") == "visa"
    assert kind_of_mrz_code("X") is None
