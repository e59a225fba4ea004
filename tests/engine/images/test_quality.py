from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.engine.evidence import Decision
from openkyc.engine.face.detect import detect_faces, primary_face
from openkyc.engine.images.quality import (
    FACE_MEASURE_SIDE,
    QualityThresholds,
    assess_quality,
    colourfulness,
    face_sharpness,
    glare_fraction,
    laplacian_variance,
)


def textured(width: int = 800, height: int = 600, seed: int = 0) -> NDArray[Any]:
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


# --- Sharpness of the face --------------------------------------------------------------------


def face_photo(faces_dir: Path) -> tuple[NDArray[Any], tuple[int, int, int, int]]:
    image = cv2.imread(str(faces_dir / "ageitgey+face_recognition" / "examples" / "obama.jpg"))
    face = primary_face(detect_faces(image))
    assert face is not None
    return image, face.box


def test_face_sharpness_is_measured_at_chip_scale_whatever_the_photo_size(faces_dir: Path) -> None:
    image, box = face_photo(faces_dir)
    sharp = face_sharpness(image, box)
    # The same face in a photo twice as large (upscaled: no new detail) measures about the same.
    large = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    doubled = tuple(2 * v for v in box)
    assert face_sharpness(large, doubled) == pytest.approx(sharp, rel=0.35)  # type: ignore[arg-type]
    # A blur the matcher's chip would see (2.5 px at chip scale) falls below the hard bound.
    side = max(box[2] - box[0], box[3] - box[1])
    blurred = cv2.GaussianBlur(image, (0, 0), 2.5 * side / FACE_MEASURE_SIDE)
    assert face_sharpness(blurred, box) < QualityThresholds().hard_min_face_sharpness < sharp


def test_a_large_selfie_with_slight_blur_is_not_too_blurry_on_its_face(faces_dir: Path) -> None:
    image, box = face_photo(faces_dir)
    # A 3x larger photo with 2.5 px of blur: invisible at the face's matching scale, yet soft at
    # 1000 px over the whole picture.
    large = cv2.GaussianBlur(cv2.resize(image, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC), (0, 0), 2.5)
    tripled = (3 * box[0], 3 * box[1], 3 * box[2], 3 * box[3])
    on_face = assess_quality(large, face_box=tripled)
    assert on_face.sharpness_region == "face"
    assert "quality.too_blurry" not in {r.code for r in on_face.reasons}
    whole = assess_quality(large)
    assert whole.sharpness_region == "image" and whole.sharpness < on_face.sharpness


def test_a_blurred_face_is_too_blurry(faces_dir: Path) -> None:
    image, box = face_photo(faces_dir)
    side = max(box[2] - box[0], box[3] - box[1])
    blurred = cv2.GaussianBlur(image, (0, 0), 3.0 * side / FACE_MEASURE_SIDE)
    evidence = assess_quality(blurred, face_box=box)
    assert evidence.decision is Decision.FAIL
    assert "quality.too_blurry" in {r.code for r in evidence.reasons}
    assert evidence.signals["sharpness"].threshold == QualityThresholds().min_face_sharpness
