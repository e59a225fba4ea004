"""Reading MRZ lines on their fixed character grid.

An MRZ is printed at a fixed pitch: a line of N characters is N equal cells. The OCR's own reading
of a line (CTC, greedily collapsed) loses that: runs of the filler '<' come out a few short, a
faint final check digit disappears, and nothing says where. Here the band around the MRZ rows the
OCR found is cut out level and enlarged, each line's ink extent is measured, and the recogniser's
per-step probabilities are decoded cell by cell: exactly N characters, each from the steps that
look at its own cell. A filler is told apart from a letter by its shape as well (a chevron keeps
clear of the cap line and the baseline; every letter and digit touches both).

Only recognition runs here (no second text detection), on two or three line crops.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from openkyc.engine.document.ocr import LineProbabilities, recognise_probabilities

BGR = npt.NDArray[Any]

MRZ_ALPHABET = "<0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Band scale: a detected row (the detector's box, a little taller than the capitals) this many px.
_ROW_PX = 44.0
# Characters per MRZ line, widest first.
_WIDTHS = (44, 36, 30)
# A glyph's ink spans about this fraction of its cell (OCR-B); the outer cells' centres sit half a
# glyph in from the line's ink extent.
_GLYPH_FRACTION = 0.75
# Residual tilts of the band tried when levelling it (degrees).
_SKEW_ANGLES = np.arange(-3.0, 3.01, 0.25)


@dataclass(frozen=True)
class GridLine:
    """One MRZ line cut out level: its crop, the ink extent and text rows in the crop, and the
    crop's corners in the source image (top-left, top-right, bottom-right, bottom-left)."""

    crop: BGR
    ink: tuple[float, float]
    rows: tuple[int, int]
    corners: npt.NDArray[np.float32]

    def turned(self) -> GridLine:
        """The same line turned half a turn (for a document lying upside down)."""
        width, height = self.crop.shape[1], self.crop.shape[0]
        return GridLine(
            crop=np.ascontiguousarray(self.crop[::-1, ::-1]),
            ink=(width - self.ink[1], width - self.ink[0]),
            rows=(height - self.rows[1], height - self.rows[0]),
            corners=np.roll(self.corners, 2, axis=0),
        )


