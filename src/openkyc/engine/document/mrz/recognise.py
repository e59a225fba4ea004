"""Reading one MRZ line, cell by cell, with a character classifier built for OCR-B.

The MRZ is printed in OCR-B at a fixed pitch: a line of n characters is n equal cells, every one
of them inked (the filler '<' included). Given one level crop of a line and n, this module

1. brings the crop to a working height and measures its ink against the local paper level (so
   uneven light, a faint end of the line and tinted or patterned grounds do not set the bar);
2. levels the residual tilt (the shear that makes the row profile of the ink sharpest) and finds
   the text band (cap line to baseline), skipping slivers of the neighbouring lines;
3. lays the n-cell grid on the glyphs: the pitch from the periodicity of the column profile (within
   what the crop's width allows for n cells), the offset by scoring cells for ink in their cores,
   blank boundaries between them and no ink above or below them (which is what tells a glyph from
   the document's edge, a frame line or the desk beside the line), then small per-cell shifts;
4. cuts each cell with half a pitch of its neighbours either side, normalised to a fixed size
   (cap height and pitch in fixed pixels, the ink scaled to its own contrast), and classifies all
   cells in one batch with a small CNN (``recogniser.onnx``, onnxruntime).

The training script (``tools/train_mrz_recogniser.py``) cuts its training cells with this same
code (:func:`analyse_line`, :func:`fit_grid`, :func:`cut_cells`), so the classifier sees exactly
what it sees at inference, misfits of the grid included.

Model provenance: see ``MODEL.md`` beside this file (training script, font and its licence,
configuration, seed, date, training-set size, validation accuracy).
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from openkyc.engine.errors import ModelUnavailable

ALPHABET = "<0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MODEL_PATH = Path(__file__).with_name("recogniser.onnx")

# The classifier's input: one cell and half a pitch of each neighbour, CELL_H x CELL_W pixels, with
# the cap height CELL_CAP px and the pitch CELL_PITCH px.
CELL_H, CELL_W = 32, 32
CELL_CAP = 20.0
CELL_PITCH = 18.0
# Height the crop is brought to before any measurement (px). The crop holds the cap height plus
# 20-60% margins, so the capitals come out some 22-34 px tall: enough to see strokes, cheap to scan.
_WORK_H = 48
# Residual tilts tried when levelling the line (slope dy/dx, about +-2.6 degrees).
_SLOPES = np.linspace(-0.045, 0.045, 19)
# Columns of the crop split into this many chunks to level it (each chunk's row profile is shifted
# by the slope at its centre).
_CHUNKS = 12
# A cell's core (fraction of the pitch either side of its centre) should hold ink; the boundary
# between two cells (fraction either side) should be blank.
_CORE = 0.22
_GAP = 0.07
# Ink a cell's core needs (mean over the core of the column profile, 0-1) to count in full.
_CORE_INK = 0.2
# Cells of margin the crop may have beside the line, each side, and some slack.
_MARGIN_CELLS = 3.5
# Largest per-cell shift off the fitted grid (fraction of the pitch).
_MAX_SHIFT = 0.2


@dataclass(frozen=True)
class LineRead:
    """One MRZ line read on its n-cell grid."""

    text: str  # argmax per cell, exactly n characters
    probs: NDArray[np.float32]  # (n, 37) softmax per cell, columns in ALPHABET order
    cells: NDArray[np.float32]  # (n, 2) x-start, x-end of each cell in the crop's pixels
    fit: float  # 0..1: how well an n-cell grid fits the line's ink
    glyph_height: float  # estimated cap height in crop pixels


@dataclass(frozen=True)
class LineLayout:
    """A line crop levelled and measured (the working frame: the crop scaled by ``scale`` and
    sheared level).

    ``dark``: darkness over the local paper level (0-255 scale); ``ink``: the same over the local
    contrast (about 0-1); ``top``/``bottom``: the text band's rows; ``margin``: the column profile
    of the ink just above and below the band (the lesser of the two, 0-1); ``band``: the column
    profile of the ink within the band, less ``margin``.
    """

    scale: float
    slope: float
    dark: NDArray[np.float32]
    ink: NDArray[np.float32]
    top: float
    bottom: float
    band: NDArray[np.float64]
    margin: NDArray[np.float64]
    contrast: float

    @property
    def cap(self) -> float:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return int(self.dark.shape[1])


@dataclass(frozen=True)
class Grid:
    """Cell centres (working-frame x), the pitch, and how well the grid fits (0-1)."""

    centres: NDArray[np.float64]
    pitch: float
    fit: float


# ---------------------------------------------------------------------------------------------
# Measuring the line


def _darkness(work: NDArray[np.float32], reach: int) -> NDArray[np.float32]:
    """How much darker each pixel is than the paper around it (the brightest level within
    ``reach`` px, smoothed): uneven light and tinted grounds drop out. The paper level is
    estimated at half resolution (it varies slowly)."""
    h, w = work.shape
    small = cv2.resize(work, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    r = max(1, reach // 2)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * r + 1, 2 * r + 1))
    paper = cv2.dilate(small, kernel, borderType=cv2.BORDER_REPLICATE)
    paper = cv2.blur(paper, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REPLICATE)
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.maximum(paper - work, 0.0).astype(np.float32)


def _level(image: NDArray[np.float32], slope: float) -> NDArray[np.float32]:
    """The image sheared so that rows rising by ``slope`` per column lie level (about the centre)."""
    if slope == 0.0:
        return image
    h, w = image.shape
    matrix = np.array([[1.0, 0.0, 0.0], [-slope, 1.0, slope * w / 2.0]], np.float32)
    return np.asarray(
        cv2.warpAffine(
            image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(0.0,)
        ),
        dtype=np.float32,
    )


def _best_slope(ink: NDArray[np.float32]) -> float:
    """The slope that makes the row profile of the ink sharpest: text rows concentrate ink in a few
    rows only when level."""
    h, w = ink.shape
    chunks = min(_CHUNKS, max(1, w // 8))
    bounds = np.linspace(0, w, chunks + 1).astype(int)
    profiles = np.stack([ink[:, a:b].sum(axis=1) for a, b in itertools.pairwise(bounds)])
    centres = (bounds[:-1] + bounds[1:]) / 2.0 - w / 2.0
    # All slopes at once: each chunk's profile shifted by slope x its offset from the middle.
    shifted = _sample(
        profiles[None, :, :], np.arange(h)[None, None, :] + _SLOPES[:, None, None] * centres[None, :, None]
    )
    sharpness = np.square(shifted.sum(axis=1)).sum(axis=1)
    # Of the slopes as sharp as the sharpest (a blank crop: all of them), the nearest to level.
    near_best = np.flatnonzero(sharpness >= sharpness.max() * 0.9999)
    return float(_SLOPES[near_best[np.argmin(np.abs(_SLOPES[near_best]))]])


def _sample(values: NDArray[np.float64], positions: NDArray[np.float64]) -> NDArray[np.float64]:
    """Linear interpolation of ``values`` (along its last axis, broadcast) at fractional
    ``positions``; zero outside."""
    n = values.shape[-1]
    base = np.floor(positions)
    frac = positions - base
    index = base.astype(np.int64)
    padded = np.concatenate(
        [np.zeros((*values.shape[:-1], 1)), values, np.zeros((*values.shape[:-1], 2))], axis=-1
    )
    lo = np.clip(index + 1, 0, n + 1)
    hi = np.clip(index + 2, 0, n + 2)
    take_lo = np.take_along_axis(np.broadcast_to(padded, (*positions.shape[:-1], n + 3)), lo, axis=-1)
    take_hi = np.take_along_axis(np.broadcast_to(padded, (*positions.shape[:-1], n + 3)), hi, axis=-1)
    return np.asarray(take_lo * (1.0 - frac) + take_hi * frac, dtype=np.float64)


def _valley(smooth: NDArray[np.float64], lo: int, hi: int) -> int | None:
    """The deepest row in ``[lo, hi)`` if it is a gap between two lines: much emptier than the
    inked rows on both sides of it (the middle of a glyph row dips far less)."""
    if hi - lo < 1:
        return None
    v = lo + int(np.argmin(smooth[lo:hi]))
    left, right = float(smooth[: v + 1].max()), float(smooth[v:].max())
    return v if smooth[v] < 0.35 * min(left, right) else None


def _text_band(profile: NDArray[np.float64]) -> tuple[float, float]:
    """The text line's top and bottom rows in a row profile of the ink: the run of inked rows
    around the strongest row near the middle. Slivers of the neighbouring lines lie apart from it;
    where blur joins one to the run (which then reaches the crop's edge or fills most of it), the
    run is cut at the gap between the lines."""
    h = len(profile)
    if h < 3 or profile.max() <= 0:
        return 0.0, float(h)
    # Background texture (guilloche, noise, a screen's grid) inks every row a little: measure
    # from the emptiest row.
    smooth = np.convolve(profile, np.array([0.25, 0.5, 0.25]), mode="same")
    floor = float(smooth[1:-1].min()) if h > 2 else 0.0
    smooth = np.maximum(smooth - floor, 0.0)
    profile = np.maximum(profile - floor, 0.0)
    if smooth.max() <= 0:
        return 0.0, float(h)
    lo, hi = int(0.2 * h), max(int(0.2 * h) + 1, int(np.ceil(0.8 * h)))
    peak = lo + int(np.argmax(smooth[lo:hi]))
    inked = smooth > 0.25 * smooth[peak]
    a = peak
    while a > 0 and inked[a - 1]:
        a -= 1
    b = peak + 1
    while b < h and inked[b]:
        b += 1
    if a == 0 or b - a > 0.75 * h:
        v = _valley(smooth, a + 1, peak)
        if v is not None:
            a = v + 1
    if b == h or b - a > 0.75 * h:
        v = _valley(smooth, peak + 1, b - 1)
        if v is not None:
            b = v
    # The band's edges where the profile crosses half the band's mean ink (blur-independent), to
    # a fraction of a row: row y's value stands for its centre y + 0.5.
    level = 0.5 * float(profile[a:b].mean())

    def edge(step: int) -> float:
        y = peak
        while a <= y + step < b and profile[y + step] >= level:
            y += step
        nxt = y + step
        if not 0 <= nxt < h:
            return float(max(0, min(h, y + (step > 0))))
        frac = (float(profile[y]) - level) / max(float(profile[y]) - float(profile[nxt]), 1e-9)
        return y + 0.5 + step * float(np.clip(frac, 0.0, 1.0))

    top, bottom = edge(-1), edge(1)
    return top, max(bottom, top + 1.0)


def analyse_line(gray: NDArray[np.uint8]) -> LineLayout:
    """Bring a line crop to the working frame and measure it: level it, find its text band, and
    the column profiles of its ink within and just outside the band."""
    h, w = gray.shape
    scale = _WORK_H / float(h)
    out_w = max(1, round(w * scale))
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    work = cv2.resize(gray, (out_w, _WORK_H), interpolation=interpolation).astype(np.float32)
    dark = _darkness(work, reach=_WORK_H // 6)
    # Ink relative to the local contrast (the darkest print within about a cell), so a faint end
    # of the line weighs as much as the rest; a floor keeps blank paper and noise from counting.
    contrast = float(np.percentile(dark[::2, ::2], 99.5)) if dark.size else 0.0
    floor = max(5.0, 0.1 * contrast)
    reach = _WORK_H // 3
    local = cv2.dilate(dark, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1, _WORK_H // 2 * 2 + 1)))
    local = cv2.blur(local, (2 * reach + 1, 1))
    ink = np.clip((dark - 0.25 * local) / np.maximum(0.6 * local, floor), 0.0, 1.0).astype(np.float32)
    slope = _best_slope(ink)
    dark, ink = _level(dark, slope), _level(ink, slope)
    top, bottom = _text_band(ink.sum(axis=1).astype(np.float64))
    cap = max(bottom - top, 2.0)
    rows = np.arange(_WORK_H)
    in_band = (rows >= top) & (rows < bottom)
    band = ink[in_band].mean(axis=0).astype(np.float64) if in_band.any() else np.zeros(out_w)
    # Ink both just above and just below the band (the lesser of the two): the document's edge, the
    # desk or a frame line cross both; a sliver of a neighbouring line lies on one side only.
    above = (rows >= top - 0.35 * cap) & (rows < top - 0.08 * cap)
    below = (rows >= bottom + 0.08 * cap) & (rows < bottom + 0.35 * cap)
    if above.any() and below.any():
        margin = np.minimum(ink[above].mean(axis=0), ink[below].mean(axis=0)).astype(np.float64)
    else:
        margin = np.zeros(out_w)
    # Print stays within its line: what crosses the band and both margins alike is not a glyph.
    band = np.maximum(band - margin, 0.0)
    band_contrast = float(np.percentile(dark[in_band], 99)) if in_band.any() else contrast
    return LineLayout(
        scale, slope, dark, ink, float(top), float(bottom), band, margin, max(band_contrast, 1.0)
    )


# ---------------------------------------------------------------------------------------------
# Laying the grid


class _Profile:
    """Window means of a column profile at fractional bounds (zero outside the crop)."""

    def __init__(self, values: NDArray[np.float64]) -> None:
        self.cum = np.concatenate([[0.0], np.cumsum(values), [float(np.sum(values))]])
        self.last = float(len(values))

    def _at(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        # The cumulative sum at fractional x, linearly interpolated, flat outside [0, len].
        x = np.clip(x, 0.0, self.last)
        base = np.minimum(x.astype(np.int64), int(self.last))
        frac = x - base
        return np.asarray(self.cum[base] * (1.0 - frac) + self.cum[base + 1] * frac, dtype=np.float64)

    def mean(self, a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray((self._at(b) - self._at(a)) / np.maximum(b - a, 1e-9), dtype=np.float64)


def _cell_terms(
    band: _Profile, margin: _Profile, centres: NDArray[np.float64], pitch: NDArray[np.float64] | float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Per cell: ink in its core, in its two boundaries (mean), and just above/below it."""
    core = band.mean(centres - _CORE * pitch, centres + _CORE * pitch)
    left = band.mean(centres - (0.5 + _GAP) * pitch, centres - (0.5 - _GAP) * pitch)
    right = band.mean(centres + (0.5 - _GAP) * pitch, centres + (0.5 + _GAP) * pitch)
    outside = margin.mean(centres - 0.4 * pitch, centres + 0.4 * pitch)
    return core, (left + right) / 2.0, outside


def _centres(
    x0: NDArray[np.float64], pitch: NDArray[np.float64], bend: NDArray[np.float64], n: int
) -> NDArray[np.float64]:
    """Cell centres of grids (broadcast arrays of the left edge of cell 0, the pitch, and ``bend``:
    the pitch grows by +-bend from the middle to the ends, a residual perspective)."""
    k = np.arange(n, dtype=np.float64)
    u = (k - (n - 1) / 2.0) / max(n - 1, 1)
    return np.asarray(
        x0[..., None] + pitch[..., None] * ((k + 0.5) + (n - 1) * bend[..., None] * (u * u - 1.0 / 12.0)),
        dtype=np.float64,
    )


def _score(
    band: _Profile,
    margin: _Profile,
    x0: NDArray[np.float64],
    pitch: NDArray[np.float64],
    n: int,
    bend: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Score of grids (broadcast arrays): inked cores (saturating), blank boundaries, nothing right
    above or below the cells."""
    bend = np.zeros_like(x0) if bend is None else bend
    centres = _centres(x0, pitch, bend, n)
    core, gap, outside = _cell_terms(band, margin, centres, pitch[..., None])
    return np.asarray((np.minimum(core, _CORE_INK) - gap - 0.5 * outside).sum(axis=-1), dtype=np.float64)


def _best(
    band: _Profile,
    margin: _Profile,
    n: int,
    x0: NDArray[np.float64],
    pitch: NDArray[np.float64],
    bend: NDArray[np.float64],
) -> tuple[float, float, float]:
    x0, pitch, bend = np.broadcast_arrays(x0, pitch, bend)
    scores = _score(band, margin, x0.ravel(), pitch.ravel(), n, bend.ravel())
    i = int(np.argmax(scores))
    return float(x0.ravel()[i]), float(pitch.ravel()[i]), float(bend.ravel()[i])


def _glyph_like(
    core: NDArray[np.float64], gap: NDArray[np.float64], outside: NDArray[np.float64]
) -> NDArray[np.bool_]:
    return np.asarray((core >= 0.5 * _CORE_INK) & (outside < 0.5 * core) & (gap < core), dtype=np.bool_)


def fit_grid(layout: LineLayout, n: int) -> Grid:
    """Lay an n-cell grid on the line's glyphs (working-frame x)."""
    width = float(layout.width)
    band, margin = _Profile(layout.band), _Profile(layout.margin)
    # Pitches the crop's width allows: the line plus up to a few cells of margin each side.
    p_lo, p_hi = width / (n + 2 * _MARGIN_CELLS), width / max(n - 1.5, 0.5)
    # Periodicity of the column profile: the strongest few peaks of its spectrum at the pitches
    # allowed, each at its exact pitch (parabolic peak), with its phase (which puts the cells).
    signal = layout.band - layout.band.mean()
    length = 1 << max(12, int(np.ceil(np.log2(max(len(signal), 1)))) + 3)
    spectrum = np.abs(np.fft.rfft(signal, length))
    k_lo, k_hi = max(2, int(length / p_hi)), min(len(spectrum) - 2, int(np.ceil(length / p_lo)))
    bins = np.arange(k_lo, k_hi + 1)
    peaks = bins[(spectrum[bins] >= spectrum[bins - 1]) & (spectrum[bins] >= spectrum[bins + 1])]
    peaks = peaks[np.argsort(spectrum[peaks])[::-1][:3]]
    # No peak in range (a blank or tiny crop): the pitch that spans the crop.
    pitches = [] if peaks.size else [width / (n + 1.0)]
    for k in peaks:
        a_, b_, c_ = spectrum[k - 1], spectrum[k], spectrum[k + 1]
        offset = 0.5 * (a_ - c_) / max(a_ - 2 * b_ + c_, -1e12) if (a_ - 2 * b_ + c_) < 0 else 0.0
        pitches.append(float(np.clip(length / (k + offset), p_lo, p_hi)))
    xs = np.arange(layout.width, dtype=np.float64) + 0.5
    candidates: list[tuple[float, float, float]] = []  # (score, pitch, x0)
    for pitch in pitches:
        # Glyph centres sit where the fundamental peaks: x = -phase / (2 pi) * pitch (mod pitch).
        phasor = np.exp(-2j * np.pi * xs / pitch) @ signal
        centre_phase = (-np.angle(phasor) / (2 * np.pi)) * pitch
        first = centre_phase % pitch - 0.5 * pitch  # a cell's left edge, in [-pitch/2, pitch/2)
        starts = first + pitch * np.arange(-int(_MARGIN_CELLS) - 2, int(width / pitch) + 2)
        starts = starts[(starts > -0.8 * pitch) & (starts + n * pitch < width + 0.8 * pitch)]
        if starts.size == 0:
            starts = np.array([first])
        # The phase of a blurred or lopsided profile may be off a little: try around it too.
        starts = (starts[:, None] + np.array([-0.3, -0.15, 0.0, 0.15, 0.3]) * pitch).ravel()
        scores = _score(band, margin, starts, np.full_like(starts, pitch), n)
        candidates.extend((float(sc), pitch, float(st)) for sc, st in zip(scores, starts, strict=True))
    candidates.sort(reverse=True)
    # Refine the best few distinct placements and keep the best refined grid.
    seeds: list[tuple[float, float]] = []
    for _, pitch, x0 in candidates:
        if all(abs(x0 - other) > 0.5 * pitch for _, other in seeds):
            seeds.append((pitch, x0))
        if len(seeds) == 2:
            break
    best_score, best_grid = -np.inf, (0.0, 1.0, 0.0)
    for pitch, x0 in seeds:
        refined = _refine_grid(band, margin, n, x0, pitch)
        score = float(
            _score(band, margin, np.array([refined[0]]), np.array([refined[1]]), n, np.array([refined[2]]))[0]
        )
        if score > best_score:
            best_score, best_grid = score, refined
    x0, pitch, bend = best_grid
    # The same grid a cell or two to either side (a placement the search may have passed over:
    # clutter at one end, a faint glyph at the other), refined again if it scores better.
    shifts = x0 + pitch * np.array([-2.0, -1.0, 1.0, 2.0])
    scores = _score(band, margin, shifts, np.full(4, pitch), n, np.full(4, bend))
    if scores.max() > best_score:
        x0 = float(shifts[int(np.argmax(scores))])
        x0, pitch, bend = _best(
            band,
            margin,
            n,
            x0 + np.linspace(-0.1, 0.1, 5) * pitch,
            pitch * (1.0 + np.linspace(-0.004, 0.004, 5))[:, None],
            np.array([bend]),
        )
    centres = _centres(np.array(x0), np.array(pitch), np.array(bend), n)
    centres = _refine(band, margin, centres, pitch)
    return Grid(centres, pitch, _fit_quality(layout, band, margin, centres, pitch, n))


def _refine_grid(
    band: _Profile, margin: _Profile, n: int, x0: float, pitch: float
) -> tuple[float, float, float]:
    """(x0, pitch, bend) refined around a placement: pitch and offset, then the bend and offset,
    then pitch and offset finely. The grid's middle stays put while the pitch changes."""
    middle = x0 + n * pitch / 2.0
    ps = pitch * (1.0 + np.linspace(-0.012, 0.012, 13))[:, None]
    x0, pitch, bend = _best(
        band, margin, n, middle - n * ps / 2.0 + np.linspace(-0.2, 0.2, 9) * pitch, ps, np.zeros(1)
    )
    bends = np.linspace(-0.04, 0.04, 9)[:, None]
    x0, pitch, bend = _best(band, margin, n, x0 + np.linspace(-0.1, 0.1, 7) * pitch, np.array([pitch]), bends)
    middle = x0 + n * pitch / 2.0
    ps = pitch * (1.0 + np.linspace(-0.004, 0.004, 7))[:, None]
    return _best(
        band, margin, n, middle - n * ps / 2.0 + np.linspace(-0.05, 0.05, 5) * pitch, ps, np.array([bend])
    )


def _refine(
    band: _Profile, margin: _Profile, centres: NDArray[np.float64], pitch: float
) -> NDArray[np.float64]:
    """Small per-cell shifts (print jitter, slight perspective), smoothed along the line so that
    one odd glyph does not pull its cell."""
    n = len(centres)
    shifts = np.linspace(-_MAX_SHIFT, _MAX_SHIFT, 9) * pitch
    moved = centres[:, None] + shifts[None, :]
    core, gap, outside = _cell_terms(band, margin, moved, pitch)
    local = np.minimum(core, _CORE_INK) - gap - 0.5 * outside
    best = shifts[np.argmax(local, axis=1)]
    half = 3
    padded = np.pad(best, half, mode="edge")
    smooth = np.median(np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1), axis=1)[:n]
    return np.asarray(centres + smooth, dtype=np.float64)


def _fit_quality(
    layout: LineLayout, band: _Profile, margin: _Profile, centres: NDArray[np.float64], pitch: float, n: int
) -> float:
    """How well the grid fits: the share of its cells that hold a glyph, less glyph-like cells
    beyond the margin the crop may have (a line longer than n), less blank boundaries missing,
    and a pitch out of proportion to the cap height."""
    core, gap, outside = _cell_terms(band, margin, centres, pitch)
    inside = float(_glyph_like(core, gap, outside).mean())
    # Cells on the extended grid, 2-5 cells past either end: glyphs there mean the line has more
    # than n characters (clutter within the first cells of margin is tolerated).
    beyond = np.concatenate([centres[0] - pitch * np.arange(3, 7), centres[-1] + pitch * np.arange(3, 7)])
    beyond = beyond[(beyond > 0.5 * pitch) & (beyond < layout.width - 0.5 * pitch)]
    extra = 0.0
    if beyond.size:
        b_core, b_gap, b_out = _cell_terms(band, margin, beyond, pitch)
        extra = float(_glyph_like(b_core, b_gap, b_out).sum()) / 4.0
    separation = float(np.clip(1.0 - gap.mean() / max(core.mean(), 1e-6), 0.0, 1.0))
    ratio = pitch / max(layout.cap, 1e-6)
    proportion = 1.0 if 0.75 <= ratio <= 1.6 else 0.5
    return float(np.clip(inside * (1.0 - min(extra, 1.0)) * (0.5 + 0.5 * separation) * proportion, 0.0, 1.0))


# ---------------------------------------------------------------------------------------------
# Cutting and classifying cells


def cut_cells(layout: LineLayout, centres: NDArray[np.float64], pitch: float) -> NDArray[np.float32]:
    """Each cell with half a pitch of its neighbours either side, as the classifier takes it:
    (n, 1, CELL_H, CELL_W) float32, cap height CELL_CAP px and pitch CELL_PITCH px, the ink scaled
    to the line's contrast near that cell."""
    n = len(centres)
    sx = CELL_PITCH / max(pitch, 1e-6)
    sy = CELL_CAP / max(layout.cap, 1e-6)
    pad = CELL_W
    left = float(centres.min()) - pad / sx
    out_w = int(np.ceil((float(centres.max()) - left) * sx + pad + CELL_W))
    middle = (layout.top + layout.bottom) / 2.0
    matrix = np.array([[sx, 0.0, -sx * left], [0.0, sy, CELL_H / 2.0 - sy * middle]], np.float32)
    interpolation = cv2.INTER_AREA if sx < 0.7 and sy < 0.7 else cv2.INTER_LINEAR
    line = np.asarray(
        cv2.warpAffine(
            layout.dark,
            matrix,
            (out_w, CELL_H),
            flags=interpolation,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0.0,),
        ),
        dtype=np.float32,
    )
    starts = np.round((centres - left) * sx - CELL_W / 2.0).astype(int)
    starts = np.clip(starts, 0, out_w - CELL_W)
    index = starts[:, None] + np.arange(CELL_W)[None, :]
    cells = line[:, index].transpose(1, 0, 2)  # (n, CELL_H, CELL_W)
    # Each cell's ink over the strongest ink in its own core (a faint end of the line reads like
    # the rest), floored at a tenth of the line's contrast so that noise is not blown up.
    core = cells[:, 4:-4, CELL_W // 2 - 7 : CELL_W // 2 + 7].reshape(n, -1)
    strength = np.maximum(np.percentile(core, 97, axis=1), 0.1 * layout.contrast)
    cells = np.clip(cells / strength[:, None, None], 0.0, 1.5)
    return np.ascontiguousarray(cells[:, None, :, :], dtype=np.float32)


@functools.lru_cache(maxsize=2)
def _session(path: str) -> Any:
    import onnxruntime as ort

    if not Path(path).is_file():
        raise ModelUnavailable(f"MRZ recogniser model missing: {path}")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # a few dozen small cells: threads cost more than they gain
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def classify_cells(cells: NDArray[np.float32], model: Path | None = None) -> NDArray[np.float32]:
    """Softmax over :data:`ALPHABET` for each cell image ((N, 1, CELL_H, CELL_W) from
    :func:`cut_cells`), in one batched run: (N, 37) float32."""
    if cells.shape[0] == 0:
        return np.zeros((0, len(ALPHABET)), np.float32)
    session = _session(str(model or MODEL_PATH))
    logits = np.asarray(
        session.run(None, {session.get_inputs()[0].name: cells.astype(np.float32)})[0], np.float64
    )
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    return probs.astype(np.float32)


def read_line(gray: NDArray[np.uint8], n: int, *, model: Path | None = None) -> LineRead:
    """The n characters of one level MRZ line crop (dark print on a lighter ground), each with its
    probabilities, the cells laid on the crop, and how well n cells fit it.

    Raises ``ValueError`` for a crop that is not a 2-D uint8 image or for n < 1 (caller errors);
    a blank or tiny crop reads as something with a fit near 0.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if not isinstance(gray, np.ndarray) or gray.ndim != 2 or gray.dtype != np.uint8 or min(gray.shape) < 2:
        raise ValueError("gray must be a 2-D uint8 image at least 2x2 pixels")
    layout = analyse_line(gray)
    grid = fit_grid(layout, n)
    probs = classify_cells(cut_cells(layout, grid.centres, grid.pitch), model)
    text = "".join(ALPHABET[i] for i in probs.argmax(axis=1))
    half = grid.pitch / 2.0
    cells = np.stack([grid.centres - half, grid.centres + half], axis=1) / layout.scale
    return LineRead(
        text=text,
        probs=probs,
        cells=cells.astype(np.float32),
        fit=grid.fit,
        glyph_height=float(layout.cap / layout.scale),
    )


__all__ = [
    "ALPHABET",
    "CELL_H",
    "CELL_W",
    "MODEL_PATH",
    "Grid",
    "LineLayout",
    "LineRead",
    "analyse_line",
    "classify_cells",
    "cut_cells",
    "fit_grid",
    "read_line",
]
