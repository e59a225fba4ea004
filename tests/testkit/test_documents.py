"""Synthetic documents: MRZ composition, rendering and the photographic transforms."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from openkyc.engine.document.mrz import parse_mrz
from testkit import documents as docs


def test_default_passport_mrz_matches_icao_layout() -> None:
    spec = docs.DocumentSpec(expiry_date=date(2012, 4, 15), optional_data="ZE184226B")
    assert docs.mrz_lines(spec) == [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ]


def test_names_are_transliterated() -> None:
    spec = docs.DocumentSpec(
        mrz_type="TD1", kind="identity_card", surname="Müller-Lüdenscheidt", given_names="Jörg"
    )
    assert docs.mrz_lines(spec)[2] == "MULLER<LUDENSCHEIDT<<JORG<<<<<"


@pytest.mark.parametrize(
    ("kind", "shape"),
    [("TD1", (3, 30)), ("TD2", (2, 36)), ("TD3", (2, 44)), ("MRVA", (2, 44)), ("MRVB", (2, 36))],
)
def test_every_format_has_its_shape(kind: str, shape: tuple[int, int]) -> None:
    lines = docs.mrz_lines(docs.DocumentSpec(mrz_type=kind))  # type: ignore[arg-type]
    assert (len(lines), len(lines[0])) == shape
    assert all(len(line) == shape[1] for line in lines)


def test_break_check_rejects_digits_a_format_lacks() -> None:
    with pytest.raises(ValueError, match="no composite check digit"):
        docs.mrz_lines(docs.DocumentSpec(mrz_type="MRVA"), break_check="composite")
    with pytest.raises(ValueError, match="no personal-number check digit"):
        docs.mrz_lines(docs.DocumentSpec(mrz_type="TD1"), break_check="personal")
    with pytest.raises(ValueError, match="has no MRZ"):
        docs.mrz_lines(docs.DocumentSpec(mrz_type=None))


def test_broken_lines_differ_in_the_digit_and_at_most_the_composite() -> None:
    spec = docs.DocumentSpec()
    good = "".join(docs.mrz_lines(spec))
    for broken in ("number", "birth", "expiry", "personal", "composite"):
        bad = "".join(docs.mrz_lines(spec, break_check=broken))
        # The composite is recomputed over the printed lines, so it may change too.
        assert 1 <= sum(a != b for a, b in zip(good, bad, strict=True)) <= 2
        assert not parse_mrz(docs.mrz_lines(spec, break_check=broken)).valid


@pytest.mark.parametrize(
    ("spec", "ratio", "min_long"),
    [
        (docs.DocumentSpec(), 125 / 88, 2200),
        (docs.DocumentSpec(kind="identity_card", mrz_type="TD1", title="IDENTITY CARD"), 85.6 / 54, 1500),
        (docs.DocumentSpec(kind="driving_licence", mrz_type=None, title="DRIVING LICENCE"), 85.6 / 54, 1500),
    ],
)
def test_render_proportions_and_size(spec: docs.DocumentSpec, ratio: float, min_long: int) -> None:
    img = docs.render_document(spec)
    h, w = img.shape[:2]
    assert img.dtype == np.uint8 and img.shape[2] == 3
    assert w >= min_long
    assert abs(w / h - ratio) < 0.01


def test_render_is_deterministic_and_shows_the_portrait() -> None:
    spec = docs.DocumentSpec(kind="identity_card", mrz_type="TD1")
    face = np.zeros((300, 240, 3), np.uint8)
    face[:, :, 2] = 255  # pure red: easy to find
    a = docs.render_document(spec, portrait_bgr=face, long_side=800)
    b = docs.render_document(spec, portrait_bgr=face, long_side=800)
    assert np.array_equal(a, b)
    red = (a[:, :, 2] > 200) & (a[:, :, 1] < 50) & (a[:, :, 0] < 50)
    _, xs = np.nonzero(red)
    assert red.sum() > 0.03 * a.shape[0] * a.shape[1]
    assert xs.max() < a.shape[1] / 2  # the portrait sits on the left
    without = docs.render_document(spec, long_side=800)
    assert not ((without[:, :, 2] > 200) & (without[:, :, 1] < 50)).any()


def test_place_on_background_corners() -> None:
    doc = np.full((100, 160, 3), 255, np.uint8)
    image, corners = docs.place_on_background_with_corners(
        doc, angle_deg=0, margin=0.25, background=(0, 0, 0)
    )
    assert image.shape[:2] == (100 + 80, 160 + 80)
    assert np.allclose(corners, [[40, 40], [200, 40], [200, 140], [40, 140]], atol=1)
    assert image[90, 120].tolist() == [255, 255, 255] and image[5, 5].tolist() == [0, 0, 0]
    _, turned = docs.place_on_background_with_corners(doc, angle_deg=30, perspective=0.1)
    top = turned[1] - turned[0]
    assert top[1] < 0  # counter-clockwise: the top edge rises to the right
    assert np.linalg.norm(top) < 160  # the far edge is pulled in


def test_transforms() -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (60, 90, 3), dtype=np.uint8)
    assert docs.rotate90(img, 1).shape == (90, 60, 3)
    assert np.array_equal(docs.rotate90(docs.rotate90(img, 1), 3), img)
    assert docs.blur(img, 2.0).std() < img.std()
    copy = docs.photocopy(img)
    assert copy.shape == img.shape and np.array_equal(copy[..., 0], copy[..., 1])
    squashed = docs.jpeg(img, 20)
    assert squashed.shape == img.shape and not np.array_equal(squashed, img)


def test_human_dates() -> None:
    assert docs.human_date(date(1974, 8, 12)) == "12 AUG 1974"
