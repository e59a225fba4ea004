"""Expression change across frames: mouth width (a smile), mouth opening and eye opening.

The Smile ID capture asks the user to smile, so a live sequence usually shows the mouth widen or
open; a still shows none of it. Each measure is taken in inter-ocular units so that moving closer
to the camera does not count as a change.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from openkyc.engine.liveness.mesh import (
    LEFT_LID_LOWER,
    LEFT_LID_UPPER,
    LIP_LOWER_INNER,
    LIP_UPPER_INNER,
    MOUTH_LEFT,
    MOUTH_RIGHT,
    RIGHT_LID_LOWER,
    RIGHT_LID_UPPER,
    inter_ocular,
)


def expression_measures(points: NDArray[Any]) -> dict[str, float]:
    """Mouth width, mouth opening and mean eye opening of one mesh, in inter-ocular units."""
    iod = max(inter_ocular(points), 1e-6)

    def dist(i: int, j: int) -> float:
        return float(np.linalg.norm(points[i] - points[j])) / iod

    return {
        "mouth_width": dist(MOUTH_LEFT, MOUTH_RIGHT),
        "mouth_open": dist(LIP_UPPER_INNER, LIP_LOWER_INNER),
        "eye_open": (dist(RIGHT_LID_UPPER, RIGHT_LID_LOWER) + dist(LEFT_LID_UPPER, LEFT_LID_LOWER)) / 2,
    }


def expression_change(meshes: list[NDArray[Any]]) -> tuple[float, str]:
    """The largest range of any expression measure across the meshes, and which measure it was."""
    if len(meshes) < 2:
        return 0.0, "none"
    measures = [expression_measures(m) for m in meshes]
    ranges = {key: max(m[key] for m in measures) - min(m[key] for m in measures) for key in measures[0]}
    key = max(ranges, key=lambda k: ranges[k])
    return float(ranges[key]), key
