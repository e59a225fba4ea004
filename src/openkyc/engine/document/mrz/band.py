"""Finding the MRZ band in an image: where its lines lie, at any size and any angle.

An MRZ is two or three long, parallel, equally spaced lines of equal length, set in one
monospaced size (ICAO 9303-3: OCR-B at 10 characters per inch, 6 lines per inch). That shape is
found without reading anything, so it works on a 250 px scan of a card and on a 4000 px phone
photo, turned any way, on a busy background:

1. The image is brought to a working size, and for each of a few assumed character pitches dark
   print on a lighter ground is picked out (a black-hat filter a little larger than a glyph) and
   glyphs are joined into line blobs (a closing smaller than the gap between lines but larger
   than the gap between glyphs, the same in every direction, so any angle works).
2. Blobs as long and thin as an MRZ line at that pitch are kept; pieces of one line cut apart (a
   hologram edge, a fold) are joined when they lie on one axis.
3. Lines that are parallel, of the same length, overlap along their axis and are 1.2-3 line
   heights apart form blocks of two or three.
4. Each line of a block is cut out level from the full-resolution image, with a margin, at a
   normalised height; the block is also offered turned half a turn (an upside-down document).

The reader then decides which block, which way up and which format (3 x 30, 2 x 36, 2 x 44) by
reading: :mod:`.read`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Gray = npt.NDArray[np.uint8]
Points = npt.NDArray[np.float32]

# The working image's long side: enough for 6 px glyphs on a 250 px card once enlarged, and
# cheap on a 4000 px photo.
_WORK_LONG_SIDE = 1100
# Character pitches (working px) tried. An MRZ line spans 30-44 pitches and from about a sixth of
# the image (a document far away in a photo) to all of it.
_PITCHES = (4.5, 6.5, 9.5, 14.0, 20.0, 29.0, 42.0)
# Capital height over pitch in OCR-B MRZs (0.8-0.95) and the blob's thickness after closing.
_MIN_THICK, _MAX_THICK = 0.45, 1.9
# Pitches a line piece may span at most (44 characters and some slack).
_MAX_PITCHES = 52.0
# Length over thickness of a line blob (30-44 glyphs about a pitch apart, one capital high).
_MIN_ELONGATION, _MAX_ELONGATION = 18.0, 65.0
# Normalised capital height of the cut lines (px), and the margins around a line, in line heights.
LINE_HEIGHT_PX = 32
_MARGIN_Y = 0.5
_MARGIN_X = 0.5
# A block this regular found level or upright ends the search before the tilted angles.
_SETTLED_REGULARITY = 0.9
# Blocks kept, best first (each is read, so this bounds the reader's work).
_MAX_BLOCKS = 12
# Regularity of a block completed with a line where the format puts it rather than where one was seen.
_GUESSED_LINE_DISCOUNT = 0.5


@dataclass(frozen=True)
class _Blob:
    """One line-shaped blob, in working-image coordinates."""

    centre: npt.NDArray[np.float64]
    axis: npt.NDArray[np.float64]  # unit vector along the line (reading direction, if upright)
    length: float
    thickness: float
    pitch: float  # the pitch the blob was found at

    @property
    def normal(self) -> npt.NDArray[np.float64]:
        return np.array([-self.axis[1], self.axis[0]])


@dataclass(frozen=True)
class BandLine:
    """One line cut out level: the grey crop (text left to right, normalised height) and the crop's
    corners in the source image (top-left, top-right, bottom-right, bottom-left)."""

    crop: Gray
    corners: Points


@dataclass(frozen=True)
class Band:
    """Two or three MRZ-like lines, top to bottom as they would read this way up."""

    lines: list[BandLine]
    # How regular the block is (0-1): equal lengths, equal spacing, parallel.
    regularity: float
    # Degrees of the reading direction in the source image (counter-clockwise, image y down).
    angle: float
    upside_down: bool = False
    corners: Points = field(default_factory=lambda: np.zeros((4, 2), np.float32))

    def turned(self) -> Band:
        """The same block read the other way up (each crop turned half a turn, order reversed)."""
        lines = [
            BandLine(np.ascontiguousarray(line.crop[::-1, ::-1]), np.roll(line.corners, 2, axis=0))
            for line in reversed(self.lines)
        ]
        return Band(
            lines=lines,
            regularity=self.regularity,
            angle=(self.angle + 180.0) % 360.0,
            upside_down=not self.upside_down,
            corners=np.roll(self.corners, 2, axis=0),
        )


def _gray(image: npt.NDArray[Any]) -> Gray:
    if image.ndim == 3:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    return np.asarray(image, dtype=np.uint8)


def _text_angles(work: Gray) -> list[float]:
    """Angles (degrees, counter-clockwise as displayed) that may turn the text level: level and
    upright themselves, and the two strongest stroke directions of the image modulo a quarter turn
    with their quarter turns. Print's strokes run along and across its lines; a guilloche's curves
    run every way and spread out in the histogram, and a desk's grain makes at most one peak."""
    gx = cv2.Sobel(work, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(work, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.hypot(gx, gy)
    strong = magnitude > np.percentile(magnitude, 90)
    angles = [0.0, 90.0]
    if not strong.any():
        return angles
    theta = np.degrees(np.arctan2(gy[strong], gx[strong])) % 90.0
    histogram, _ = np.histogram(theta, bins=90, range=(0.0, 90.0), weights=magnitude[strong])
    smooth = np.convolve(np.concatenate([histogram[-2:], histogram, histogram[:2]]), np.ones(5) / 5, "valid")
    for _ in range(2):
        index = int(np.argmax(smooth))
        peak = index + 0.5
        # In image coordinates (y down) a stroke at +d degrees is a line turned clockwise by d as
        # displayed: turn it back counter-clockwise.
        tilt = peak if peak < 45 else peak - 90.0
        if abs(tilt) > 1.5 and all(abs(tilt - a) > 3 for a in angles):
            angles += [tilt, tilt + 90.0]
        # The next peak must stand apart from this one (the histogram wraps at 90 degrees).
        for offset in range(-6, 7):
            smooth[(index + offset) % 90] = 0.0
    return angles


def _rotation(shape: tuple[int, int], angle: float) -> tuple[npt.NDArray[np.float64], tuple[int, int]]:
    """The affine map turning an image of ``shape`` by ``angle`` degrees (counter-clockwise as
    displayed) onto a canvas that holds all of it, and that canvas's size (width, height)."""
    height, width = shape
    matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    out_w, out_h = int(np.ceil(width * cos + height * sin)), int(np.ceil(width * sin + height * cos))
    matrix[0, 2] += out_w / 2.0 - width / 2.0
    matrix[1, 2] += out_h / 2.0 - height / 2.0
    return np.asarray(matrix, np.float64), (out_w, out_h)


# Every pitch is searched at this many px per pitch (larger pitches on a smaller copy): cheap, and
# the same kernels everywhere.
_SEARCH_PITCH = 7.0


def _level_blobs(small: Gray, p: float) -> list[tuple[npt.NDArray[np.float64], float, float, float]]:
    """Line-shaped blobs of dark print in an image whose text runs nearly level, at a pitch of
    ``p`` px: (centre, angle in degrees, length, thickness) in ``small``'s pixels."""
    size = max(3, round(1.4 * p)) | 1
    hat = cv2.morphologyEx(small, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    # Print stands out from its ground by far more than paper texture or JPEG noise does.
    otsu, _ = cv2.threshold(hat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = (hat > max(otsu, 16.0)).astype(np.uint8)
    # Join the glyphs of a line (gaps under a pitch) along the row only, never two lines; then keep
    # only runs of a couple of pitches, which cuts what links lines across (a frame's side, a
    # signature, a neighbouring glyph run together by blur) while a line tilted up to ~25° stays.
    join = cv2.getStructuringElement(cv2.MORPH_RECT, (max(2, round(1.1 * p)), 1))
    runs = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, round(2.0 * p)), 1))
    mask = np.asarray(
        cv2.morphologyEx(cv2.morphologyEx(mask, cv2.MORPH_CLOSE, join), cv2.MORPH_OPEN, runs), np.uint8
    )
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    blobs = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        # Pieces of at least a few pitches (a line cut by a hologram edge is joined below).
        if w < 4 * p or w > _MAX_PITCHES * p * 1.2 or h > 0.5 * w or area < 2 * p * p:
            continue
        ys, xs = np.nonzero(labels[y : y + h, x : x + w] == label)
        points = np.stack([xs + x, ys + y], axis=1).astype(np.float32)
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(points)
        length, thickness = (rw, rh) if rw >= rh else (rh, rw)
        if rw < rh:
            angle += 90.0
        angle = (angle + 90.0) % 180.0 - 90.0
        if (
            not _MIN_THICK * p <= thickness <= _MAX_THICK * p
            or area < 0.35 * length * thickness
            or abs(angle) > 25
        ):
            continue
        blobs.append((np.array([cx, cy]), float(angle), float(length), float(thickness)))
    return blobs


def _join_level(
    pieces: list[tuple[npt.NDArray[np.float64], float, float, float]], p: float
) -> list[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float, float]]:
    """Join pieces of one line (a line cut by a hologram edge or a fold): nearly parallel, on one
    axis, a few pitches apart at most. In: (centre, angle, length, thickness) of level pieces;
    out: (centre, unit axis, length, thickness)."""
    if not pieces:
        return []
    centres = np.array([c for c, _, _, _ in pieces])
    angles = np.deg2rad([a for _, a, _, _ in pieces])
    lengths = np.array([length for _, _, length, _ in pieces])
    thick = np.array([t for _, _, _, t in pieces])
    axes = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    normals = np.stack([-axes[:, 1], axes[:, 0]], axis=1)
    offset = centres[None, :, :] - centres[:, None, :]  # [i, j] = c_j - c_i
    across = np.abs(np.einsum("ijk,ik->ij", offset, normals))
    along = np.abs(np.einsum("ijk,ik->ij", offset, axes))
    gap = along - (lengths[:, None] + lengths[None, :]) / 2
    ratio = thick[:, None] / thick[None, :]
    linked = (
        (np.abs(np.einsum("ik,jk->ij", axes, normals)) < 0.06)
        & (across < 0.5 * np.maximum(thick[:, None], thick[None, :]))
        & (gap < 3.0 * p)
        & (ratio > 0.5)
        & (ratio < 2.0)
    )
    group = list(range(len(pieces)))

    def root(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(linked, 1)), strict=True):
        group[root(int(i))] = root(int(j))
    members: dict[int, list[int]] = {}
    for i in range(len(pieces)):
        members.setdefault(root(i), []).append(i)
    joined = []
    for indices in members.values():
        main = max(indices, key=lambda i: lengths[i])
        axis = axes[main]
        if axis[0] < 0:
            axis = -axis
        positions = [(float(np.dot(centres[i] - centres[main], axis)), lengths[i]) for i in indices]
        start = min(pos - length / 2 for pos, length in positions)
        end = max(pos + length / 2 for pos, length in positions)
        thickness = float(np.average(thick[indices], weights=lengths[indices]))
        joined.append((centres[main] + axis * (start + end) / 2, axis, end - start, thickness))
    return joined


