"""Bringing images to a working size."""

from __future__ import annotations

from typing import Any

import cv2
from numpy.typing import NDArray


def fit_long_side(bgr: NDArray[Any], long_side: int) -> tuple[NDArray[Any], float]:
    """Scale down (never up) so the longer side is at most ``long_side``.

    Returns the image and the scale applied, so coordinates found on it can be mapped back.
    """
    height, width = bgr.shape[:2]
    scale = min(1.0, long_side / max(height, width))
    if scale == 1.0:
        return bgr, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(bgr, size, interpolation=cv2.INTER_AREA), scale
