"""Surface cues of a reproduced face: periodic patterns and glare.

A screen is a grid of RGB sub-pixels; a print is a grid of halftone dots. Photographed, either
leaves a periodic pattern on the face (the grid itself or, once the camera's own pixel grid
samples it, a moiré beat), which shows as isolated peaks in the face's 2-D spectrum standing well
above the smooth spectrum of skin. A screen's glass and glossy paper reflect light as highlights
on the face. These are surface cues: they depend on the display, printer and camera, unlike the
geometric cues (planarity, duplicates, identity) and are weaker evidence.
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
