"""Are the frames one photograph replayed? Compare the aligned face crops pixel by pixel.

Two captures of a live face differ: the head moves, the expression changes, light shifts. A still
replayed as frames (the same file re-encoded, with a little noise or a brightness change added)
gives aligned crops that are nearly identical once brightness and contrast are normalised and
sensor noise is smoothed away.
"""

from __future__ import annotations

import itertools
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

# Only the inner part of the 150 px chip is compared: the chip's padding shows background, which
# can change behind a replayed still (the attacker moves) without the face changing.
INNER_FRACTION = 0.6
# Gaussian blur (sigma, px) that removes sensor noise and JPEG artefacts before comparing.
NOISE_SIGMA = 1.5


def _normalised_inner(chip_rgb: NDArray[Any]) -> NDArray[Any]:
    gray = cv2.cvtColor(np.ascontiguousarray(chip_rgb), cv2.COLOR_RGB2GRAY).astype(np.float64)
    size = gray.shape[0]
    margin = round(size * (1 - INNER_FRACTION) / 2)
    inner = cv2.GaussianBlur(gray[margin : size - margin, margin : size - margin], (0, 0), NOISE_SIGMA)
    # Brightness and contrast jitter is removed by standardising the crop.
    return np.asarray((inner - inner.mean()) / max(float(inner.std()), 1e-6), np.float64)


def chip_difference(chip_a: NDArray[Any], chip_b: NDArray[Any]) -> float:
    """Mean absolute difference of two standardised chips (0 = the same picture)."""
    return float(np.mean(np.abs(_normalised_inner(chip_a) - _normalised_inner(chip_b))))


def chip_distinctness(chips: list[NDArray[Any]]) -> float:
    """Median pairwise chip difference: low when the frames are one still replayed."""
    normalised = [_normalised_inner(c) for c in chips]
    diffs = [float(np.mean(np.abs(a - b))) for a, b in itertools.combinations(normalised, 2)]
    return float(np.median(diffs)) if diffs else 0.0