def _blobs(small: Gray, factor: float, angle: float, pitch: float) -> list[_Blob]:
    """Line-shaped blobs at one assumed pitch in ``small`` (the working image scaled by
    ``factor``), with the text turned nearly level by ``angle``; in working-image coordinates."""
    if angle == 0.0:
        level, inverse = small, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    else:
        matrix, size = _rotation((small.shape[0], small.shape[1]), angle)
        level = np.asarray(
            cv2.warpAffine(small, matrix, size, flags=cv2.INTER_LINEAR, borderValue=(255,)), np.uint8
        )
        inverse = cv2.invertAffineTransform(matrix)
    p = pitch * factor
    blobs = []
    for centre, axis, length, thickness in _join_level(_level_blobs(level, p), p):
        direction = inverse[:, :2] @ axis
        direction /= np.linalg.norm(direction)
        point = inverse @ np.array([centre[0], centre[1], 1.0]) / factor
        blobs.append(_Blob(point, direction.astype(np.float64), length / factor, thickness / factor, pitch))
    return blobs


def _line_like(blob: _Blob) -> bool:
    """As long and thin as an MRZ line: 30-44 characters of about a pitch each, one capital high."""
    elongation = blob.length / blob.thickness
    thick = blob.thickness / blob.pitch
    return _MIN_ELONGATION <= elongation <= _MAX_ELONGATION and _MIN_THICK <= thick <= _MAX_THICK


