"""Image-quality evidence: resolution, sharpness, exposure, glare and colour.

Measurements are taken on a copy scaled to a fixed long side so that a score means the same for a
phone photo and a scanner image; thresholds live in :class:`QualityThresholds` so products can
hold selfies and documents to different standards.

When the caller knows where the face is (a selfie), sharpness is measured on the face instead,
brought to the size of the face matcher's aligned chip: whether a face is too blurry to use is a
question about the face at the scale it is matched at. Over the whole image at 1000 px, a plain
background dilutes the measure and a large face is judged at a finer scale than any check needs,
so an upscaled portrait or a large selfie with slight motion blur failed although its face was
perfectly usable (see ``benchmarks/sharpness_bench.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from openkyc.engine.evidence import Decision, Evidence, Reason, Signal
from openkyc.engine.images.resize import fit_long_side

# Sharpness is measured at this long side (never upscaled: upscaling itself blurs).
MEASURE_LONG_SIDE = 1000
# Face sharpness: the square around the face box is brought to this side (the face matcher's
# aligned chip is 150 px), never upscaled.
FACE_MEASURE_SIDE = 150


@dataclass(frozen=True)
class QualityThresholds:
    min_long_side: int = 320
    min_short_side: int = 240
    # Variance of the Laplacian below which an image is too blurry to trust (at MEASURE_LONG_SIDE).
    min_sharpness: float = 40.0
    # Below this the image is unusable whatever else holds.
    hard_min_sharpness: float = 8.0
    # The same two bounds for sharpness measured on the face (variance of the Laplacian of the face
    # at FACE_MEASURE_SIDE). The hard bound lies 25% below the least sharp genuine face of the shared
    # photos and live PAD captures (15.6, a 185x247 webcam frame) and catches 91% of faces blurred by
    # a 2.5 px Gaussian at chip scale (sharpness_bench; held-out sources agree).
    min_face_sharpness: float = 30.0
    hard_min_face_sharpness: float = 12.0
    min_brightness: float = 30.0
    max_brightness: float = 225.0
    max_clipped_fraction: float = 0.4
    max_glare_fraction: float = 0.02
    # Hasler–Süsstrunk colourfulness below which an image counts as grayscale.
    min_colourfulness: float = 6.0


class QualityEvidence(Evidence):
    width: int
    height: int
    megapixels: float
    sharpness: float
    brightness: float
    underexposed_fraction: float
    overexposed_fraction: float
    glare_fraction: float
    colourfulness: float
    grayscale: bool
    # Where sharpness was measured: "image" (at MEASURE_LONG_SIDE) or "face" (at FACE_MEASURE_SIDE).
    sharpness_region: str = "image"


def assess_quality(
    bgr: NDArray[Any],
    *,
    thresholds: QualityThresholds | None = None,
    stored_grayscale: bool = False,
    face_box: tuple[int, int, int, int] | None = None,
) -> QualityEvidence:
    """Measure an image's quality and decide pass / review / fail against ``thresholds``.

    With ``face_box`` (left, top, right, bottom in ``bgr``'s pixels) sharpness is that of the face
    (:func:`face_sharpness`), held against the face bounds of ``thresholds``.
    """
    t = thresholds or QualityThresholds()
    height, width = bgr.shape[:2]
    small = downscale(bgr, MEASURE_LONG_SIDE)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)

    on_face = face_box is not None
    sharpness = face_sharpness(bgr, face_box) if face_box is not None else laplacian_variance(gray)
    min_sharpness = t.min_face_sharpness if on_face else t.min_sharpness
    hard_min_sharpness = t.hard_min_face_sharpness if on_face else t.hard_min_sharpness
    brightness = float(gray.mean())
    under = float(np.count_nonzero(gray < 16)) / gray.size
    over = float(np.count_nonzero(gray > 240)) / gray.size
    glare = glare_fraction(small)
    colour = colourfulness(small)
    grayscale = stored_grayscale or colour < t.min_colourfulness

    signals = {
        "resolution": Signal.measure(
            min(max(width, height) / t.min_long_side, min(width, height) / t.min_short_side),
            1.0,
            detail=f"{width}x{height}; needs long side >= {t.min_long_side} and short side >= {t.min_short_side}",
        ),
        "sharpness": Signal.measure(
            sharpness,
            min_sharpness,
            detail=f"variance of Laplacian of the face at {FACE_MEASURE_SIDE} px"
            if on_face
            else "variance of Laplacian",
        ),
        "brightness_low": Signal.measure(brightness, t.min_brightness, detail="mean luminance 0-255"),
        "brightness_high": Signal.measure(
            brightness, t.max_brightness, higher_is_better=False, detail="mean luminance 0-255"
        ),
        "clipping": Signal.measure(
            max(under, over),
            t.max_clipped_fraction,
            higher_is_better=False,
            detail="fraction of clipped pixels",
        ),
        "glare": Signal.measure(
            glare, t.max_glare_fraction, higher_is_better=False, detail="specular highlight area"
        ),
        "colour": Signal.measure(
            0.0 if stored_grayscale else colour, t.min_colourfulness, detail="Hasler-Süsstrunk colourfulness"
        ),
    }
    reasons: list[Reason] = []
    decision = Decision.PASS
    if not signals["resolution"].passed:
        reasons.append(
            Reason(code="quality.low_resolution", message=f"image is only {width}x{height} pixels")
        )
        decision = Decision.FAIL
    if sharpness < hard_min_sharpness:
        reasons.append(Reason(code="quality.too_blurry", message="image is too blurry to use"))
        decision = Decision.FAIL
    elif not signals["sharpness"].passed:
        reasons.append(Reason(code="quality.blurry", message="image is blurry"))
    if not (
        signals["brightness_low"].passed and signals["brightness_high"].passed and signals["clipping"].passed
    ):
        reasons.append(Reason(code="quality.exposure", message="image is under- or over-exposed"))
    if not signals["glare"].passed:
        reasons.append(Reason(code="quality.glare", message="glare covers part of the image"))
    if grayscale:
        reasons.append(
            Reason(code="quality.grayscale", message="image has no colour (grayscale, scan or photocopy)")
        )
    if decision is Decision.PASS and reasons:
        decision = Decision.REVIEW
    return QualityEvidence(
        decision=decision,
        reasons=reasons,
        signals=signals,
        width=width,
        height=height,
        megapixels=round(width * height / 1e6, 3),
        sharpness=round(sharpness, 3),
        brightness=round(brightness, 3),
        underexposed_fraction=round(under, 5),
        overexposed_fraction=round(over, 5),
        glare_fraction=round(glare, 5),
        colourfulness=round(colour, 3),
        grayscale=grayscale,
        sharpness_region="face" if on_face else "image",
    )


def downscale(bgr: NDArray[Any], long_side: int) -> NDArray[Any]:
    """Scale down (never up) so the longer side is at most ``long_side``."""
    return fit_long_side(bgr, long_side)[0]


def face_sharpness(bgr: NDArray[Any], box: tuple[int, int, int, int]) -> float:
    """Variance of the Laplacian of the square around the face ``box``, its side brought down to
    :data:`FACE_MEASURE_SIDE` (a face smaller than that is measured as it is)."""
    left, top, right, bottom = box
    side = max(right - left, bottom - top, 1)
    cx, cy = (left + right) / 2, (top + bottom) / 2
    height, width = bgr.shape[:2]
    x0, y0 = max(0, int(cx - side / 2)), max(0, int(cy - side / 2))
    x1, y1 = min(width, int(cx + side / 2)), min(height, int(cy + side / 2))
    if x1 - x0 < 3 or y1 - y0 < 3:
        return 0.0
    gray = cv2.cvtColor(np.ascontiguousarray(bgr[y0:y1, x0:x1]), cv2.COLOR_BGR2GRAY)
    return laplacian_variance(downscale(gray, FACE_MEASURE_SIDE))


def laplacian_variance(gray: NDArray[Any]) -> float:
    """Focus measure: variance of the Laplacian (low on blurred images)."""
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def colourfulness(bgr: NDArray[Any]) -> float:
    """Hasler & Süsstrunk (2003) colourfulness; near 0 for grayscale images."""
    b, g, r = (bgr[:, :, i].astype(np.float64) for i in range(3))
    rg = r - g
    yb = 0.5 * (r + g) - b
    std = np.hypot(rg.std(), yb.std())
    mean = np.hypot(rg.mean(), yb.mean())
    return float(std + 0.3 * mean)


def glare_fraction(bgr: NDArray[Any]) -> float:
    """Fraction of the image covered by specular highlights.

    A highlight is a saturated, colourless blob that sits on a darker surface. Large white areas
    (paper, a white wall) and blobs whose surroundings are as bright are not glare.
    """
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    value = hsv[:, :, 2]
    mask = ((value >= 250) & (hsv[:, :, 1] <= 30)).astype(np.uint8)
    if not mask.any():
        return 0.0
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    min_blob = max(4, int(mask.size * 0.0005))
    max_blob = int(mask.size * 0.15)
    kernel = np.ones((9, 9), np.uint8)
    area = 0
    for i in range(1, count):
        blob_area = int(stats[i, cv2.CC_STAT_AREA])
        if not min_blob <= blob_area <= max_blob:
            continue
        x, y, w, h = (
            int(stats[i, k])
            for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT)
        )
        x0, y0 = max(0, x - 6), max(0, y - 6)
        x1, y1 = min(mask.shape[1], x + w + 6), min(mask.shape[0], y + h + 6)
        blob = (labels[y0:y1, x0:x1] == i).astype(np.uint8)
        ring = cv2.dilate(blob, kernel) & (1 - blob)
        if ring.any() and float(value[y0:y1, x0:x1][ring.astype(bool)].mean()) < 215.0:
            area += blob_area
    return area / mask.size
