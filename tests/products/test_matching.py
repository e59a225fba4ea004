"""Basic KYC's field matching rules (see the openkyc.products.matching docstring)."""

from __future__ import annotations

import pytest

from openkyc.idverification.request import PersonDetails
from openkyc.products.authority import AuthorityRecord
from openkyc.products.matching import (
    FieldMatches,
    Match,
    match_dob,
    match_gender,
    match_names,
    match_person,
    match_phone_number,
)

RECORD = ["Adébáyọ̀", "Oluwaseun", "Okonkwo-Bello"]


@pytest.mark.parametrize(
    ("supplied", "expected"),
    [
        (["adebayo", "OLUWASEUN", "okonkwo bello"], Match.EXACT),  # accents, case, hyphen
        (["Adebayo", None, "Okonkwo-Bello"], Match.PARTIAL),  # middle name missing
        (["Okonkwo-Bello", "Adebayo", None], Match.PARTIAL),  # another order
        (["A", "O", "Okonkwo-Bello"], Match.PARTIAL),  # initials
        (["Adebayp", "Oluwaseun", "Okonkwo-Bello"], Match.PARTIAL),  # a typo
        (["Adebayo", None, None], Match.NONE),  # one word of three is not enough
        (["Chidi", None, "Okafor"], Match.NONE),
        ([None, None, None], Match.NOT_PROVIDED),
    ],
)
def test_names(supplied: list[str | None], expected: Match) -> None:
    assert match_names(supplied, list(RECORD)) is expected


def test_names_against_a_record_without_names() -> None:
    assert match_names(["Joe"], [None]) is Match.UNABLE_TO_DETERMINE


@pytest.mark.parametrize(
    ("supplied", "expected"),
    [
        ("1990-03-04", Match.EXACT),
        ("1990-04-03", Match.PARTIAL),  # day and month swapped
        ("1990-03-28", Match.PARTIAL),  # same year and month
        ("1990-11-20", Match.NONE),
        ("1991-03-04", Match.NONE),
    ],
)
def test_dob(supplied: str, expected: Match) -> None:
    assert match_dob(supplied, "1990-03-04") is expected


def test_gender() -> None:
    assert match_gender("female", "F") is Match.EXACT
    assert match_gender("M", "Female") is Match.NONE


@pytest.mark.parametrize(
    ("supplied", "expected"),
    [
        ("+234 803 123 4567", Match.EXACT),
        ("0803-123-4567", Match.EXACT),
        ("08031234568", Match.PARTIAL),
        ("08099999999", Match.NONE),
    ],
)
def test_phone_numbers(supplied: str, expected: Match) -> None:
    assert match_phone_number(supplied, "2348031234567") is expected


def test_overall_result() -> None:
    exact, partial, none, absent = Match.EXACT, Match.PARTIAL, Match.NONE, Match.NOT_PROVIDED
    assert FieldMatches(exact, exact, absent, absent).overall is Match.EXACT
    assert FieldMatches(exact, none, absent, absent).overall is Match.PARTIAL
    assert FieldMatches(partial, exact, exact, exact).overall is Match.PARTIAL
    assert FieldMatches(none, none, absent, none).overall is Match.NONE


def test_person_against_a_full_name_only_record() -> None:
    record = AuthorityRecord(full_name="Joe Leo Doe", dob=None)
    matches = match_person(PersonDetails(first_name="Joe", last_name="Doe", dob="1990-01-01"), record)
    assert matches.names is Match.PARTIAL and matches.dob is Match.UNABLE_TO_DETERMINE
