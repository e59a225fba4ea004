from __future__ import annotations

from datetime import date

import pytest

from openkyc.engine.document.consistency import FieldStatus, check_consistency, name_truncated
from openkyc.engine.document.mrz.parse import parse_mrz
from openkyc.engine.document.visual_zone import VisualZone, VizField
from openkyc.engine.evidence import Decision
from testkit.documents import DocumentSpec, mrz_lines


def zone(**values: str) -> VisualZone:
    from openkyc.engine.document.dates import find_dates

    fields = {}
    for name, value in values.items():
        dates = list(find_dates(value)[0].candidates) if name.endswith("_date") else []
        fields[name] = VizField(name=name, value=value, method="below", dates=dates)
    return VisualZone(fields=fields, lines=list(values.values()))


SPEC = DocumentSpec(surname="MÜLLER", given_names="JÜRGEN KLAUS")
GOOD = dict(
    surname="MÜLLER",
    given_names="JÜRGEN KLAUS",
    birth_date="12 AUG 1974",
    expiry_date="15.04.2032",
    document_number="L898902C3",
    sex="F",
)


def test_everything_agrees() -> None:
    evidence = check_consistency(zone(**GOOD), parse_mrz(mrz_lines(SPEC)))
    assert evidence.decision is Decision.PASS
    assert {name: c.status for name, c in evidence.fields.items()} == dict.fromkeys(
        evidence.fields, FieldStatus.AGREE
    )
    assert evidence.agreed == 6


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("surname", "SCHMIDT"),
        ("birth_date", "12 AUG 1984"),
        ("expiry_date", "15.04.2035"),
        ("document_number", "X123456"),
        ("sex", "M"),
        ("given_names", "PETER"),
    ],
)
def test_a_changed_field_disagrees(field: str, value: str) -> None:
    evidence = check_consistency(zone(**{**GOOD, field: value}), parse_mrz(mrz_lines(SPEC)))
    assert evidence.fields[field].status is FieldStatus.DISAGREE
    assert evidence.decision is Decision.REVIEW
    assert [r.code for r in evidence.reasons] == ["document.mrz_viz_mismatch"]


def test_ocr_noise_and_transliteration_agree() -> None:
    noisy = {**GOOD, "surname": "MUELLER", "given_names": "JURGENKLAUS", "document_number": "L8989O2C3"}
    evidence = check_consistency(zone(**noisy), parse_mrz(mrz_lines(SPEC)))
    assert evidence.disagreed == 0
    one_slip = check_consistency(zone(**{**GOOD, "surname": "MULLFR"}), parse_mrz(mrz_lines(SPEC)))
    assert one_slip.fields["surname"].status is FieldStatus.AGREE


def test_truncated_mrz_name_agrees_with_the_full_printed_name() -> None:
    long_names = DocumentSpec(
        surname="WOLFESCHLEGELSTEINHAUSENBERGERDORFF",
        given_names="HUBERT BLAINE",
        mrz_type="TD1",
        kind="identity_card",
    )
    result = parse_mrz(mrz_lines(long_names))
    assert name_truncated(result)
    printed = {**GOOD, "surname": long_names.surname, "given_names": long_names.given_names}
    evidence = check_consistency(zone(**printed), result)
    assert evidence.fields["surname"].status is FieldStatus.AGREE
    assert evidence.fields["given_names"].status in {FieldStatus.AGREE, FieldStatus.NOT_FOUND}


def test_unread_fields_are_not_found_and_search_fills_in() -> None:
    result = parse_mrz(mrz_lines(SPEC))
    evidence = check_consistency(VisualZone(lines=["MULLER", "JURGEN KLAUS"], dates=[["1974-08-12"]]), result)
    assert evidence.fields["surname"].status is FieldStatus.AGREE
    assert evidence.fields["surname"].method == "search"
    assert evidence.fields["birth_date"].status is FieldStatus.AGREE
    assert evidence.fields["expiry_date"].status is FieldStatus.NOT_FOUND
    assert evidence.fields["sex"].status is FieldStatus.NOT_FOUND
    assert evidence.decision is Decision.PASS


def test_month_first_dates_agree() -> None:
    us = {**GOOD, "birth_date": "08/12/1974"}
    evidence = check_consistency(zone(**us), parse_mrz(mrz_lines(SPEC)))
    assert evidence.fields["birth_date"].status is FieldStatus.AGREE


def test_century_of_the_mrz_is_not_held_against_the_print() -> None:
    old = DocumentSpec(birth_date=date(1924, 1, 2))
    evidence = check_consistency(zone(**{**GOOD, "birth_date": "02 JAN 1924"}), parse_mrz(mrz_lines(old)))
    assert evidence.fields["birth_date"].status is FieldStatus.AGREE


def test_a_printed_date_that_conflicts_with_the_mrz_disagrees() -> None:
    today = date(2026, 12, 3)
    result = parse_mrz(mrz_lines(SPEC), today=today)
    assert result.fields.birth_date == "1974-08-12"
    for text in ("12 AUG 1975", "13/08/1974", "12 SEP 1974"):
        evidence = check_consistency(zone(**{**GOOD, "birth_date": text}), result)
        assert evidence.fields["birth_date"].status is FieldStatus.DISAGREE, text
        assert evidence.decision is Decision.REVIEW
    # A print whose only readings are implausible (born in 2074) is still compared digit by digit:
    # the digits are the MRZ's, and which century is meant is judged elsewhere.
    printed = VizField(
        name="birth_date", value="12 AUG 2074", method="below", dates=[], printed=["2074-08-12"]
    )
    evidence = check_consistency(VisualZone(fields={"birth_date": printed}), result)
    assert evidence.fields["birth_date"].status is FieldStatus.AGREE
