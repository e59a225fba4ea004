"""Face box finders: the detectors the face stack can run, each behind one small function.

Every finder takes an RGB image (already at the working size) and returns raw boxes
``(left, top, right, bottom, score)`` in that image's pixels. Landmarks, alignment and mapping
back to the original image are done once, in :mod:`openkyc.engine.face.detect`.

All weights ship inside installed wheels (dlib's HOG is built in; the mmod CNN ships in
``engine/face/models``; BlazeFace is in ``mediapipe``; Haar cascades in ``opencv``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from openkyc.engine.models import dlib_model_path, dlib_module, load_once

RawBox = tuple[float, float, float, float, float]
BoxFinder = Callable[[NDArray[Any], int], list[RawBox]]

# Boxes from the non-dlib detectors are framed differently from dlib's (BlazeFace's box is tighter
# and sits lower, Haar's is wider); the 5-point landmark model was trained on dlib boxes, so each
# box is mapped onto a dlib-like box first: centre shifted by (dx, dy) box sizes, then scaled.
# Fitted by least squares on the shared faces where HOG and the detector found the same face
# (benchmarks/face_bench.py --fit-boxes).
BOX_TO_DLIB: dict[str, tuple[float, float, float]] = {
    "hog": (0.0, 0.0, 1.0),
    "cnn": (0.076, 0.097, 0.915),  # n=90 matched faces
    "blazeface_short": (-0.013, -0.045, 0.890),  # n=88
    "blazeface_full": (-0.013, 0.004, 0.856),  # n=89
    "haar": (-0.010, 0.082, 0.847),  # n=85
}


@load_once
def hog_detector() -> Any:
    """dlib's frontal-face HOG detector (built into dlib)."""
    return dlib_module().get_frontal_face_detector()


@load_once
def cnn_detector() -> Any:
    """dlib's mmod CNN face detector (``mmod_human_face_detector.dat``, CC0)."""
    return dlib_module().cnn_face_detection_model_v1(str(dlib_model_path("mmod_human_face_detector.dat")))


@load_once
def haar_detector() -> Any:
    """OpenCV's frontal-face Haar cascade (shipped with opencv-python)."""
    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():  # pragma: no cover - only when the wheel is broken
        from openkyc.engine.errors import ModelUnavailable

        raise ModelUnavailable("OpenCV Haar cascade missing")
    return cascade


class _BlazeFace:
    """A mediapipe BlazeFace graph plus the lock it needs (a graph runs one image at a time)."""

    def __init__(self, model_selection: int) -> None:
        import mediapipe as mp

        self.graph = mp.solutions.face_detection.FaceDetection(
            model_selection=model_selection, min_detection_confidence=0.5
        )
        self.lock = threading.Lock()

    def find(self, rgb: NDArray[Any]) -> list[RawBox]:
        height, width = rgb.shape[:2]
        with self.lock:
            result = self.graph.process(rgb)
        boxes: list[RawBox] = []
        for detection in result.detections or []:
            rel = detection.location_data.relative_bounding_box
            left, top = rel.xmin * width, rel.ymin * height
            boxes.append(
                (left, top, left + rel.width * width, top + rel.height * height, float(detection.score[0]))
            )
        return boxes


@load_once
def blazeface_short() -> _BlazeFace:
    """BlazeFace short-range (faces within ~2 m: selfies)."""
    return _BlazeFace(0)


@load_once
def blazeface_full() -> _BlazeFace:
    """BlazeFace full-range (smaller, farther faces)."""
    return _BlazeFace(1)


# dlib's object detectors keep scratch state in the detector object (its HOG feature pyramid, the
# CNN's tensors) and release the GIL while they run: two threads running one detector at once
# corrupt the heap and abort the process (the liveness frames are analysed in a background thread
# while the selfie is, and several requests verify at once). Each detector runs one image at a time.
_hog_lock = threading.Lock()
_cnn_lock = threading.Lock()
_haar_lock = threading.Lock()


def find_hog(rgb: NDArray[Any], upsample: int) -> list[RawBox]:
    with _hog_lock:
        rects, scores, _ = hog_detector().run(rgb, upsample, 0.0)
    return [(r.left(), r.top(), r.right(), r.bottom(), float(s)) for r, s in zip(rects, scores, strict=True)]


def find_cnn(rgb: NDArray[Any], upsample: int) -> list[RawBox]:
    with _cnn_lock:
        found = cnn_detector()(rgb, upsample)
    return [
        (d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom(), float(d.confidence)) for d in found
    ]


def find_haar(rgb: NDArray[Any], upsample: int) -> list[RawBox]:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    factor = 2**upsample
    if factor > 1:
        gray = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_LINEAR)
    with _haar_lock:  # OpenCV does not promise that one cascade may run in two threads at once
        boxes, _, weights = haar_detector().detectMultiScale3(
            gray, scaleFactor=1.1, minNeighbors=5, minSize=(40, 40), outputRejectLevels=True
        )
    return [
        (x / factor, y / factor, (x + w) / factor, (y + h) / factor, float(s))
        for (x, y, w, h), s in zip(boxes, np.ravel(weights), strict=True)
    ]


def find_blazeface_short(rgb: NDArray[Any], upsample: int) -> list[RawBox]:
    # BlazeFace resizes to its own 128/192 px input: upsampling cannot help it.
    return blazeface_short().find(rgb)


def find_blazeface_full(rgb: NDArray[Any], upsample: int) -> list[RawBox]:
    return blazeface_full().find(rgb)


FINDERS: dict[str, BoxFinder] = {
    "hog": find_hog,
    "cnn": find_cnn,
    "haar": find_haar,
    "blazeface_short": find_blazeface_short,
    "blazeface_full": find_blazeface_full,
}


# Finders for which upsampling the image changes anything (BlazeFace works at a fixed input size).
UPSAMPLING_FINDERS = frozenset({"hog", "cnn", "haar"})


def to_dlib_box(detector: str, box: RawBox) -> tuple[float, float, float, float]:
    """Re-frame a detector's box the way dlib frames faces (see ``BOX_TO_DLIB``)."""
    left, top, right, bottom, _ = box
    dx, dy, scale = BOX_TO_DLIB[detector]
    width, height = right - left, bottom - top
    cx, cy = (left + right) / 2 + dx * width, (top + bottom) / 2 + dy * height
    half_w, half_h = width * scale / 2, height * scale / 2
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h
