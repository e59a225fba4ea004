from __future__ import annotations

from datetime import date
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.engine.document.checks import (
    age_on,
    check_age,
    check_expiry,
    check_image_spec,
    check_photocopy,
    judge_dates,
)
from openkyc.engine.document.dates import find_dates
from openkyc.engine.document.mrz.parse import parse_mrz
from openkyc.engine.document.visual_zone import VisualZone, VizField
from openkyc.engine.evidence import Decision
from testkit.documents import DocumentSpec, jpeg, mrz_lines, photocopy, render_document

TODAY = date(2025, 6, 15)


def test_expiry() -> None:
    valid = check_expiry(date(2030, 1, 1), TODAY)
    assert valid.decision is Decision.PASS and valid.expired is False
    assert check_expiry(TODAY, TODAY).expired is False  # valid through its last day
    expired = check_expiry(date(2025, 6, 14), TODAY, source="mrz")
    assert expired.decision is Decision.REVIEW
    assert expired.days_to_expiry == -1
    assert [r.code for r in expired.reasons] == ["document.expired"]
    unknown = check_expiry(None, TODAY)
    assert unknown.decision is Decision.REVIEW and unknown.expired is None


def test_age() -> None:
    assert age_on(date(2007, 6, 15), TODAY) == 18
    assert age_on(date(2007, 6, 16), TODAY) == 17
    assert age_on(date(2004, 2, 29), date(2022, 2, 28)) == 17
    adult = check_age(date(2007, 6, 15), TODAY)
    assert adult.decision is Decision.PASS and adult.under_age is False
    minor = check_age(date(2010, 1, 1), TODAY)
    assert minor.decision is Decision.FAIL
    assert [r.code for r in minor.reasons] == ["document.under_18"]
    assert check_age(None, TODAY).decision is Decision.REVIEW
    assert check_age(date(2030, 1, 1), TODAY).decision is Decision.REVIEW


def test_image_spec() -> None:
    card = check_image_spec(1600, 1010, 900_000, passport=False)
    assert card.meets_spec and card.decision is Decision.PASS
    small_passport = check_image_spec(1600, 1130, 900_000, passport=True)
    assert not small_passport.meets_spec
    assert [r.code for r in small_passport.reasons] == ["document.image_resolution_below_spec"]
    tiny_file = check_image_spec(2400, 1700, 200_000, passport=True)
    assert [r.code for r in tiny_file.reasons] == ["document.image_size_outside_spec"]
    huge_file = check_image_spec(2400, 1700, 11_000_000, passport=True)
    assert not huge_file.meets_spec


@pytest.fixture(scope="module")
def card() -> NDArray[Any]:
    spec = DocumentSpec(kind="identity_card", mrz_type="TD1", title="IDENTITY CARD")
    return render_document(spec, long_side=1200)


def halftone(bgr: NDArray[Any], period: int = 6) -> NDArray[Any]:
    """A colour print through a dot screen, as a printer or colour copier renders it."""
    height, width = bgr.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    screen = (np.sin(2 * np.pi * xs / period) * np.sin(2 * np.pi * ys / period) + 1) / 2
    channels = [((bgr[:, :, c] / 255.0 > screen) * 255).astype(np.uint8) for c in range(3)]
    return np.asarray(cv2.GaussianBlur(np.dstack(channels), (0, 0), 0.8))


def test_original_is_not_a_photocopy(card: NDArray[Any]) -> None:
    evidence = check_photocopy(jpeg(card, 85))
    assert evidence.decision is Decision.PASS
    assert not evidence.photocopy


def test_grey_photocopy(card: NDArray[Any]) -> None:
    evidence = check_photocopy(jpeg(photocopy(card), 85))
    assert evidence.photocopy
    assert evidence.washed_out > 0.35
    assert [r.code for r in evidence.reasons] == ["document.photocopy"]


def test_stored_grayscale_file_is_a_copy(card: NDArray[Any]) -> None:
    assert check_photocopy(card, stored_grayscale=True).photocopy


def test_colour_halftone_print(card: NDArray[Any]) -> None:
    evidence = check_photocopy(jpeg(halftone(card), 90))
    assert evidence.colourfulness > 6
    assert evidence.halftone > 0.1
    assert evidence.photocopy


