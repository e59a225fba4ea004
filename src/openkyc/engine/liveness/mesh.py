"""The 478-point MediaPipe face mesh: loading it once, running it on a frame, naming its points.

The mesh model ships inside the ``mediapipe`` wheel (Apache-2.0). It carries its own face detector
(short-range BlazeFace) so one call both finds the face and places 478 landmarks; the liveness
checks use those landmarks for the planarity test, expression measures and for the 5 points that
dlib's aligned chip needs. A MediaPipe graph is not safe to call from two threads at once, so calls
are serialised behind a lock.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from numpy.typing import NDArray

from openkyc.engine.images.resize import fit_long_side
from openkyc.engine.models import load_once

MESH_POINTS = 478
# Images are scaled down to this long side before meshing: the model works on a 192 px face crop,
# so more pixels only cost time.
MESH_LONG_SIDE = 960

# Mesh indices of dlib's 5-point layout (subject's left eye outer, inner, right eye outer, inner,
# subnasale), checked against dlib's own 5-point predictor on the shared faces.
DLIB5_FROM_MESH = (263, 362, 33, 133, 2)
# Eye corners used for the inter-ocular distance that normalises every geometric measure.
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263
# Mouth corners and inner-lip midpoints; upper and lower eyelid midpoints of each eye.
MOUTH_RIGHT, MOUTH_LEFT = 61, 291
LIP_UPPER_INNER, LIP_LOWER_INNER = 13, 14
RIGHT_LID_UPPER, RIGHT_LID_LOWER = 159, 145
LEFT_LID_UPPER, LEFT_LID_LOWER = 386, 374

_mesh_lock = threading.Lock()


@load_once
def face_mesh() -> Any:
    """MediaPipe face mesh in still-image mode with refined (iris) landmarks: 478 points."""
    import mediapipe as mp

    return mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True, refine_landmarks=True, max_num_faces=1, min_detection_confidence=0.5
    )


def mesh_landmarks(bgr: NDArray[Any]) -> NDArray[Any] | None:
    """(478, 2) pixel coordinates of the face mesh of the most prominent face, or None."""
    height, width = bgr.shape[:2]
    work, _ = fit_long_side(bgr, MESH_LONG_SIDE)
    rgb = np.ascontiguousarray(work[:, :, ::-1])
    with _mesh_lock:
        result = face_mesh().process(rgb)
    if not result.multi_face_landmarks:
        return None
    points = result.multi_face_landmarks[0].landmark
    # Normalised coordinates are relative to the image, so they map back without the scale.
    return np.array([(p.x * width, p.y * height) for p in points], dtype=np.float64)


def inter_ocular(points: NDArray[Any]) -> float:
    """Distance between the outer eye corners, in pixels."""
    return float(np.linalg.norm(points[LEFT_EYE_OUTER] - points[RIGHT_EYE_OUTER]))


def dlib_five_points(points: NDArray[Any]) -> NDArray[Any]:
    """The (5, 2) dlib-style landmarks taken from a mesh."""
    return np.asarray(points[list(DLIB5_FROM_MESH)], dtype=np.float64)


def mesh_box(points: NDArray[Any], width: int, height: int) -> tuple[int, int, int, int]:
    """A face box (left, top, right, bottom) around the mesh, clipped to the image."""
    left, top = np.floor(points.min(axis=0)).astype(int)
    right, bottom = np.ceil(points.max(axis=0)).astype(int)
    return (max(0, int(left)), max(0, int(top)), min(width, int(right)), min(height, int(bottom)))