def _pair_ok(a: _Blob, b: _Blob) -> float | None:
    """How well ``b`` continues the block one line below ``a`` (0-1), or None."""
    if abs(float(np.dot(a.axis, b.normal))) > 0.05:
        return None
    ratio = b.length / a.length
    if not 0.8 <= ratio <= 1.25:
        return None
    thick = max(a.thickness, b.thickness)
    offset = b.centre - a.centre
    across = float(np.dot(offset, a.normal))
    along = float(np.dot(offset, a.axis))
    if not 1.15 * thick <= abs(across) <= 3.2 * thick:
        return None
    if abs(along) > 0.12 * max(a.length, b.length):
        return None
    return float(1.0 - abs(1.0 - ratio) - abs(along) / max(a.length, b.length))


def _blocks(lines: list[_Blob]) -> list[tuple[list[_Blob], float]]:
    """Chains of 2-3 lines, ordered along their common normal, with a regularity score."""
    blocks: list[tuple[list[_Blob], float]] = []
    lines = sorted(lines, key=lambda b: float(np.dot(b.centre, lines[0].normal)) if lines else 0.0)
    for i, a in enumerate(lines):
        for j in range(len(lines)):
            if j == i:
                continue
            b = lines[j]
            score = _pair_ok(a, b)
            if score is None or float(np.dot(b.centre - a.centre, a.normal)) <= 0:
                continue
            blocks.append(([a, b], score))
            for k in range(len(lines)):
                if k in (i, j):
                    continue
                c = lines[k]
                third = _pair_ok(b, c)
                if third is None or float(np.dot(c.centre - b.centre, a.normal)) <= 0:
                    continue
                first_gap = float(np.dot(b.centre - a.centre, a.normal))
                second_gap = float(np.dot(c.centre - b.centre, a.normal))
                if not 0.8 <= second_gap / first_gap <= 1.25:
                    continue
                blocks.append(([a, b, c], (score + third) / 2 + 0.05))
    return blocks


