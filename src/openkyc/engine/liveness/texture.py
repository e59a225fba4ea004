"""Surface cues of a reproduced face: periodic patterns and glare.

A screen is a grid of RGB sub-pixels; a print is a grid of halftone dots. Photographed, either
leaves a periodic pattern on the face (the grid itself or, once the camera's own pixel grid
samples it, a moiré beat), which shows as isolated peaks in the face's 2-D spectrum standing well
above the smooth spectrum of skin. A screen's glass and glossy paper reflect light as highlights
on the face. These are surface cues: they depend on the display, printer and camera, unlike the
geometric cues (planarity, duplicates, identity) and are weaker evidence.

A moiré need not be one clean spectral peak (the beat drifts and bends across a tilted screen or
sheet), but it is coloured: the R, G and B sub-pixels (or C, M, Y dots) are sampled at different
phases, so the pattern appears in the chroma channels with about as much fine detail as in luma.
Skin's colour varies slowly; its fine detail (pores, edges of features) is in luma, and cameras
and JPEG further smooth chroma. ``chroma_moire`` measures that: fine chroma detail relative to
fine luma detail inside the face.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from openkyc.engine.images.quality import glare_fraction

# Analysed region: the face box grown by this factor, cropped (never resized: resampling would
# blur away the very pixel grid being looked for) to at most MAX_SIDE px around its centre.
REGION_GROWTH = 1.1
MAX_SIDE = 256
MIN_SIDE = 48
# Spectral band searched for peaks, in cycles per pixel (0.5 = Nyquist): below it lies the face's
# own shape, and the band is wide enough for grids from coarse moiré to single-pixel stripes.
MIN_FREQUENCY = 0.06
# JPEG's 8x8 blocks are periodic too: their harmonics (multiples of 1/8 cycle per pixel) are masked.
JPEG_PERIOD = 8


def face_region(bgr: NDArray[Any], box: tuple[int, int, int, int]) -> NDArray[Any]:
    """The (BGR) pixels of the face box grown by REGION_GROWTH, at native resolution."""
    height, width = bgr.shape[:2]
    left, top, right, bottom = box
    cx, cy = (left + right) / 2, (top + bottom) / 2
    half = min(max(right - left, bottom - top) * REGION_GROWTH / 2, MAX_SIDE / 2)
    x0, y0 = max(0, int(cx - half)), max(0, int(cy - half))
    x1, y1 = min(width, int(cx + half)), min(height, int(cy + half))
    return bgr[y0:y1, x0:x1]


def _peak_prominence(channel: NDArray[Any]) -> float:
    """How far the strongest isolated spectral peak stands above the local spectrum (log units)."""
    size = min(channel.shape[:2])
    if size < MIN_SIDE:
        return 0.0
    size -= size % 2
    data = channel[:size, :size].astype(np.float64)
    # High-pass: the face's shading would otherwise dominate the spectrum.
    data = data - cv2.GaussianBlur(data, (0, 0), 3.0)
    window = np.outer(np.hanning(size), np.hanning(size))
    spectrum = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(data * window))))
    # Local level of the spectrum, against which a peak is measured.
    baseline = cv2.GaussianBlur(spectrum, (0, 0), 4.0)
    prominence = cv2.GaussianBlur(spectrum, (0, 0), 0.7) - baseline
    freqs = np.fft.fftshift(np.fft.fftfreq(size))
    fx, fy = np.meshgrid(freqs, freqs)
    radius = np.hypot(fx, fy)
    bin_width = 1.0 / size
    mask = (radius >= MIN_FREQUENCY) & (np.abs(fx) > 2 * bin_width) & (np.abs(fy) > 2 * bin_width)
    for harmonic in range(1, JPEG_PERIOD // 2 + 1):
        f = harmonic / JPEG_PERIOD
        mask &= ~(np.abs(np.abs(fx) - f) <= 1.5 * bin_width)
        mask &= ~(np.abs(np.abs(fy) - f) <= 1.5 * bin_width)
    if not mask.any():
        return 0.0
    return float(prominence[mask].max())


# Band of "fine detail" for chroma_moire: difference of Gaussians, sigmas in native pixels (the
# moiré lives on the camera's pixel grid, whatever the face size).
CHROMA_FINE_SIGMA = 0.7
CHROMA_COARSE_SIGMA = 3.0
# The face hull shrunk towards its centre by this factor: hair, ears and background (whose colour
# edges are real) stay outside.
CHROMA_HULL_SHRINK = 0.85
MIN_HULL_PIXELS = 400
# OpenCV's float Gaussian kernel reaches 4 sigma: 12 px at the coarse sigma.
CHROMA_MARGIN = 16


def chroma_moire(bgr: NDArray[Any], mesh: NDArray[Any]) -> float:
    """Fine chroma detail (Cr, Cb) over fine luma detail inside the face mesh hull (RMS ratio).

    0.0 when the face is too small to measure.
    """
    centre = mesh.mean(axis=0)
    hull = cv2.convexHull((centre + (mesh - centre) * CHROMA_HULL_SHRINK).astype(np.float32)).astype(np.int32)
    # Only the hull's neighbourhood is filtered: a margin wider than the coarse Gaussian's reach
    # gives the same values inside the hull as filtering the whole frame, at a fraction of the cost.
    height, width = bgr.shape[:2]
    x, y, w, h = cv2.boundingRect(hull)
    x0, y0 = max(0, x - CHROMA_MARGIN), max(0, y - CHROMA_MARGIN)
    x1, y1 = min(width, x + w + CHROMA_MARGIN), min(height, y + h + CHROMA_MARGIN)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(mask, hull - np.array([x0, y0], dtype=np.int32), (255,))
    inside = mask > 0
    if int(inside.sum()) < MIN_HULL_PIXELS:
        return 0.0
    ycrcb = cv2.cvtColor(bgr[y0:y1, x0:x1], cv2.COLOR_BGR2YCrCb).astype(np.float64)
    energy = []
    for i in range(3):
        channel = ycrcb[:, :, i]
        band = cv2.GaussianBlur(channel, (0, 0), CHROMA_FINE_SIGMA) - cv2.GaussianBlur(
            channel, (0, 0), CHROMA_COARSE_SIGMA
        )
        energy.append(float(np.sqrt(np.mean(band[inside] ** 2))))
    # A flat, featureless face (luma RMS under 1 grey level) has no detail to compare with.
    return float(np.hypot(energy[1], energy[2]) / max(energy[0], 1.0))


def periodic_pattern(region_bgr: NDArray[Any]) -> float:
    """Strongest spectral peak over luminance and the two chroma channels of the face region."""
    if min(region_bgr.shape[:2]) < MIN_SIDE:
        return 0.0
    ycrcb = cv2.cvtColor(region_bgr, cv2.COLOR_BGR2YCrCb)
    return max(_peak_prominence(ycrcb[:, :, i]) for i in range(3))


def face_glare(region_bgr: NDArray[Any]) -> float:
    """Fraction of the face region covered by specular highlights (screen glass, glossy paper)."""
    if region_bgr.size == 0:
        return 0.0
    return glare_fraction(region_bgr)
