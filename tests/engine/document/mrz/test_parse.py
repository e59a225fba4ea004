"""Parsing every MRZ format: fields, check digits, extended numbers, centuries."""

from __future__ import annotations

from datetime import date

import pytest

from openkyc.engine.document.mrz import MrzFormatError, parse_mrz
from testkit.documents import BrokenCheck, DocumentSpec, mrz_lines

TODAY = date(2025, 6, 1)

ICAO_TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
ICAO_TD1 = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
]
ICAO_TD2 = ["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"]
ICAO_MRVA = ["V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L8988901C4XXX4009078F96121096ZE184226B<<<<<<"]
ICAO_MRVB = ["V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "L8988901C4XXX4009078F9612109<<<<<<<<"]


def test_td3_specimen() -> None:
    result = parse_mrz(ICAO_TD3, today=TODAY)
    assert result.type == "TD3"
    assert result.valid
    assert result.checks == {
        "number": True,
        "birth": True,
        "expiry": True,
        "personal": True,
        "composite": True,
    }
    f = result.fields
    assert (f.document_code, f.issuing_country, f.document_number) == ("P", "UTO", "L898902C3")
    assert (f.surname, f.given_names, f.nationality, f.sex) == ("ERIKSSON", "ANNA MARIA", "UTO", "F")
    assert (f.birth_date, f.expiry_date, f.optional_data) == ("1974-08-12", "2012-04-15", "ZE184226B")


@pytest.mark.parametrize(
    ("lines", "kind", "checks"),
    [
        (ICAO_TD1, "TD1", {"number", "birth", "expiry", "composite"}),
        (ICAO_TD2, "TD2", {"number", "birth", "expiry", "composite"}),
        (ICAO_MRVA, "MRVA", {"number", "birth", "expiry"}),
        (ICAO_MRVB, "MRVB", {"number", "birth", "expiry"}),
    ],
)
def test_other_specimens(lines: list[str], kind: str, checks: set[str]) -> None:
    result = parse_mrz(lines, today=TODAY)
    assert result.type == kind
    assert result.valid
    assert set(result.checks) == checks
    assert result.fields.surname == "ERIKSSON"
    assert result.fields.given_names == "ANNA MARIA"


def test_td1_fields() -> None:
    f = parse_mrz(ICAO_TD1, today=TODAY).fields
    assert (f.document_code, f.document_number, f.birth_date, f.expiry_date) == (
        "I",
        "D23145890",
        "1974-08-12",
        "2012-04-15",
    )


@pytest.mark.parametrize("kind", ["TD1", "TD2", "TD3", "MRVA", "MRVB"])
def test_round_trip_of_synthetic_lines(kind: str) -> None:
    spec = DocumentSpec(mrz_type=kind, document_code="V<" if kind.startswith("MRV") else None)  # type: ignore[arg-type]
    result = parse_mrz(mrz_lines(spec), today=TODAY)
    assert result.type == kind and result.valid
    assert result.fields.document_number == spec.document_number
    assert result.fields.birth_date == spec.birth_date.isoformat()
    assert result.fields.expiry_date == spec.expiry_date.isoformat()


@pytest.mark.parametrize(
    ("kind", "broken"),
    [(k, b) for k in ("TD1", "TD2", "TD3") for b in ("number", "birth", "expiry", "composite")]
    + [("TD3", "personal"), ("MRVA", "number"), ("MRVA", "birth"), ("MRVB", "expiry")],
)
def test_each_broken_check_digit_is_detected(kind: str, broken: BrokenCheck) -> None:
    code = "V<" if kind.startswith("MRV") else None
    spec = DocumentSpec(mrz_type=kind, document_code=code, optional_data="ZE184226B")  # type: ignore[arg-type]
    result = parse_mrz(mrz_lines(spec, break_check=broken), today=TODAY)
    assert not result.valid
    # Exactly the broken digit fails: the composite is printed over the lines as they are.
    assert [name for name, ok in result.checks.items() if not ok] == [broken]


@pytest.mark.parametrize("kind", ["TD1", "TD2"])
def test_extended_document_number(kind: str) -> None:
    spec = DocumentSpec(kind="identity_card", mrz_type=kind, document_number="D23145890734")  # type: ignore[arg-type]
    lines = mrz_lines(spec)
    result = parse_mrz(lines, today=TODAY)
    assert result.valid, result.checks
    assert result.fields.document_number == "D23145890734"
    assert result.fields.optional_data == ""
    broken = parse_mrz(mrz_lines(spec, break_check="number"), today=TODAY)
    assert broken.checks["number"] is False


def test_icao_td1_extended_number_example() -> None:
    # ICAO 9303-5 appendix: number D23145890734 with its check digit 9 in the optional field.
    lines = [
        "I<UTOD23145890<7349<<<<<<<<<<<",
        "3407127M9507122UTO<<<<<<<<<<<2",
        "STEVENSON<<PETER<JOHN<<<<<<<<<",
    ]
    result = parse_mrz(lines, today=TODAY)
    assert result.fields.document_number == "D23145890734"
    assert result.checks["number"]


def test_empty_personal_number_may_have_filler_check_digit() -> None:
    spec = DocumentSpec(optional_data="")
    lines = mrz_lines(spec)
    assert lines[1][42] == "<"
    assert parse_mrz(lines, today=TODAY).valid


def _td3(birth: str, expiry: str, code: str = "P<") -> list[str]:
    """ICAO's TD3 specimen with other dates (check digits are not what these tests are about)."""
    return [code + ICAO_TD3[0][2:], f"L898902C36UTO{birth}0F{expiry}9ZE184226B<<<<<10"]


@pytest.mark.parametrize(
    ("birth", "expected"),
    [("740812", "1974-08-12"), ("250531", "2025-05-31"), ("250602", "1925-06-02"), ("991231", "1999-12-31"),
     ("000101", "2000-01-01")],
)  # fmt: skip
def test_birth_century_is_in_the_past_and_the_younger_one(birth: str, expected: str) -> None:
    # Expiry 2030: a passport valid today, so either century of birth could hold it.
    assert parse_mrz(_td3(birth, "300101"), today=TODAY).fields.birth_date == expected


def test_a_field_that_is_no_calendar_date_has_none_and_a_note() -> None:
    fields = parse_mrz(_td3("301301", "300101"), today=TODAY).fields
    assert fields.birth_date is None
    assert "not a calendar date" in fields.date_notes["birth_date"]
    assert fields.expiry_date == "2030-01-01"


@pytest.mark.parametrize(
    ("birth", "expiry", "expected"),
    [
        # Born 2024 (a toddler's 5-year passport) or 1924: the younger holder.
        ("240101", "290101", ("2024-01-01", "2029-01-01")),
        # A passport that expired in 2020 cannot belong to someone born in 2024: born 1924.
        ("240101", "200101", ("1924-01-01", "2020-01-01")),
        # 24 December 2026 has not come yet on 3 December 2026.
        ("261224", "300101", ("1926-12-24", "2030-01-01")),
        ("260101", "300101", ("2026-01-01", "2030-01-01")),
        # Expiry 2031, not 1931 (before the holder was born).
        ("740812", "310101", ("1974-08-12", "2031-01-01")),
    ],
)
def test_birth_and_expiry_centuries_are_chosen_together(
    birth: str, expiry: str, expected: tuple[str, str]
) -> None:
    fields = parse_mrz(_td3(birth, expiry), today=date(2026, 12, 3)).fields
    assert (fields.birth_date, fields.expiry_date) == expected
    assert fields.date_notes == {}


@pytest.mark.parametrize(
    ("expiry", "expected"),
    [("120415", "2012-04-15"), ("350101", "2035-01-01"), ("990101", "1999-01-01")],
)
def test_passport_expiry_within_its_validity(expiry: str, expected: str) -> None:
    assert parse_mrz(_td3("740812", expiry), today=TODAY).fields.expiry_date == expected


def test_expiry_with_no_meaningful_century_is_none_with_the_reason() -> None:
    # 2045 is further ahead than any passport runs (issued at the latest today, valid <= 11 years);
    # 1945 is before the holder's birth in 1974.
    fields = parse_mrz(_td3("740812", "451231"), today=TODAY).fields
    assert fields.birth_date == "1974-08-12"
    assert fields.expiry_date is None
    note = fields.date_notes["expiry_date"]
    assert "1945-12-31 is not after birth date 1974-08-12" in note
    assert "2045-12-31 is further ahead than any passport" in note
    # An identity card may run 15 years: 2040 is possible for one, not for a passport.
    card = parse_mrz(_td3("740812", "400101", code="I<"), today=TODAY).fields
    assert card.expiry_date == "2040-01-01"
    assert parse_mrz(_td3("740812", "400101"), today=TODAY).fields.expiry_date is None


def test_birth_and_expiry_that_contradict_each_other_are_both_dropped() -> None:
    # Born 1980 (2080 is ahead) and expired 1975 (2075 is too far ahead): one of them is wrong,
    # and nothing says which.
    fields = parse_mrz(_td3("801212", "750101"), today=TODAY).fields
    assert (fields.birth_date, fields.expiry_date) == (None, None)
    assert set(fields.date_notes) == {"birth_date", "expiry_date"}


def test_non_mrz_character_fails_its_check() -> None:
    lines = [
        "IDESPAAA1000014<00000023T<<<<<",
        "7212018F1101236ESP<<<<<<<<<<<8",
        "ESPAÑOLA<ESPAÑOLA<CARMEN<<<<<<",
    ]
    result = parse_mrz(lines, today=TODAY)
    assert result.type == "TD1"
    assert not result.valid


@pytest.mark.parametrize(
    "lines", [[], ["P<UTO"], [ICAO_TD3[0], ICAO_TD3[1][:-1]], [ICAO_TD1[0]] * 2, [*ICAO_TD3, ICAO_TD3[0]]]
)
def test_wrong_shapes_are_refused(lines: list[str]) -> None:
    with pytest.raises(MrzFormatError):
        parse_mrz(lines)
