"""Face detection with dlib's HOG detector and 5-point landmarks.

Images are brought to a working size first: large photos are scaled down (speed; a face filling a
selfie needs no 4000-pixel image) and small ones are upsampled by the detector so that the small
printed portrait of an ID card is still found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from openkyc.engine.models import dlib_model_path, dlib_module, load_once

# Long side the detector works at; boxes and landmarks are mapped back to the original image.
WORKING_LONG_SIDE = 900
# Below this long side the detector also upsamples once (finds faces down to ~40 px).
UPSAMPLE_BELOW = 700


@dataclass(frozen=True)
class DetectedFace:
    """One face in original-image coordinates."""

    box: tuple[int, int, int, int]  # left, top, right, bottom
    score: float
    landmarks: np.ndarray = field(repr=False)  # (5, 2) float: eye corners and nose base (dlib 5-point)

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def full_object_detection(self) -> Any:
        """The landmarks as the dlib object the embedding net's chip extractor needs."""
        dlib = dlib_module()
        l, t, r, b = self.box
        parts = [dlib.point(int(round(x)), int(round(y))) for x, y in self.landmarks]
        return dlib.full_object_detection(dlib.rectangle(l, t, r, b), parts)


@load_once
def hog_detector() -> Any:
    """dlib's frontal-face HOG detector (built into dlib)."""
    return dlib_module().get_frontal_face_detector()


@load_once
def landmark_predictor() -> Any:
    """dlib's 5-point landmark model (CC0; the 68-point one is non-commercial and not used)."""
    return dlib_module().shape_predictor(str(dlib_model_path("shape_predictor_5_face_landmarks.dat")))


def detect_faces(bgr: np.ndarray, *, upsample: int | None = None) -> list[DetectedFace]:
    """All faces in the image, largest first."""
    height, width = bgr.shape[:2]
    scale = min(1.0, WORKING_LONG_SIDE / max(height, width))
    work = bgr if scale == 1.0 else cv2.resize(bgr, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    rgb = np.ascontiguousarray(work[:, :, ::-1])
    if upsample is None:
        upsample = 1 if max(work.shape[:2]) < UPSAMPLE_BELOW else 0
    rects, scores, _ = hog_detector().run(rgb, upsample, 0.0)
    predictor = landmark_predictor()
    faces = []
    for rect, score in zip(rects, scores, strict=True):
        shape = predictor(rgb, rect)
        points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64) / scale
        box = (
            int(round(rect.left() / scale)),
            int(round(rect.top() / scale)),
            int(round(rect.right() / scale)),
            int(round(rect.bottom() / scale)),
        )
        faces.append(DetectedFace(box=box, score=float(score), landmarks=points))
    faces.sort(key=lambda f: f.area, reverse=True)
    return faces


def primary_face(faces: list[DetectedFace]) -> DetectedFace | None:
    """The face the photo is of: the largest one."""
    return max(faces, key=lambda f: f.area, default=None)
