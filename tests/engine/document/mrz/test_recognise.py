"""The OCR-B MRZ line recogniser: lines rendered from the MRZ typeface (seeds never used in
training), read cell by cell with the shipped model."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray
from tools.mrz_render import render_line

from openkyc.engine.document.mrz.recognise import ALPHABET, LineRead, analyse_line, fit_grid, read_line

# Seeds of the training script are 1 (training) and 2 (validation); the benchmark uses 3.
SEED = 11


def _errors(read: LineRead, text: str) -> int:
    return sum(a != b for a, b in zip(read.text, text, strict=True))


def _cell_error(read: LineRead, cells: NDArray[np.float32]) -> float:
    """Largest distance between a read cell's centre and the true one, in pitches."""
    pitch = float(np.mean(cells[:, 1] - cells[:, 0]))
    return float(np.abs(read.cells.mean(axis=1) - cells.mean(axis=1)).max() / pitch)


@pytest.mark.parametrize("cap", [6.0, 10.0, 20.0, 40.0])
def test_degraded_lines_read_nearly_exactly(cap: float) -> None:
    # Lines with a few degradations each (blur, JPEG, noise, tilt, backgrounds, screens...), drawn at
    # random: all but one with at most two wrong characters, most exactly (at 6 px, most with at
    # most one wrong).
    errors = []
    for index in range(6):
        sample = render_line(SEED, index + int(cap) * 100, cap_height=cap, severity=0.4)
        read = read_line(sample.gray, len(sample.text))
        errors.append(_errors(read, sample.text))
    assert sum(e <= 2 for e in errors) >= 5, errors
    assert sorted(errors)[3] <= (1 if cap < 8 else 0), errors


def test_crisp_line_reads_exactly_and_lays_its_cells() -> None:
    sample = render_line(
        SEED, 1, text="P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", cap_height=14.0, clean=True
    )
    read = read_line(sample.gray, 44)
    assert read.text == sample.text
    assert _cell_error(read, sample.cells) < 0.2
    assert read.fit > 0.8
    assert read.glyph_height == pytest.approx(sample.cap_height, rel=0.15)


def test_clutter_at_both_ends_does_not_shift_the_grid() -> None:
    text = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
    sample = render_line(SEED, 2, text=text, cap_height=16.0, clean=True)
    gray = sample.gray.copy()
    pitch = float(np.mean(sample.cells[:, 1] - sample.cells[:, 0]))
    # The dark desk past the document's edge, right up to the first glyph's cell; a frame line
    # drawn down the page a little past the last cell.
    edge = int(sample.cells[0, 0] + 0.1 * pitch)
    gray[:, :edge] = 40
    frame = int(sample.cells[-1, 1] + 0.3 * pitch)
    gray[:, frame : frame + 2] = 20
    read = read_line(gray, 44)
    assert _cell_error(read, sample.cells) < 0.25
    assert _errors(read, text) <= 1, read.text


def test_output_shapes_and_probabilities() -> None:
    sample = render_line(SEED, 3, n=36, cap_height=9.0, severity=0.4)
    for n in (30, 36, 44):
        read = read_line(sample.gray, n)
        assert len(read.text) == n
        assert set(read.text) <= set(ALPHABET)
        assert read.probs.shape == (n, len(ALPHABET)) and read.probs.dtype == np.float32
        np.testing.assert_allclose(read.probs.sum(axis=1), 1.0, atol=1e-4)
        assert read.text == "".join(ALPHABET[i] for i in read.probs.argmax(axis=1))
        assert read.cells.shape == (n, 2)
        assert np.all(np.diff(read.cells[:, 0]) > 0) and np.all(read.cells[:, 1] > read.cells[:, 0])
        assert 0.0 <= read.fit <= 1.0


@pytest.mark.parametrize("true_n", [30, 36, 44])
def test_fit_prefers_the_true_line_length(true_n: int) -> None:
    wins = 0
    for index in range(3):
        sample = render_line(SEED, 50 + index + true_n, n=true_n, cap_height=10.0, severity=0.4)
        layout = analyse_line(sample.gray)
        fits = {n: fit_grid(layout, n).fit for n in (30, 36, 44)}
        wins += max(fits, key=lambda n: fits[n]) == true_n
    assert wins >= 2


def test_blank_and_bad_input() -> None:
    blank = np.full((20, 400), 200, np.uint8)
    read = read_line(blank, 30)
    assert len(read.text) == 30 and read.fit < 0.3
    with pytest.raises(ValueError, match="2-D uint8 image"):
        read_line(np.zeros((20, 400, 3), np.uint8), 30)
    with pytest.raises(ValueError, match="n must be at least 1"):
        read_line(blank, 0)
    with pytest.raises(ValueError, match="2-D uint8 image"):
        read_line(blank.astype(np.float32), 30)