def test_age_and_expiry_record_the_day_they_were_judged_on() -> None:
    assert check_age(date(1974, 8, 12), TODAY).on == TODAY
    assert check_expiry(None, TODAY).on == TODAY
    too_old = check_age(date(1890, 1, 1), TODAY)
    assert too_old.decision is Decision.REVIEW
    assert [r.code for r in too_old.reasons] == ["document.birth_date_invalid"]


# --- judge_dates: the MRZ and the print together ---------------------------------------------------

DAY = date(2026, 12, 3)


def printed_zone(**printed: str) -> VisualZone:
    """A visual zone whose date fields hold ``printed`` text, resolved as read_visual_zone does."""
    fields = {}
    for name, text in printed.items():
        readings = [r.value.isoformat() for r in find_dates(text)[0].readings]
        fields[name] = VizField(name=name, value=text, method="below", dates=readings, printed=readings)
    return VisualZone(fields=fields)


def test_issue_date_of_a_passport_issued_16_apr_07_to_a_holder_born_1974() -> None:
    spec = DocumentSpec(birth_date=date(1974, 8, 12), expiry_date=date(2017, 4, 15))
    result = parse_mrz(mrz_lines(spec), today=DAY)
    judged = judge_dates(result, printed_zone(issue_date="16 APR 07"), today=DAY, kind="passport")
    assert (judged.birth, judged.issue, judged.expiry) == (
        date(1974, 8, 12),
        date(2007, 4, 16),
        date(2017, 4, 15),
    )
    assert judged.sources == {"birth": "mrz", "issue": "visual_zone", "expiry": "mrz"}


def test_a_printed_four_digit_year_gives_the_mrz_its_century() -> None:
    spec = DocumentSpec(birth_date=date(1924, 1, 2), expiry_date=date(2029, 1, 2))
    result = parse_mrz(mrz_lines(spec), today=DAY)
    assert result.fields.birth_date == "2024-01-02"  # alone, the younger holder
    judged = judge_dates(result, printed_zone(birth_date="02 JAN 1924"), today=DAY, kind="passport")
    assert judged.birth == date(1924, 1, 2)
    assert judged.sources["birth"] == "mrz+visual_zone"
    # No print: the MRZ's own choice stands.
    assert judge_dates(result, VisualZone(), today=DAY).birth == date(2024, 1, 2)


def test_the_checked_mrz_stands_against_a_print_that_conflicts_with_it() -> None:
    spec = DocumentSpec(birth_date=date(1974, 8, 12), expiry_date=date(2032, 4, 15))
    result = parse_mrz(mrz_lines(spec), today=DAY)
    judged = judge_dates(result, printed_zone(birth_date="12 AUG 1975"), today=DAY, kind="passport")
    assert judged.birth == date(1974, 8, 12)
    # An issue date the checked dates rule out is not reported, and the note says why.
    late = judge_dates(result, printed_zone(issue_date="16 APR 07"), today=DAY, kind="passport")
    assert late.issue is None and late.expiry == date(2032, 4, 15)
    assert "longer than any passport" in late.notes["issue"]


def test_an_unchecked_mrz_date_gives_way_to_the_print() -> None:
    spec = DocumentSpec(birth_date=date(1974, 8, 12), expiry_date=date(2032, 4, 15))
    result = parse_mrz(mrz_lines(spec, break_check="birth"), today=DAY)
    judged = judge_dates(result, printed_zone(birth_date="21 AUG 1974"), today=DAY, kind="passport")
    assert judged.birth == date(1974, 8, 21)
    assert judged.sources["birth"] == "visual_zone"
    unprinted = judge_dates(result, VisualZone(), today=DAY, kind="passport")
    assert (unprinted.birth, unprinted.sources["birth"]) == (date(1974, 8, 12), "mrz_unchecked")


def test_dates_with_no_meaning_are_none_with_the_mrz_note() -> None:
    lines = mrz_lines(DocumentSpec(birth_date=date(1980, 12, 12), expiry_date=date(1975, 1, 1)))
    result = parse_mrz(lines, today=DAY)
    judged = judge_dates(result, VisualZone(), today=DAY, kind="passport")
    assert (judged.birth, judged.expiry) == (None, None)
    assert "not after birth date" in judged.notes["birth"]
