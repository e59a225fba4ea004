"""Finding the document in a photo, cutting it out square-on, and turning it upright.

The outline is looked for two ways on a small copy of the image, and the better-supported
quadrilateral wins:

* edges: Canny on a smoothed image (texture and guilloche print blur away, the document's border
  does not), closed into contours, each reduced to its convex hull and then to four corners, so
  rounded card corners and a finger over one edge still give a quadrilateral;
* foreground: pixels unlike the image border (the background seen around the document), which
  holds where the background is plain but the document's own edge is faint (glare, low contrast).

A candidate must be large, roughly rectangular, and its sides must lie on image edges. The
document is then warped to the proportions of the nearest standard format (ID-1 card, TD2, TD3
passport page). When no outline is found (the photo is already cropped to the document, or the
background is too busy) the whole image is kept and the evidence says so.

Which way up the crop is comes later, from what is printed on it (see :func:`upright_turns`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import PrivateAttr

from openkyc.engine.document.classify import ID1_RATIO, TD3_RATIO
from openkyc.engine.document.ocr import OcrLine
from openkyc.engine.evidence import Decision, Evidence, Reason, Signal
from openkyc.engine.images.resize import fit_long_side

# Long side of the copy the outline is searched on (speed; outlines need no detail).
WORK_LONG_SIDE = 640
# Long side of the cropped document: enough for OCR and the portrait, bounded for speed.
MAX_CROP_LONG_SIDE = 2400
# A document must cover this much of the photo, and leave some of it (else the photo is the crop).
MIN_AREA_FRACTION = 0.12
MAX_AREA_FRACTION = 0.97
# An outline covering less than this of a photo that already has a document's proportions (and
# not shaped like a document itself) is something printed on it, not the document.
WHOLE_IMAGE_MAX_PART = 0.6
# Fraction of the outline that must lie on image edges.
MIN_EDGE_SUPPORT = 0.55
# Interior angles of an accepted quadrilateral (perspective bends them, not this much).
MIN_ANGLE, MAX_ANGLE = 55.0, 125.0

# TD2 (105 x 74 mm) and TD3 (125 x 88 mm) share proportions to 0.2 %; one name stands for both.
FORMATS: dict[str, float] = {"ID-1": ID1_RATIO, "TD3": TD3_RATIO}
# How far a measured ratio may be from a format's and still be warped to it. Beyond it the crop
# keeps the measured ratio (a steep tilt about one axis cannot be undone from the outline alone;
# the MRZ format, read later, settles it: see :func:`reshape_to_format`).
_RATIO_TOLERANCE = 0.06
# How far a quad's ratio may be from any format and still score as document-shaped.
_SHAPE_TOLERANCE = 0.25


class LocateEvidence(Evidence):
    """Where the document was found and how it was cut out.

    The cropped, upright image itself is kept out of JSON: read it from :attr:`image`.
    """

    found: bool
    # "edges", "foreground", or "none" (the whole image was kept).
    method: str
    # Corners in the original image, clockwise from the document's top-left as finally turned.
    corners: list[tuple[float, float]] | None = None
    area_fraction: float | None = None
    document_format: str | None = None
    aspect_ratio: float
    # Quarter turns (counter-clockwise, np.rot90) applied to make the crop upright.
    rotation: int = 0
    # What decided the rotation: "mrz", "text", "face", "shape" or "none".
    orientation_source: str = "none"
    width: int
    height: int
    _image: NDArray[Any] = PrivateAttr()

    @property
    def image(self) -> NDArray[Any]:
        """The cropped, upright document (BGR)."""
        return self._image

    def with_image(self, image: NDArray[Any]) -> LocateEvidence:
        self._image = image
        return self

    def turned(self, turns: int, source: str) -> LocateEvidence:
        """This evidence after ``turns`` more quarter turns of the crop."""
        turns %= 4
        image = np.ascontiguousarray(np.rot90(self._image, turns))
        corners = self.corners
        if corners is not None and turns:
            # The crop's top-left corner moves; re-label the corners so they follow the document.
            corners = corners[turns:] + corners[:turns]
        updated = self.model_copy(
            update={
                "rotation": (self.rotation + turns) % 4,
                "orientation_source": source,
                "corners": corners,
                "width": int(image.shape[1]),
                "height": int(image.shape[0]),
            }
        )
        return updated.with_image(image)


@dataclass(frozen=True)
class _Candidate:
    quad: NDArray[Any]  # (4, 2) float32 in work-image coordinates, clockwise from top-left
    method: str
    edge_support: float
    area_fraction: float
    ratio: float
    score: float


def order_corners(points: NDArray[Any]) -> NDArray[Any]:
    """Four points clockwise (in image coordinates) starting from the top-left-most."""
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # clockwise on screen (y points down)
    start = int(np.argmin(pts.sum(axis=1)))
    return np.roll(pts, -start, axis=0)


def _side_lengths(quad: NDArray[Any]) -> tuple[float, float]:
    """Mean lengths of the horizontal-ish (top/bottom) and vertical-ish (left/right) sides."""
    top = np.linalg.norm(quad[1] - quad[0])
    bottom = np.linalg.norm(quad[2] - quad[3])
    left = np.linalg.norm(quad[3] - quad[0])
    right = np.linalg.norm(quad[2] - quad[1])
    return float((top + bottom) / 2), float((left + right) / 2)


def true_aspect_ratio(quad: NDArray[Any], image_shape: tuple[int, int]) -> float:
    """Long/short ratio of the real rectangle behind a perspective quad (clockwise from top-left).

    Zhang & He, "Whiteboard scanning and image enhancement" (2007): with the principal point at the
    image centre, the focal length follows from the quad and with it the true ratio. A quad seen
    square-on (no vanishing points) or a degenerate estimate falls back to the ratio of its sides.
    """
    horizontal, vertical = _side_lengths(quad)
    simple = max(horizontal, vertical) / max(1.0, min(horizontal, vertical))
    u0, v0 = image_shape[1] / 2.0, image_shape[0] / 2.0
    m1, m2, m4, m3 = (np.array([p[0], p[1], 1.0]) for p in quad)  # tl, tr, br, bl
    denominator2 = float(np.dot(np.cross(m2, m4), m3))
    denominator3 = float(np.dot(np.cross(m3, m4), m2))
    if abs(denominator2) < 1e-9 or abs(denominator3) < 1e-9:
        return simple
    k2 = float(np.dot(np.cross(m1, m4), m3)) / denominator2
    k3 = float(np.dot(np.cross(m1, m4), m2)) / denominator3
    n2, n3 = k2 * m2 - m1, k3 * m3 - m1
    if abs(n2[2] * n3[2]) < 1e-6 * max(1.0, float(np.abs(n2).max() * np.abs(n3).max())):
        return simple  # no perspective to undo
    f2 = -(
        (n2[0] * n3[0] - (n2[0] * n3[2] + n2[2] * n3[0]) * u0 + n2[2] * n3[2] * u0 * u0)
        + (n2[1] * n3[1] - (n2[1] * n3[2] + n2[2] * n3[1]) * v0 + n2[2] * n3[2] * v0 * v0)
    ) / (n2[2] * n3[2])
    if not np.isfinite(f2) or f2 <= 0:
        return simple
    inverse = np.linalg.inv(np.array([[np.sqrt(f2), 0, u0], [0, np.sqrt(f2), v0], [0, 0, 1.0]]))
    width2 = float(n2 @ inverse.T @ inverse @ n2)
    height2 = float(n3 @ inverse.T @ inverse @ n3)
    if width2 <= 0 or height2 <= 0:
        return simple
    ratio = float(np.sqrt(width2 / height2))
    ratio = max(ratio, 1 / ratio)
    # An implausible focal length gives wild ratios: trust the estimate only near the measured one.
    return ratio if abs(ratio - simple) < 0.35 else simple


def _angles_ok(quad: NDArray[Any]) -> bool:
    for i in range(4):
        a, b, c = quad[i - 1], quad[i], quad[(i + 1) % 4]
        v1, v2 = a - b, c - b
        cos = float(np.dot(v1, v2) / (np.linalg.norm(v1) * np.linalg.norm(v2) + 1e-9))
        angle = float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
        if not MIN_ANGLE <= angle <= MAX_ANGLE:
            return False
    return True


def _quad_from_contour(contour: NDArray[Any]) -> NDArray[Any] | None:
    """Four corners for a contour: its convex hull simplified until four points remain."""
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    for fraction in (0.01, 0.02, 0.03, 0.045, 0.06, 0.08):
        approx = cv2.approxPolyDP(hull, fraction * perimeter, True)
        if len(approx) == 4:
            return order_corners(approx.reshape(4, 2))
        if len(approx) < 4:
            break
    # Rounded corners or a clipped edge: the minimum-area rectangle of the hull, if it fits well.
    rect = cv2.minAreaRect(hull)
    box = cv2.boxPoints(rect)
    rect_area = rect[1][0] * rect[1][1]
    if rect_area > 0 and cv2.contourArea(hull) / rect_area > 0.9:
        return order_corners(box)
    return None


def _edge_support(quad: NDArray[Any], edges: NDArray[Any]) -> float:
    """Fraction of points along the quad's sides that sit on (dilated) edges."""
    total = hits = 0
    height, width = edges.shape
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        steps = max(2, int(np.linalg.norm(b - a) / 2))
        for t in np.linspace(0.05, 0.95, steps):
            x, y = (a + (b - a) * t).astype(int)
            if 0 <= x < width and 0 <= y < height:
                total += 1
                hits += int(edges[y, x] > 0)
            else:
                total += 1
    return hits / total if total else 0.0


