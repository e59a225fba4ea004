"""Finding the MRZ band: every layout and capture, small scans, turned photos, nothing where none."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from openkyc.engine.document.mrz.band import LINE_HEIGHT_PX, Band, find_bands
from testkit import specimens as sp

pytestmark = pytest.mark.skipif(sp.ocrb_font_path() is None, reason="needs fonts-ocr-b")


def _matches(band: Band, quad: npt.NDArray[np.float32], lines: int) -> bool:
    width = float(np.linalg.norm(quad[1] - quad[0]))
    return (
        len(band.lines) == lines and float(np.linalg.norm(band.corners.mean(0) - quad.mean(0))) < 0.1 * width
    )


@pytest.mark.parametrize("layout", sp.LAYOUTS)
@pytest.mark.parametrize("capture", ["scan_small", "phone"])
def test_the_band_of_every_layout_is_found(layout: sp.Layout, capture: sp.Capture) -> None:
    specimen = sp.make_specimen(layout, capture, seed=11)
    bands = find_bands(specimen.image)
    assert any(_matches(b, specimen.mrz_quad, len(specimen.lines)) for b in bands), (layout, capture)


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_a_turned_photo_is_found_at_its_angle(turns: int) -> None:
    specimen = sp.make_specimen("passport_page", "scan", seed=5)
    image, quad = sp.rotate_with_quad(specimen.image, specimen.mrz_quad, turns)
    bands = find_bands(image)
    match = next(b for b in bands if _matches(b, quad, 2))
    # The reading direction turns with the image (counter-clockwise as displayed), up to a half
    # turn (which way up is the reader's to decide).
    expected = (90 * turns) % 180
    assert min(abs(match.angle % 180 - expected), 180 - abs(match.angle % 180 - expected)) < 6


def test_lines_are_cut_level_at_the_normalised_height() -> None:
    specimen = sp.make_specimen("card_back", "phone", seed=3)
    band = next(b for b in find_bands(specimen.image) if _matches(b, specimen.mrz_quad, 3))
    for line in band.lines:
        height, width = line.crop.shape
        # Text height plus margins; as long as 30 characters at about a pitch each, plus margins.
        assert LINE_HEIGHT_PX < height < 3 * LINE_HEIGHT_PX
        assert width > 25 * LINE_HEIGHT_PX
    turned = band.turned()
    assert turned.upside_down and len(turned.lines) == 3
    assert np.array_equal(turned.lines[0].crop, band.lines[-1].crop[::-1, ::-1])


def test_blank_and_tiny_images_have_no_band() -> None:
    assert find_bands(np.full((400, 600, 3), 230, np.uint8)) == []
    assert find_bands(np.zeros((10, 10), np.uint8)) == []


def test_a_page_of_ordinary_print_has_no_three_line_block_of_mrz_shape() -> None:
    rng = np.random.default_rng(0)
    page = np.full((900, 700), 235, np.uint8)
    # Short lines of text-like blobs at varied lengths: no two of them an MRZ's equal length.
    for row in range(12):
        length = int(rng.integers(120, 600))
        y = 40 + row * 70
        for x in range(40, 40 + length, 14):
            page[y : y + 16, x : x + 9] = 30
    bands = find_bands(page)
    assert all(len(b.lines) < 3 for b in bands)
