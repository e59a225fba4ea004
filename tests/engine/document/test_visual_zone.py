from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from openkyc.engine.document.ocr import OcrLine, run_ocr
from openkyc.engine.document.visual_zone import is_mrz_line, match_label, read_visual_zone
from testkit.documents import DocumentSpec, render_document

TODAY = date(2026, 12, 3)


def line(text: str, x: float, y: float, w: float = 200, h: float = 20) -> OcrLine:
    box = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32)
    return OcrLine(text=text, box=box, confidence=0.99)


PASSPORT_PAGE = [
    line("PASSPORT", 300, 10),
    line("Surname / Nom", 200, 60, h=12),
    line("ERIKSSON", 200, 76),
    line("Given names / Prénoms", 200, 110, h=12),
    line("ANNAMARIA", 200, 126),
    line("Date of birth / Date de naissance", 200, 160, h=12),
    line("12 AOÛT/AUG 1974", 200, 176),
    line("Sex / Sexe", 200, 210, h=12),
    line("F", 200, 226, w=20),
    line("Date of expiry", 450, 210, h=12),
    line("15.04.2032", 450, 226),
    line("Passport No. / N° du passeport", 450, 60, h=12),
    line("L898902C3", 450, 76),
    line("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", 20, 300, w=600),
    line("L898902C36UTO7408122F1204159<<<<<<<<<<<<<<06", 20, 330, w=600),
]


def test_labels_below() -> None:
    zone = read_visual_zone(PASSPORT_PAGE, today=TODAY)
    assert zone.value("surname") == "ERIKSSON"
    assert zone.value("given_names") == "ANNAMARIA"
    assert zone.fields["birth_date"].dates == ["1974-08-12"]
    assert zone.fields["expiry_date"].dates[0] == "2032-04-15"
    assert zone.value("sex") == "F"
    assert zone.value("document_number") == "L898902C3"
    assert zone.fields["surname"].method == "below"
    # The MRZ is not part of the visual zone.
    assert not any("<" in text for text in zone.lines)


def test_inline_and_right_values() -> None:
    zone = read_visual_zone(
        [
            line("Surname: DOE", 10, 10),
            line("DOB 1990-02-03", 10, 40),
            line("Document number", 10, 70, w=150),
            line("AB 123 456", 200, 70),
            line("Sex M", 10, 100),
        ],
        today=TODAY,
    )
    assert zone.value("surname") == "DOE"
    assert zone.fields["surname"].method == "inline"
    assert zone.fields["birth_date"].dates == ["1990-02-03"]
    assert zone.value("document_number") == "AB123456"
    assert zone.fields["document_number"].method == "right"
    assert zone.value("sex") == "M"


def test_eu_driving_licence_numbering() -> None:
    zone = read_visual_zone(
        [
            line("1. MUSTERMANN", 10, 10),
            line("2. ERIKA", 10, 40),
            line("3. 12.08.1974 BERLIN", 10, 70),
            line("4a. 01.02.2020", 10, 100),
            line("4b. 31.01.2035", 10, 130),
            line("5. B072RRE2I55", 10, 160),
        ],
        today=TODAY,
    )
    assert zone.value("surname") == "MUSTERMANN"
    assert zone.value("given_names") == "ERIKA"
    assert zone.fields["birth_date"].dates[0] == "1974-08-12"
    assert zone.fields["expiry_date"].dates[0] == "2035-01-31"
    assert zone.value("document_number") == "B072RRE2I55"


def test_unlabelled_dates_are_kept() -> None:
    zone = read_visual_zone([line("BERLIN 12.08.1974", 10, 10), line("SOMETHING", 10, 40)], today=TODAY)
    assert zone.fields == {}
    assert zone.dates == [["1974-08-12", "1974-12-08"]]


def test_label_matching() -> None:
    found = match_label("Date of birth / Date de naissance")
    assert found is not None and found.field == "birth_date" and found.rest == ""
    found = match_label("GIVENNAMES")
    assert found is not None and found.field == "given_names"
    # A short label must stand alone: a name starting with one is not a label.
    assert match_label("NOMURA") is None
    assert match_label("ERIKSSON") is None
    found = match_label("Surname (1)")
    assert found is not None and found.rest == ""


def test_dates_take_the_meaning_that_fits_the_others() -> None:
    page = [
        *[entry for entry in PASSPORT_PAGE if entry.text != "15.04.2032"],
        line("15 APR 17", 450, 226),
        line("Date of issue / Date de délivrance", 450, 110, h=12),
        line("16 APR 07", 450, 126),
    ]
    zone = read_visual_zone(page, today=TODAY, kind="passport")
    issue = zone.fields["issue_date"]
    # Issued to a holder born in 1974: 2007, never 1907.
    assert issue.dates == ["2007-04-16"]
    assert set(issue.printed) == {"1907-04-16", "2007-04-16"}
    assert issue.note is None
    assert zone.fields["birth_date"].dates == ["1974-08-12"]
    assert zone.fields["expiry_date"].dates == ["2017-04-15"]  # 1917 precedes issue and birth


def test_a_date_that_means_nothing_has_no_reading_and_says_why() -> None:
    zone = read_visual_zone([line("Date of birth", 10, 10, h=12), line("12 AUG 2030", 10, 26)], today=TODAY)
    birth = zone.fields["birth_date"]
    assert birth.value == "12 AUG 2030"  # what was printed is still reported as printed
    assert birth.dates == []
    assert birth.printed == ["2030-08-12"]
    assert birth.note == "birth date 2030-08-12 is after today"


def test_is_mrz_line() -> None:
    assert is_mrz_line("P<UTOERIKSSON<<ANNA")
    assert is_mrz_line("L898902C36UTO7408122F1204159")
    assert not is_mrz_line("DATE OF BIRTH")


@pytest.mark.slow
def test_reads_a_rendered_document() -> None:
    spec = DocumentSpec(surname="GARCÍA", given_names="JOSÉ LUIS")
    lines = run_ocr(render_document(spec, long_side=1280))
    zone = read_visual_zone(lines, today=TODAY)
    assert zone.value("surname") in {"GARCIA", "GARCÍA"}
    assert zone.fields["birth_date"].dates[0] == "1974-08-12"
    assert zone.fields["expiry_date"].dates[0] == "2032-04-15"
    assert zone.value("document_number") == "L898902C3"