def _with_a_third_line(found: list[tuple[list[_Blob], float]]) -> list[tuple[list[_Blob], float]]:
    """Three-line blocks made from two-line ones by a line one step above or below: a card's TD1
    line that a hologram, a guilloche or a shadow kept from standing out as a blob of its own is
    still where the format puts it. Offered after every block found whole (the reader decides)."""
    extra = []
    for blobs, regularity in found:
        if len(blobs) != 2:
            continue
        first, second = blobs
        step = second.centre - first.centre
        above = _Blob(first.centre - step, first.axis, first.length, first.thickness, first.pitch)
        below = _Blob(second.centre + step, second.axis, second.length, second.thickness, second.pitch)
        extra.append(([above, first, second], regularity * _GUESSED_LINE_DISCOUNT))
        extra.append(([first, second, below], regularity * _GUESSED_LINE_DISCOUNT))
    return extra


def _cut(gray: Gray, blob: _Blob, scale: float, thickness: float) -> BandLine:
    """Cut one line out of the full-size image, level, at :data:`LINE_HEIGHT_PX` text height."""
    centre = blob.centre / scale
    length = blob.length / scale
    height = thickness / scale
    axis, normal = blob.axis, blob.normal
    half_w = length / 2 + _MARGIN_X * height
    half_h = height / 2 + _MARGIN_Y * height
    corners = np.array(
        [
            centre - axis * half_w - normal * half_h,
            centre + axis * half_w - normal * half_h,
            centre + axis * half_w + normal * half_h,
            centre - axis * half_w + normal * half_h,
        ],
        np.float32,
    )
    factor = LINE_HEIGHT_PX / max(height, 1.0)
    out_w = max(8, round(2 * half_w * factor))
    out_h = max(8, round(2 * half_h * factor))
    target = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners, target)
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    crop = cv2.warpPerspective(
        gray, matrix, (out_w, out_h), flags=interpolation, borderMode=cv2.BORDER_REPLICATE
    )
    return BandLine(np.asarray(crop, dtype=np.uint8), corners)


