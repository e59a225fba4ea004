from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.engine.document.classify import ID1_RATIO, TD3_RATIO
from openkyc.engine.document.locate import (
    locate_document,
    order_corners,
    reshape_to_format,
    rotate_lines,
    text_is_vertical,
    warp_document,
)
from openkyc.engine.document.ocr import OcrLine
from openkyc.engine.evidence import Decision
from testkit.documents import (
    DocumentSpec,
    blur,
    place_on_background_with_corners,
    render_document,
)


@pytest.fixture(scope="module")
def card() -> NDArray[Any]:
    return render_document(
        DocumentSpec(kind="identity_card", mrz_type="TD1", title="IDENTITY CARD"), long_side=1000
    )


@pytest.fixture(scope="module")
def passport() -> NDArray[Any]:
    return render_document(DocumentSpec(), long_side=1100)


def corner_error(found: list[tuple[float, float]], truth: NDArray[Any]) -> float:
    """Largest distance from a true corner to the nearest found corner (order-free)."""
    got = np.asarray(found)
    return max(float(np.min(np.linalg.norm(got - corner, axis=1))) for corner in truth)


@pytest.mark.parametrize(
    "placement",
    [
        {},
        {"angle_deg": 12},
        {"angle_deg": -25, "perspective": 0.1},
        {"angle_deg": 90},
        {"angle_deg": 170, "perspective": 0.05},
        {"background": (40, 40, 40), "angle_deg": 5},
        {"background": (170, 120, 60), "angle_deg": -8},
        {"angle_deg": 30, "margin": 0.4},
    ],
)
def test_finds_the_card(card: NDArray[Any], placement: dict[str, Any]) -> None:
    photo, corners = place_on_background_with_corners(card, seed=3, **placement)
    evidence = locate_document(photo)
    assert evidence.found
    assert evidence.decision is Decision.PASS
    assert corner_error(evidence.corners or [], corners) < 0.015 * max(photo.shape[:2])
    height, width = evidence.image.shape[:2]
    assert width > height
    assert abs(width / height - ID1_RATIO) < 0.1


def test_finds_a_blurred_passport_page(passport: NDArray[Any]) -> None:
    photo, corners = place_on_background_with_corners(blur(passport, 2.0), angle_deg=-15, seed=1)
    evidence = locate_document(photo)
    assert evidence.found
    assert evidence.document_format == "TD3"
    assert corner_error(evidence.corners or [], corners) < 0.015 * max(photo.shape[:2])
    height, width = evidence.image.shape[:2]
    assert abs(width / height - TD3_RATIO) < 0.03


def test_standing_crop_is_laid_landscape(card: NDArray[Any]) -> None:
    standing = np.ascontiguousarray(np.rot90(card))
    photo, _ = place_on_background_with_corners(standing, seed=2)
    evidence = locate_document(photo)
    assert evidence.found
    assert evidence.image.shape[1] > evidence.image.shape[0]
    assert evidence.rotation in (1, 3)
    assert evidence.orientation_source == "shape"


def test_already_cropped_document_is_taken_whole(card: NDArray[Any]) -> None:
    evidence = locate_document(card)  # cropped to the document, as Smile ID's documentation asks partners to
    assert evidence.found
    assert evidence.method == "whole_image"
    assert evidence.image is card
    assert evidence.document_format == "ID-1"
    assert evidence.reasons == []


def test_no_outline_keeps_the_whole_image() -> None:
    # Not shaped like any document and no outline in it: kept whole, and said so.
    noise = np.random.default_rng(0).integers(0, 255, (600, 800, 3), dtype=np.uint8)
    evidence = locate_document(noise)
    assert not evidence.found
    assert evidence.method == "none"
    assert evidence.image is noise
    assert [r.code for r in evidence.reasons] == ["document.not_found"]


def test_warp_and_order() -> None:
    image = np.zeros((400, 600, 3), np.uint8)
    image[100:254, 100:344] = 255  # a 244 x 154 card (ID-1 proportions)
    quad = order_corners(np.array([[343, 253], [100, 100], [100, 253], [343, 100]], np.float32))
    assert quad[0].tolist() == [100, 100] and quad[2].tolist() == [343, 253]
    crop, document_format = warp_document(image, quad)
    assert document_format == "ID-1"
    assert crop.mean() > 240


def test_reshape_to_format() -> None:
    image = np.zeros((700, 1000, 3), np.uint8)
    reshaped, factor = reshape_to_format(image, "ID-1")
    assert reshaped.shape[:2] == (round(1000 / ID1_RATIO), 1000)
    assert factor == pytest.approx(reshaped.shape[0] / 700)


def box(x0: float, y0: float, x1: float, y1: float) -> NDArray[np.float32]:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def test_rotate_lines_follows_np_rot90() -> None:
    image = np.zeros((100, 200), np.uint8)
    image[10:20, 30:80] = 1
    line = OcrLine(text="ABC", box=box(30, 10, 79, 19), confidence=1.0)
    for turns in range(4):
        turned = np.rot90(image, turns)
        (moved,) = rotate_lines([line], turns, (100, 200))
        ys, xs = np.nonzero(turned)
        assert moved.box[:, 0].min() == pytest.approx(xs.min())
        assert moved.box[:, 1].min() == pytest.approx(ys.min())
        assert moved.box[:, 0].max() == pytest.approx(xs.max())
        assert moved.box[:, 1].max() == pytest.approx(ys.max())


def test_text_is_vertical() -> None:
    flat = [OcrLine(text="SURNAME", box=box(0, 0, 100, 20), confidence=1.0)] * 3
    standing = [OcrLine(text="SURNAME", box=box(0, 0, 20, 100), confidence=1.0)] * 3
    assert text_is_vertical(flat) is False
    assert text_is_vertical(standing) is True
    assert text_is_vertical([]) is None
