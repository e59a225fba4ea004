"""Grid decoding of MRZ lines: cutting lines out of a band and cell-by-cell decoding."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from openkyc.engine.document.mrz import grid
from openkyc.engine.document.ocr import LineProbabilities
from openkyc.testing import documents as docs

LINES = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]


def _band(lines: list[str], *, pitch: int = 20, size: int = 30) -> tuple[npt.NDArray[Any], list[Any]]:
    """Two MRZ lines on white, and boxes where a detector would put them (the first one cut short)."""
    width = pitch * 44 + 80
    img = Image.new("RGB", (width, 200), "white")
    draw = ImageDraw.Draw(img)
    font = docs._font(size, mono=True)
    boxes = []
    for row, line in enumerate(lines):
        y = 50 + row * 60
        for col, char in enumerate(line):
            draw.text((40 + (col + 0.5) * pitch, y), char, fill=(0, 0, 0), font=font, anchor="mt")
        right = 40 + pitch * (26 if row == 0 else 44)
        boxes.append(np.array([[36, y - 6], [right, y - 6], [right, y + 30], [36, y + 30]], np.float32))
    return np.asarray(img)[:, :, ::-1].copy(), boxes


def test_runs_bridge_small_gaps() -> None:
    mask = np.array([0, 1, 1, 0, 1, 0, 0, 0, 1], dtype=bool)
    assert grid._runs(mask, max_gap=1) == [(1, 5), (8, 9)]
    assert grid._runs(mask, max_gap=3) == [(1, 9)]
    assert grid._runs(np.zeros(4, dtype=bool), max_gap=2) == []


def test_cut_lines_finds_both_lines_at_full_length() -> None:
    band, boxes = _band(LINES)
    cut = grid.cut_lines(
        band, boxes, ["P<UTOERIKSSON<<ANNA<MARIA", LINES[1]], direction=np.array([1.0, 0.0]), row_height=36
    )
    assert len(cut) == 2
    # The first row was detected short; its ink extent still spans the whole line like the second.
    spans = [(line.ink[1] - line.ink[0]) / line.crop.shape[0] for line in cut]
    assert abs(spans[0] - spans[1]) / spans[1] < 0.05
    assert cut[0].corners[0][1] < cut[1].corners[0][1]


def test_decode_cells_restores_collapsed_filler_runs() -> None:
    band, boxes = _band(LINES)
    line = grid.cut_lines(band, boxes, LINES, direction=np.array([1.0, 0.0]), row_height=36)[0]
    x0, x1 = line.ink
    width = 44
    pitch = (x1 - x0) / (width - 1 + grid._GLYPH_FRACTION)
    start = x0 - (1 - grid._GLYPH_FRACTION) / 2 * pitch
    # A recogniser output with three steps per cell that emits each character once, at its cell's
    # middle step, and blank elsewhere: greedy CTC would keep every '<', so make it collapse them
    # the way the real model does (one long '<' emission over a whole run).
    steps = 3 * width
    step_px = (x1 - x0) / steps
    probs = np.zeros((steps + int(start / step_px) + 3, 1 + len(grid.MRZ_ALPHABET)), np.float32)
    probs[:, 0] = 1.0
    offset = start / step_px
    for k, char in enumerate(LINES[0]):
        for j in range(3):
            t = int(offset + 3 * k + j)
            if j == 1 or char == "<":
                probs[t, 0] = 0.0
                probs[t, 1 + grid.MRZ_ALPHABET.index(char)] = 0.8 if char == "<" else 0.9
    read = LineProbabilities(probs=probs, alphabet=grid.MRZ_ALPHABET, step_px=step_px)
    assert grid.greedy(read) != LINES[0]  # the collapsed runs
    cells = grid.decode_cells(line, read, width)
    assert cells.text == LINES[0]
    assert cells.scores.shape == (width, len(grid.MRZ_ALPHABET))
    assert 0.8 <= cells.confidence <= 0.9


def test_residual_skew_levels_tilted_rows() -> None:
    import cv2

    mask = np.zeros((200, 800), np.uint8)
    mask[80:92, 40:760] = 1
    mask[110:122, 40:760] = 1
    tilted = cv2.warpAffine(mask, cv2.getRotationMatrix2D((400, 100), -2.0, 1.0), (800, 200))
    angle = grid._residual_skew(tilted, (0, 800))
    assert abs(angle - 2.0) <= 0.25
    assert grid._residual_skew(mask, (0, 800)) == 0.0


def test_cut_lines_levels_a_band_cut_along_a_wrong_direction() -> None:
    band, boxes = _band(LINES)
    # The detector's short row gave a direction 2 degrees off: the lines are still cut whole.
    wrong = np.array([np.cos(np.deg2rad(2.0)), np.sin(np.deg2rad(2.0))])
    cut = grid.cut_lines(band, boxes, ["P<UTOERIKSSON<<ANNA<MARIA", LINES[1]], direction=wrong, row_height=36)
    assert len(cut) == 2
    spans = [(line.ink[1] - line.ink[0]) / line.crop.shape[0] for line in cut]
    assert abs(spans[0] - spans[1]) / spans[1] < 0.05
    level = grid.cut_lines(
        band, boxes, ["P<UTOERIKSSON<<ANNA<MARIA", LINES[1]], direction=np.array([1.0, 0.0]), row_height=36
    )
    assert abs(cut[0].crop.shape[0] - level[0].crop.shape[0]) <= 3


def test_cut_lines_leave_out_a_frame_and_the_desk_beside_the_lines() -> None:
    """A capture app's frame drawn round the zone, and the dark desk past the page's edge, are
    not part of the lines: the ink extent must end at the first and last glyphs."""
    band, boxes = _band(LINES)
    clean = grid.cut_lines(band, boxes, LINES, direction=np.array([1.0, 0.0]), row_height=36)
    framed = band.copy()
    right = 40 + 20 * 44 + 8
    # The frame hugs the zone: its edges start just above the first line and end just below the
    # second, so nothing of them shows in the gaps a line's own extent is judged from.
    framed[44:46, 30:right] = framed[142:144, 30:right] = (40, 40, 200)
    framed[44:144, 30:33] = framed[44:144, right - 3 : right] = (40, 40, 200)
    framed[44:90, right + 60 : right + 100] = (20, 20, 20)  # an icon beside the first line
    cut = grid.cut_lines(framed, boxes, LINES, direction=np.array([1.0, 0.0]), row_height=36)
    assert len(cut) == len(clean) == 2
    for got, want in zip(cut, clean, strict=True):
        left = got.corners[0][0] + got.ink[0] * (got.corners[1][0] - got.corners[0][0]) / got.crop.shape[1]
        left_want = (
            want.corners[0][0] + want.ink[0] * (want.corners[1][0] - want.corners[0][0]) / want.crop.shape[1]
        )
        assert abs(left - left_want) < 3
        assert abs((got.ink[1] - got.ink[0]) - (want.ink[1] - want.ink[0])) < 0.03 * (
            want.ink[1] - want.ink[0]
        )


def test_glyph_extent_keeps_letters_run_together_at_a_line_end() -> None:
    """On a small print the first letters merge into one wide mark: still the line, not trimmed."""
    mask = np.zeros((60, 400), np.uint8)
    mask[20:40, 10:60] = 1  # 'P<GB' run together
    for x in range(80, 380, 16):
        mask[20:40, x : x + 10] = 1
    assert grid._glyph_extent(mask, (20, 40), (10, 380)) == (10, 378)
    mask[:, 0:4] = 1  # a frame edge running past the line's rows
    assert grid._glyph_extent(mask, (20, 40), (0, 380)) == (10, 378)