def find_bands(image: npt.NDArray[Any]) -> list[Band]:
    """MRZ-like blocks of lines in ``image`` (BGR or grey), most regular first, each cut out level.

    Each block is returned the way up its geometry suggests (lines top to bottom in the image's
    frame, read left to right); the reader also tries :meth:`Band.turned`.
    """
    gray = _gray(image)
    height, width = gray.shape[:2]
    if min(height, width) < 16:
        return []
    scale = _WORK_LONG_SIDE / max(height, width)
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    work = np.asarray(
        cv2.resize(
            gray, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=interpolation
        ),
        np.uint8,
    )
    found: list[tuple[list[_Blob], float]] = []
    smalls = []
    for pitch in _PITCHES:
        # Every pitch is searched at :data:`_SEARCH_PITCH` px per pitch, on a smaller copy.
        factor = min(1.0, _SEARCH_PITCH / pitch)
        small = (
            work
            if factor == 1.0
            else cv2.resize(work, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        )
        smalls.append((pitch, factor, np.asarray(small, np.uint8)))
    # Level and upright first (a cropped, perspective-corrected document; most scans): the tilts
    # the strokes suggest are searched only when those give no regular block.
    angles = _text_angles(work)
    for group in (angles[:2], angles[2:]):
        for pitch, factor, small in smalls:
            for angle in group:
                lines = [blob for blob in _blobs(small, factor, angle, pitch) if _line_like(blob)]
                found.extend(_blocks(lines))
        if any(regularity >= _SETTLED_REGULARITY for _, regularity in found):
            break
    found.sort(key=lambda item: -item[1])
    found += _with_a_third_line(found)
    bands: list[Band] = []
    seen: list[tuple[int, npt.NDArray[np.float64]]] = []
    for blobs, regularity in found:
        # The same block found at several pitches or angles: same line count, centre and length.
        key = np.concatenate([np.mean([b.centre for b in blobs], axis=0), [blobs[0].length]])
        tolerance = max(4.0, 0.03 * blobs[0].length)
        if any(count == len(blobs) and np.allclose(key, other, atol=tolerance) for count, other in seen):
            continue
        seen.append((len(blobs), key))
        thickness = float(np.median([b.thickness for b in blobs]))
        cut = [_cut(gray, blob, scale, thickness) for blob in blobs]
        axis = blobs[0].axis
        angle = float(np.degrees(np.arctan2(-axis[1], axis[0])))
        block_corners = np.array(
            [cut[0].corners[0], cut[0].corners[1], cut[-1].corners[2], cut[-1].corners[3]], np.float32
        )
        bands.append(Band(lines=cut, regularity=regularity, angle=angle, corners=block_corners))
        if len(bands) >= _MAX_BLOCKS:
            break
    return bands
