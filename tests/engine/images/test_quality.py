from __future__ import annotations

import cv2
import numpy as np

from openkyc.engine.evidence import Decision
from openkyc.engine.images.quality import (
    QualityThresholds,
    assess_quality,
    colourfulness,
    glare_fraction,
    laplacian_variance,
)


def textured(width: int = 800, height: int = 600, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(60, 200, size=(height // 8, width // 8, 3), dtype=np.uint8)
    image = cv2.resize(base, (width, height), interpolation=cv2.INTER_NEAREST)
    image[:, :, 2] = np.clip(image[:, :, 2].astype(int) + 40, 0, 255).astype(np.uint8)  # warm, colourful
    return image


def test_sharp_colour_image_passes() -> None:
    evidence = assess_quality(textured())
    assert evidence.decision is Decision.PASS, evidence.reasons
    assert evidence.signals["sharpness"].passed
    assert not evidence.grayscale


def test_blur_lowers_sharpness_and_is_flagged() -> None:
    image = textured()
    blurred = cv2.GaussianBlur(image, (0, 0), 12)
    assert laplacian_variance(cv2.cvtColor(blurred, cv2.COLOR_BGR2GRAY)) < laplacian_variance(
        cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    )
    evidence = assess_quality(blurred)
    assert evidence.decision in {Decision.REVIEW, Decision.FAIL}
    assert any(r.code.startswith("quality.") and "blurry" in r.code for r in evidence.reasons)


def test_low_resolution_fails() -> None:
    evidence = assess_quality(textured(160, 120))
    assert evidence.decision is Decision.FAIL
    assert "quality.low_resolution" in {r.code for r in evidence.reasons}


def test_dark_image_is_an_exposure_problem() -> None:
    evidence = assess_quality((textured() * 0.1).astype(np.uint8))
    assert "quality.exposure" in {r.code for r in evidence.reasons}


def test_grayscale_detected_from_pixels_and_from_file() -> None:
    gray = cv2.cvtColor(cv2.cvtColor(textured(), cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    assert colourfulness(gray) < 1.0
    assert assess_quality(gray).grayscale
    assert assess_quality(textured(), stored_grayscale=True).grayscale


def test_specular_highlight_is_glare_but_white_paper_is_not() -> None:
    image = np.full((600, 800, 3), 110, np.uint8)
    cv2.circle(image, (400, 300), 40, (255, 255, 255), -1)
    assert glare_fraction(image) > 0.005
    paper = np.full((600, 800, 3), 255, np.uint8)
    assert glare_fraction(paper) == 0.0


def test_thresholds_are_reported_with_scores() -> None:
    thresholds = QualityThresholds(min_sharpness=123.0)
    evidence = assess_quality(textured(), thresholds=thresholds)
    assert evidence.signals["sharpness"].threshold == 123.0
