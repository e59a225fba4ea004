from __future__ import annotations

import pytest

from openkyc.aml.matching import NameForm, ScreeningIndex, birth_years, name_score, normalise, token_key


def make_index() -> ScreeningIndex:
    index = ScreeningIndex()
    index.add(1, ["Mohammed Ali Hassan"], ["1970"], ["IQ"])
    index.add(2, ["Vladimir Vladimirovich Putin", "Владимир Путин"], ["1952-10-07"], ["RU"])
    index.add(3, ["Osama bin Laden"], ["circa 1957"], ["SA"])
    index.add(4, ["Ali Husseini"], [], [])
    index.add(5, ["John Smith"], [], ["GB"])
    index.add(6, ["Muammar Qadhafi"], ["1942"], ["LY"])
    return index


def found(index: ScreeningIndex, name: str, **options: object) -> list[int]:
    return [c.entry_pk for c in index.screen(name, **options)]  # type: ignore[arg-type]


def test_normalise_transliterates_and_strips_punctuation() -> None:
    assert normalise("  Владимир  Путин ") == "VLADIMIR PUTIN"
    assert normalise("Ali Hassan al-Majid") == "ALI HASSAN AL MAJID"
    assert normalise("O'Neil") == "ONEIL"


def test_transliteration_variants_share_a_key() -> None:
    assert token_key("MOHAMMED") == token_key("MUHAMMAD") == token_key("MOHAMED")
    assert token_key("HASSAN") != token_key("HUSSEINI")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Muhammad Ali Hasan", 1),  # transliteration
        ("Hassan Mohammed Ali", 1),  # swapped order
        ("Mohammed Hassan", 1),  # missing middle name
        ("محمد علي حسن", 1),  # Arabic script
        ("Putin Vladimir", 2),  # Cyrillic entry alias / missing patronymic
        ("Владимир Владимирович Путин", 2),  # Cyrillic query
        ("Usama bin Ladin", 3),
        ("Vladimir Putim", 2),  # typo
    ],
)
def test_variants_are_found(query: str, expected: int) -> None:
    assert found(make_index(), query, strict=False)[:1] == [expected]


@pytest.mark.parametrize("query", ["Jane Smithers", "Peter Brown", "Mohammed", "Ali Hassan Kamara Sesay"])
def test_different_people_are_not_matched(query: str) -> None:
    assert found(make_index(), query, strict=False) == []


def test_a_lone_given_name_scores_low() -> None:
    assert name_score(NameForm.of("Mohammed"), NameForm.of("Mohammed Ali Hassan")) < 85


def test_birth_year_filter_allows_one_year_slack_unless_strict() -> None:
    index = make_index()
    assert found(index, "Mohammed Ali Hassan", birth_year=1970) == [1]
    assert found(index, "Mohammed Ali Hassan", birth_year=1971) == [1]
    assert found(index, "Mohammed Ali Hassan", birth_year=1971, strict=True) == []
    assert found(index, "Mohammed Ali Hassan", birth_year=1990) == []
    assert found(index, "Ali Husseini", birth_year=1990) == [4]  # no birth date listed: kept


def test_country_filter_needs_a_shared_nationality_when_known() -> None:
    index = make_index()
    assert found(index, "Vladimir Putin", countries=["RU", "NG"]) == [2]
    assert found(index, "Vladimir Putin", countries=["NG"]) == []
    assert found(index, "Ali Husseini", countries=["NG"]) == [4]


def test_strict_match_rejects_looser_matches() -> None:
    index = make_index()
    assert found(index, "Muammar Gaddafi", strict=False) == [6]  # G/Q and DD/DH differ: scores ~86
    assert found(index, "Muammar Gaddafi", strict=True) == []
    assert found(index, "Vladimir Putin", strict=True) == [2]


def test_aliases_in_the_query_are_searched_too() -> None:
    assert found(make_index(), "Someone Else", aliases=["John Smith"]) == [5]


def test_birth_years_reads_list_date_forms() -> None:
    assert birth_years(["1958", "10 Jun 1955", "1960 to 1962", "circa"]) == {1958, 1955, 1960, 1962}