def _nearest_format(ratio: float) -> tuple[str, float] | None:
    name, target = min(FORMATS.items(), key=lambda item: abs(item[1] - ratio))
    return (name, target) if abs(target - ratio) <= _RATIO_TOLERANCE else None


def _edge_map(gray: NDArray[Any]) -> NDArray[Any]:
    smooth = cv2.bilateralFilter(gray, 9, 60, 9)
    median = float(np.median(smooth))
    edges = cv2.Canny(smooth, max(10.0, 0.5 * median), max(30.0, 1.2 * median))
    return np.asarray(cv2.dilate(edges, np.ones((3, 3), np.uint8)))


def _edge_contours(edges: NDArray[Any]) -> list[NDArray[Any]]:
    closed = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    return list(contours)


def _foreground_contours(work: NDArray[Any]) -> list[NDArray[Any]]:
    """Regions unlike the image border, where the background shows."""
    lab = cv2.cvtColor(cv2.GaussianBlur(work, (0, 0), 2.0), cv2.COLOR_BGR2LAB).astype(np.float32)
    height, width = lab.shape[:2]
    strip = max(2, min(height, width) // 40)
    border = np.concatenate(
        [
            lab[:strip].reshape(-1, 3),
            lab[-strip:].reshape(-1, 3),
            lab[:, :strip].reshape(-1, 3),
            lab[:, -strip:].reshape(-1, 3),
        ]
    )
    reference = np.median(border, axis=0)
    spread = float(np.median(np.linalg.norm(border - reference, axis=1)))
    distance = np.linalg.norm(lab - reference, axis=2)
    scaled = np.clip(distance * (255.0 / max(1.0, float(distance.max()))), 0, 255).astype(np.uint8)
    _, mask = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Too busy a background (its own spread rivals the threshold) gives no usable mask.
    if spread * (255.0 / max(1.0, float(distance.max()))) > 0.6 * float(
        np.mean(scaled[mask > 0]) if mask.any() else 0
    ):
        return []
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return list(contours)


def find_outline(bgr: NDArray[Any]) -> tuple[NDArray[Any], str, float, float] | None:
    """The document's four corners in ``bgr`` (clockwise from top-left), the method that found
    them, their edge support and the area fraction; None when no outline is convincing."""
    work, scale = fit_long_side(bgr, WORK_LONG_SIDE)
    gray = cv2.cvtColor(work, cv2.COLOR_BGR2GRAY)
    edges = _edge_map(gray)
    image_area = float(work.shape[0] * work.shape[1])

    candidates: list[_Candidate] = []
    for method, contours in (("edges", _edge_contours(edges)), ("foreground", _foreground_contours(work))):
        for contour in contours:
            if cv2.contourArea(cv2.convexHull(contour)) < MIN_AREA_FRACTION * image_area:
                continue
            quad = _quad_from_contour(contour)
            if quad is None or not _angles_ok(quad):
                continue
            area = float(cv2.contourArea(quad)) / image_area
            if not MIN_AREA_FRACTION <= area <= MAX_AREA_FRACTION:
                continue
            ratio = true_aspect_ratio(quad, (int(gray.shape[0]), int(gray.shape[1])))
            support = _edge_support(quad, edges)
            if support < MIN_EDGE_SUPPORT:
                continue
            nearest = min(abs(target - ratio) for target in FORMATS.values())
            ratio_bonus = max(0.0, 1.0 - nearest / _SHAPE_TOLERANCE)
            score = support + 0.5 * area + 0.3 * ratio_bonus
            candidates.append(_Candidate(quad, method, support, area, ratio, score))
    if not candidates:
        return None
    best = max(candidates, key=lambda c: c.score)
    return best.quad / scale, best.method, best.edge_support, best.area_fraction


def warp_document(bgr: NDArray[Any], corners: NDArray[Any]) -> tuple[NDArray[Any], str | None]:
    """Cut out the quadrilateral square-on, at the nearest standard format's proportions.

    The output keeps the corners' order: its top-left is ``corners[0]``. Its long side is the
    document's measured long side (never more than :data:`MAX_CROP_LONG_SIDE`).
    """
    quad = np.asarray(corners, dtype=np.float32)
    horizontal, vertical = _side_lengths(quad)
    long_side = min(MAX_CROP_LONG_SIDE, max(horizontal, vertical))
    ratio = true_aspect_ratio(quad, (int(bgr.shape[0]), int(bgr.shape[1])))
    fits = _nearest_format(ratio)
    target_ratio = fits[1] if fits else ratio
    short_side = long_side / target_ratio
    out_w, out_h = (long_side, short_side) if horizontal >= vertical else (short_side, long_side)
    out_w, out_h = max(1, round(out_w)), max(1, round(out_h))
    target = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    crop = cv2.warpPerspective(
        bgr,
        matrix,
        (out_w, out_h),
        flags=cv2.INTER_AREA if long_side < max(horizontal, vertical) else cv2.INTER_LINEAR,
    )
    return np.asarray(crop), fits[0] if fits else None


def keep_whole_image(bgr: NDArray[Any]) -> LocateEvidence:
    """The evidence for an image whose document outline was not found (or not trusted): the whole
    image is used as it is."""
    height, width = bgr.shape[:2]
    ratio = max(width, height) / max(1, min(width, height))
    fits = _nearest_format(ratio)
    return LocateEvidence(
        decision=Decision.REVIEW,
        reasons=[
            Reason(code="document.not_found", message="no document outline found; the whole image was used")
        ],
        found=False,
        method="none",
        aspect_ratio=round(ratio, 4),
        document_format=fits[0] if fits else None,
        width=width,
        height=height,
    ).with_image(bgr)


def locate_document(bgr: NDArray[Any]) -> LocateEvidence:
    """Find, cut out and lay the document landscape (upright up to a half turn; see
    :func:`upright_turns`). Keeps the whole image when no outline is found."""
    height, width = bgr.shape[:2]
    ratio = max(width, height) / min(width, height)
    fits = _nearest_format(ratio)
    outline = find_outline(bgr)
    if outline is not None and fits is not None and _inside_cropped_document(outline, (height, width)):
        outline = None
    if outline is None and fits is not None:
        # Smile ID's documentation asks partners to crop the image to the document: a photo with a document's
        # proportions and no outline inside it that is itself document-shaped is that crop.
        evidence = LocateEvidence(
            decision=Decision.PASS,
            found=True,
            method="whole_image",
            corners=[
                (0.0, 0.0),
                (float(width - 1), 0.0),
                (float(width - 1), float(height - 1)),
                (0.0, float(height - 1)),
            ],
            area_fraction=1.0,
            document_format=fits[0],
            aspect_ratio=round(ratio, 4),
            width=width,
            height=height,
        ).with_image(bgr)
        return evidence.turned(1, "shape") if height > width else evidence
    if outline is None:
        return keep_whole_image(bgr)
    corners, method, support, area = outline
    crop, document_format = warp_document(bgr, corners)
    evidence = LocateEvidence(
        decision=Decision.PASS,
        signals={
            "edge_support": Signal.measure(
                support, MIN_EDGE_SUPPORT, detail="share of the outline on image edges"
            ),
            "area_fraction": Signal.measure(
                area, MIN_AREA_FRACTION, detail="share of the photo the document covers"
            ),
        },
        found=True,
        method=method,
        corners=[(round(float(x), 2), round(float(y), 2)) for x, y in corners],
        area_fraction=round(area, 4),
        document_format=document_format,
        aspect_ratio=round(max(crop.shape[:2]) / min(crop.shape[:2]), 4),
        width=int(crop.shape[1]),
        height=int(crop.shape[0]),
    ).with_image(crop)
    if crop.shape[0] > crop.shape[1]:
        # Every supported format is landscape: a standing crop is a quarter turn out. Which quarter
        # is settled with the half-turn check later.
        evidence = evidence.turned(1, "shape")
    return evidence


def _inside_cropped_document(outline: tuple[NDArray[Any], str, float, float], shape: tuple[int, int]) -> bool:
    """True when the outline found is a part of a photo that is already the document.

    In a tightly cropped document the strongest rectangle is the portrait or a printed box: it
    covers well under the whole image and is not itself shaped like a document.
    """
    corners, _, _, area = outline
    ratio = true_aspect_ratio(np.asarray(corners, dtype=np.float32), (int(shape[0]), int(shape[1])))
    return area < WHOLE_IMAGE_MAX_PART and _nearest_format(ratio) is None


def reshape_to_format(image: NDArray[Any], document_format: str) -> tuple[NDArray[Any], float]:
    """Stretch a landscape crop's height to ``document_format``'s proportions (known from the MRZ
    once read); returns the image and the vertical scale applied (for moving OCR boxes along)."""
    height, width = image.shape[:2]
    target = round(width / FORMATS[document_format])
    if target <= 0 or abs(target - height) <= max(2, height * 0.01):
        return image, 1.0
    return np.asarray(cv2.resize(image, (width, target), interpolation=cv2.INTER_LINEAR)), target / height


# --- which way up ------------------------------------------------------------------------------


def rotate_lines(lines: Sequence[OcrLine], turns: int, shape: tuple[int, int]) -> list[OcrLine]:
    """OCR lines of an image of ``shape`` (height, width) moved onto the image turned by ``turns``
    quarter turns counter-clockwise (np.rot90), so one OCR pass serves every orientation."""
    turns %= 4
    height, width = shape
    out = []
    for line in lines:
        box = line.box.astype(np.float32)
        for _ in range(turns):
            # np.rot90 (CCW): pixel (x, y) of an h x w image lands at (y, w - 1 - x).
            box = np.stack([box[:, 1], (width - 1) - box[:, 0]], axis=1)
            height, width = width, height
        height, width = shape
        out.append(OcrLine(text=line.text, box=box.astype(np.float32), confidence=line.confidence))
    return out


def text_is_vertical(lines: Sequence[OcrLine]) -> bool | None:
    """Whether most text runs up/down the image (a quarter turn out); None with too little text."""
    votes = [line.width for line in lines if len(line.text.strip()) >= 3]
    if len(votes) < 2:
        return None
    vertical = horizontal = 0.0
    for line in lines:
        if len(line.text.strip()) < 3:
            continue
        span = line.box.max(axis=0) - line.box.min(axis=0)
        if span[1] > 1.5 * span[0]:
            vertical += line.width
        elif span[0] > 1.5 * span[1]:
            horizontal += line.width
    if vertical == horizontal:
        return None
    return vertical > horizontal
