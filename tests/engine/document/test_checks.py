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
)
from openkyc.engine.evidence import Decision
from openkyc.testing.documents import DocumentSpec, jpeg, photocopy, render_document

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
