"""A frame around the face: the bezel of a phone or tablet, or the edge of a sheet of paper.

A face shown on a device or a print is held inside a rectangle whose sides photograph as long
straight edges running past the face on its left, right, top and bottom. A live selfie has a
background, which can hold straight lines too (a door, a shelf), but rarely on three or four
sides of the face at once.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from openkyc.engine.images.quality import downscale

WORK_LONG_SIDE = 640
# A side counts when a straight edge at least this many face heights long runs beside it.
MIN_LENGTH_FACES = 0.8
# Edges within this fraction of the image border are the border itself, not an object's edge.
BORDER_FRACTION = 0.02
# How far from horizontal/vertical (degrees) an edge may lean and still bound a side.
MAX_LEAN = 30.0


def enclosing_sides(bgr: NDArray[Any], box: tuple[int, int, int, int]) -> int:
    """How many sides of the face (0-4) have a long straight edge running beside them."""
    small = downscale(bgr, WORK_LONG_SIDE)
    scale = small.shape[1] / bgr.shape[1]
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (0, 0), 1.2)
    edges = cv2.Canny(gray, 40, 120)
    left, top, right, bottom = (v * scale for v in box)
    face_size = max(right - left, bottom - top)
    min_length = MIN_LENGTH_FACES * face_size
    lines = cv2.HoughLinesP(
        edges, 1, np.pi / 180, threshold=40, minLineLength=max(10, int(min_length)), maxLineGap=6
    )
    if lines is None:
        return 0
    height, width = gray.shape
    border = BORDER_FRACTION * max(height, width)
    sides: set[str] = set()
    for x1, y1, x2, y2 in lines[:, 0, :].astype(np.float64):
        if max(x1, x2) < border or min(x1, x2) > width - border:
            continue
        if max(y1, y2) < border or min(y1, y2) > height - border:
            continue
        angle = abs(math.degrees(math.atan2(y2 - y1, x2 - x1))) % 180
        lean_h = min(angle, 180 - angle)
        lean_v = abs(90 - angle)
        if lean_v <= MAX_LEAN and min(y1, y2) < bottom and max(y1, y2) > top:
            if max(x1, x2) < left:
                sides.add("left")
            elif min(x1, x2) > right:
                sides.add("right")
        elif lean_h <= MAX_LEAN and min(x1, x2) < right and max(x1, x2) > left:
            if max(y1, y2) < top:
                sides.add("top")
            elif min(y1, y2) > bottom:
                sides.add("bottom")
    return len(sides)