def _runs(mask: npt.NDArray[np.bool_], max_gap: int) -> list[tuple[int, int]]:
    """(start, end) of True runs, bridging gaps of up to ``max_gap`` False entries."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    runs: list[tuple[int, int]] = []
    start = prev = int(idx[0])
    for value in idx[1:]:
        x = int(value)
        if x - prev > max_gap + 1:
            runs.append((start, prev + 1))
            start = x
        prev = x
    runs.append((start, prev + 1))
    return runs


def _ink(gray: npt.NDArray[np.uint8], sample: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Dark print as 1, at the Otsu threshold of ``sample`` (the seen MRZ rows: print on the plain
    ground of the zone), so a dark desk or a photo elsewhere in the band does not set the bar."""
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    sample_smooth = cv2.GaussianBlur(sample, (3, 3), 0) if sample.size >= 9 else smooth
    threshold, _ = cv2.threshold(sample_smooth, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    paper = sample_smooth[sample_smooth > threshold]
    if paper.size:
        # A quarter of the way toward the paper: faint chevrons at a line's far end (uneven light
        # on a photographed page) still count as ink.
        threshold += 0.25 * (float(np.median(paper)) - threshold)
    return np.asarray(smooth <= threshold, dtype=np.uint8)


def _residual_skew(mask: npt.NDArray[np.uint8], columns: tuple[int, int]) -> float:
    """Degrees to turn the band (counter-clockwise as displayed) so its text rows lie level: the
    turn that makes the row profile of the ink sharpest. Text rows concentrate ink in a few rows
    only when level; a tilt smears each row over its neighbours."""
    sample = mask[:, max(0, columns[0]) : max(columns[0] + 1, columns[1])].astype(np.float32)
    if sample.size == 0 or not sample.any():
        return 0.0
    # A quarter size is plenty to tell a tenth of a row height of drift across the line.
    small = cv2.resize(sample, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    height, width = small.shape
    centre = (width / 2.0, height / 2.0)
    best_angle, best_sharpness = 0.0, -1.0
    for angle in _SKEW_ANGLES:
        matrix = cv2.getRotationMatrix2D(centre, float(angle), 1.0)
        turned = cv2.warpAffine(small, matrix, (width, height), flags=cv2.INTER_LINEAR)
        profile = turned.sum(axis=1)
        sharpness = float(np.square(profile).sum())
        if sharpness > best_sharpness:
            best_angle, best_sharpness = float(angle), sharpness
    return best_angle


def cut_lines(
    bgr: BGR,
    boxes: list[npt.NDArray[np.float32]],
    texts: list[str],
    *,
    direction: npt.NDArray[np.float64],
    row_height: float,
    deskew: bool = True,
) -> list[GridLine]:
    """The MRZ lines near the given detected rows, top to bottom, each cut out level.

    ``boxes``: corners of the MRZ rows the OCR found (any may be truncated, and a line it missed
    altogether is searched for above and below). ``direction``: unit reading direction. The
    direction of a short detected row (a tilted photo where only the start of a line was found)
    may be off by a degree or two, enough for a 44-character line to drift out of its crop; with
    ``deskew`` the band's own ink sets the final direction.
    """
    ux = direction / (np.linalg.norm(direction) + 1e-9)
    uy = np.array([-ux[1], ux[0]])
    points = np.concatenate(boxes).astype(np.float64)
    along, across = points @ ux, points @ uy
    # Pitch from the fullest row: an upper bound (collapsed filler runs make rows read short).
    pitch = max(
        (float(np.ptp(box @ ux)) / max(len(text), 1) for box, text in zip(boxes, texts, strict=True)),
        default=row_height,
    )
    pitch = float(np.clip(pitch, 0.4 * row_height, 2.0 * row_height))
    left = float(along.min()) - 2.0 * row_height
    right = max(float(along.max()), float(along.min()) + _WIDTHS[0] * pitch * 1.1) + 2.0 * row_height
    # Up to two lines may be missing: look 2.2 row heights per missing line above and below.
    reach = row_height * (1.2 + 2.2 * max(0, 3 - len(boxes)))
    top, bottom = float(across.min()) - reach, float(across.max()) + reach
    scale = float(np.clip(_ROW_PX / max(row_height, 1.0), 0.4, 8.0))
    out_w, out_h = int((right - left) * scale), int((bottom - top) * scale)
    if out_w < 40 or out_h < 10 or out_w * out_h > 16_000_000:
        return []
    origin = ux * left + uy * top
    src = np.array([origin, origin + ux * (right - left), origin + uy * (bottom - top)], np.float32)
    dst = np.array([[0, 0], [out_w, 0], [0, out_h]], np.float32)
    matrix = cv2.getAffineTransform(src, dst)
    # Outside the image counts as paper (white), never as ink.
    band = np.asarray(
        cv2.warpAffine(
            bgr, matrix, (out_w, out_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT,
            borderValue=(255, 255, 255),
        )
    )  # fmt: skip
    inverse = cv2.invertAffineTransform(matrix)
    gray = np.asarray(cv2.cvtColor(band, cv2.COLOR_BGR2GRAY) if band.ndim == 3 else band, dtype=np.uint8)
    # Where the seen MRZ text lies, in band pixels: it sets the ink threshold and bounds where
    # lines are searched horizontally.
    seen_left = int((float(along.min()) - left) * scale)
    seen_right = int((float(along.max()) - left) * scale)
    seen_top = max(0, int((float(across.min()) - top) * scale))
    seen_bottom = int((float(across.max()) - top) * scale)
    mask = _ink(gray, gray[seen_top:seen_bottom, max(0, seen_left) : seen_right])
    if deskew:
        mrz_right = seen_left + int(_WIDTHS[0] * pitch * scale)
        skew = _residual_skew(mask, (seen_left, max(seen_right, mrz_right)))
        if skew != 0.0:
            # getRotationMatrix2D's turn levels text lying along (cos, sin) in the band (y down).
            radians = np.deg2rad(skew)
            along_band = np.array([np.cos(radians), np.sin(radians)])
            levelled = along_band[0] * ux + along_band[1] * uy
            return cut_lines(bgr, boxes, texts, direction=levelled, row_height=row_height, deskew=False)
    profile = mask[:, seen_left:seen_right].mean(axis=1) if seen_right > seen_left else mask.mean(axis=1)
    # The ink level of the seen rows themselves sets the bar for a line (a ruled line or a photo in
    # the band must not): the densest rows around each seen row's centre.
    centres = [int((float(np.mean(box @ uy)) - top) * scale) for box in boxes]
    reach_px = max(1, int(0.2 * _ROW_PX))
    level = max(
        (float(profile[max(0, c - reach_px) : c + reach_px].max(initial=0.0)) for c in centres), default=0.0
    )
    if level <= 0:
        return []
    line_rows = [(a, b) for a, b in _runs(profile > 0.3 * level, max_gap=2) if b - a >= 0.3 * _ROW_PX]
    lines: list[GridLine] = []
    for core_top, core_bottom in line_rows:
        # The dense core of a line misses the thin tops and feet of its glyphs: grow it while rows
        # still hold some ink, by at most half its height each way.
        core = core_bottom - core_top
        y0, y1 = core_top, core_bottom
        while y0 > 0 and core_top - y0 < core // 2 and profile[y0 - 1] > 0.05 * level:
            y0 -= 1
        while y1 < out_h and y1 - core_bottom < core // 2 and profile[y1] > 0.05 * level:
            y1 += 1
        height = y1 - y0
        if height > 1.6 * _ROW_PX:
            continue  # a picture or a block of print, not one text line
        cols = mask[y0:y1].sum(axis=0) >= max(1.0, 0.08 * height)
        # A frame drawn round the zone crosses the gaps between lines too; print never does.
        above, below = y0 - int(0.4 * height), y1 + int(0.4 * height)
        if above >= 0 and below < out_h:
            cols &= ~((mask[above] > 0) & (mask[below] > 0))
        groups = _runs(cols, max_gap=int(1.2 * height))
        if not groups:
            continue
        x0, x1 = _glyph_extent(mask, (y0, y1), max(groups, key=lambda g: g[1] - g[0]))
        if (x1 - x0) < 8 * height:
            continue  # too short for an MRZ line
        pad_x, pad_y = int(0.6 * height), int(0.35 * height)
        cx0, cx1 = max(0, x0 - pad_x), min(out_w, x1 + pad_x)
        cy0, cy1 = max(0, y0 - pad_y), min(out_h, y1 + pad_y)
        crop = band[cy0:cy1, cx0:cx1]
        corners_band = np.array([[cx0, cy0, 1], [cx1, cy0, 1], [cx1, cy1, 1], [cx0, cy1, 1]], np.float64)
        corners = (corners_band @ inverse.T).astype(np.float32)
        lines.append(
            GridLine(
                crop=crop,
                ink=(float(x0 - cx0), float(x1 - cx0)),
                rows=(y0 - cy0, y1 - cy0),
                corners=corners,
            )
        )
    return lines


# Fewest marks a row must keep for them, rather than the row's ink, to set the line's extent.
_MIN_GLYPHS = 12
# Widest blank gap inside one MRZ line, in median glyph pitches (nothing in a line leaves three
# blank cells).
_MAX_GLYPH_GAP = 3.0


def _glyph_extent(
    mask: npt.NDArray[np.uint8], rows: tuple[int, int], extent: tuple[int, int]
) -> tuple[int, int]:
    """The line's horizontal extent without the marks beside it, within the ink extent ``extent``.

    The ink extent takes in whatever dark lies beside the line: a frame drawn round the zone by a
    capture app, an icon over the photo, the dark desk past the page's edge. Any of those
    stretches the cell grid and shifts every cell. Marks are dropped from either end while they
    run past the line's rows (a frame, the desk: print stays within its line) or stand apart from
    the rest by a blank gap of several cells (nothing in an MRZ line does). Only the ends are
    trimmed: letters run together into one mark on a small print are still the line.
    """
    y0, y1 = rows
    height = y1 - y0
    x0, x1 = extent
    top, bottom = max(0, y0 - height // 3), min(mask.shape[0], y1 + height // 3)
    strip = np.ascontiguousarray(mask[top:bottom, x0:x1])
    # Long horizontal strokes (a frame's top edge just above the line) would join the glyphs to
    # the frame's sides: take them out first.
    rule = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, 3 * height), 1))
    strokes = cv2.morphologyEx(strip, cv2.MORPH_OPEN, rule, borderType=cv2.BORDER_CONSTANT, borderValue=(0,))
    strip = strip & (1 - strokes)
    count, _, stats, _ = cv2.connectedComponentsWithStats(strip, connectivity=8)
    # (left, right, lies within the line's rows), specks left out.
    marks: list[tuple[int, int, bool]] = []
    for label in range(1, count):
        left, upper, w, h, _ = (int(v) for v in stats[label])
        if h >= 0.25 * height:
            marks.append((left, left + w, upper > 0 and upper + h < strip.shape[0]))
    glyph_centres = sorted((a + b) / 2 for a, b, inside in marks if inside and b - a <= 1.2 * height)
    if len(glyph_centres) < _MIN_GLYPHS:
        return extent
    max_gap = _MAX_GLYPH_GAP * max(float(np.median(np.diff(glyph_centres))), 1.0)
    marks.sort()

    def apart(index: int, ordered: list[tuple[int, int, bool]]) -> bool:
        # Blank columns between this end mark and the rest of the line.
        if index == 0:
            return ordered[1][0] - ordered[0][1] > max_gap if len(ordered) > 1 else False
        return ordered[-1][0] - max(b for _, b, _ in ordered[:-1]) > max_gap

    while len(marks) > _MIN_GLYPHS and (not marks[0][2] or apart(0, marks)):
        marks.pop(0)
    while len(marks) > _MIN_GLYPHS and (not marks[-1][2] or apart(-1, marks)):
        marks.pop()
    if len(marks) <= _MIN_GLYPHS:
        return extent
    return x0 + marks[0][0], x0 + max(b for _, b, _ in marks)


@dataclass(frozen=True)
class CellRead:
    """A line decoded on its grid: the text (one character per cell), each cell's scores over
    :data:`MRZ_ALPHABET` (cells x 37) and the mean score of the characters chosen."""

    text: str
    scores: npt.NDArray[np.float32]
    confidence: float


def cell_edges(line: GridLine, width: int) -> npt.NDArray[np.float64]:
    """The ``width + 1`` cell boundaries of the line, in crop pixels, from its ink extent."""
    x0, x1 = line.ink
    pitch = (x1 - x0) / (width - 1 + _GLYPH_FRACTION)
    start = x0 - (1 - _GLYPH_FRACTION) / 2 * pitch
    return start + pitch * np.arange(width + 1, dtype=np.float64)


def _score_cells(
    out: npt.NDArray[np.float32],
    edges: npt.NDArray[np.float64],
    cells: range,
    read: LineProbabilities,
    offset: float,
) -> None:
    """Fill ``out[k]`` for the cells given: each character's best probability over the steps of
    ``read`` (a crop starting ``offset`` px into the line crop) that look at cell k."""
    steps = offset + (np.arange(read.probs.shape[0]) + 0.5) * read.step_px
    chars = read.probs[:, 1:]
    for k in cells:
        inside = (steps >= edges[k]) & (steps < edges[k + 1])
        if not inside.any():
            inside = np.zeros_like(inside)
            inside[int(np.argmin(np.abs(steps - (edges[k] + edges[k + 1]) / 2)))] = True
        out[k] = chars[inside].max(axis=0)


def _cell_read(scores: npt.NDArray[np.float32], alphabet: str) -> CellRead:
    text = "".join(alphabet[i] for i in scores.argmax(axis=1))
    return CellRead(text, scores, float(scores.max(axis=1).mean()))


def decode_cells(line: GridLine, read: LineProbabilities, width: int) -> CellRead:
    """The line as ``width`` characters, one per cell: each the best character over the recogniser
    steps that look at that cell."""
    scores = np.zeros((width, len(read.alphabet)), np.float32)
    _score_cells(scores, cell_edges(line, width), range(width), read, 0.0)
    return _cell_read(scores, read.alphabet)


def decode_chunked(lines: list[GridLine], width: int, cells_per_chunk: int = 11) -> list[CellRead]:
    """Each line as ``width`` characters, recognised in chunks cut at cell boundaries.

    The recogniser reads a whole 44-character line worse than a dozen characters at a time (long
    filler runs and wide spacing pull neighbouring glyphs astray), so each chunk is read on its own
    with a little of its neighbours for context, and decoded on its own cells. All chunks of all
    lines go to the recogniser together.
    """
    crops: list[BGR] = []
    plan: list[tuple[int, range, float]] = []
    edges_of = [cell_edges(line, width) for line in lines]
    chunks = max(1, round(width / cells_per_chunk))
    bounds = np.linspace(0, width, chunks + 1).round().astype(int)
    for index, (line, edges) in enumerate(zip(lines, edges_of, strict=True)):
        pad = 0.5 * (edges[1] - edges[0])
        for a, b in itertools.pairwise(bounds):
            left = max(0, int(edges[a] - pad))
            right = min(line.crop.shape[1], int(np.ceil(edges[b] + pad)))
            if right - left < 4:
                continue
            crops.append(line.crop[:, left:right])
            plan.append((index, range(int(a), int(b)), float(left)))
    reads = recognise_probabilities(crops, MRZ_ALPHABET)
    scores = [np.zeros((width, len(MRZ_ALPHABET)), np.float32) for _ in lines]
    for (index, cells, offset), read in zip(plan, reads, strict=True):
        _score_cells(scores[index], edges_of[index], cells, read, offset)
    return [_cell_read(s, MRZ_ALPHABET) for s in scores]


def read_grid(lines: list[GridLine]) -> list[LineProbabilities]:
    """The recogniser's probabilities for each line crop (one session run per line)."""
    return recognise_probabilities([line.crop for line in lines], MRZ_ALPHABET)


def line_confidence(read: LineProbabilities) -> float:
    """Mean probability of the characters plain CTC decoding would emit (0 if none): text read the
    wrong way up decodes to few, doubtful characters."""
    index = read.probs.argmax(axis=1)
    emitted = index > 0
    if not emitted.any():
        return 0.0
    return float(read.probs[emitted, index[emitted]].mean())


def greedy(read: LineProbabilities) -> str:
    """Plain CTC decoding restricted to the MRZ alphabet (no look-alikes, no lower case)."""
    index = read.probs.argmax(axis=1)
    keep = np.ones(len(index), dtype=bool)
    keep[1:] = index[1:] != index[:-1]
    return "".join(read.alphabet[i - 1] for i in index[keep & (index > 0)])


__all__ = [
    "MRZ_ALPHABET",
    "CellRead",
    "GridLine",
    "cell_edges",
    "cut_lines",
    "decode_cells",
    "decode_chunked",
    "greedy",
    "line_confidence",
    "read_grid",
]
