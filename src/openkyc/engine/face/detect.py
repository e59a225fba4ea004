"""Face detection: find boxes, place dlib's 5 landmarks, map everything back to the original image.

Images are brought to a working size first: large photos are scaled down (speed; a face filling a
selfie needs no 4000-pixel image) and small ones are upsampled so that the small printed portrait
of an ID card is still found. A face that fills a small image (a tight crop, a 150 px chip) touches
the border and is missed by sliding-window detectors; such images are padded with a plain border.

Several detectors can be run as a cascade: the next one runs only when the previous found nothing.
When the whole cascade finds nothing, fallbacks run in turn (see FALLBACKS): the image turned by
90/270/180 degrees (a phone photo saved sideways or upside down), BlazeFace full-range (small faces
in a group photo that HOG's 80 px window misses), and dlib's CNN on tiny images (tight crops of
a face under ~160 px). A face found on a turned image is mapped back, landmarks included, so its
chip is upright. None of them runs when the first detector finds a face: the common case pays
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from openkyc.engine.face.detectors import FINDERS, UPSAMPLING_FINDERS, RawBox, hog_detector, to_dlib_box
from openkyc.engine.images.resize import fit_long_side
from openkyc.engine.models import dlib_model_path, dlib_module, load_once

__all__ = [
    "DEFAULT_DETECTORS",
    "DetectedFace",
    "detect_faces",
    "hog_detector",
    "landmark_predictor",
    "primary_face",
]

# Long side the detector works at; boxes and landmarks are mapped back to the original image.
WORKING_LONG_SIDE = 900
# Below this long side a second pass upsamples once (HOG's 80 px window then finds ~40 px faces:
# the printed portrait of an ID card).
UPSAMPLE_BELOW = 700
# Below this long side a last pass pads the image by PAD_FRACTION of its size on every side.
PAD_BELOW = 400
PAD_FRACTION = 0.25

# Detector cascade, chosen with benchmarks/face_bench.py over the 1660 shared pairs. dlib HOG (with
# the passes above) finds a face in all 91 images, TAR 100% at FAR 0.1%, ~9 ms an image (p50).
# BlazeFace full-range ties on those pairs but misses 5 of the 26 printed passport/ID portraits that
# HOG finds; BlazeFace short-range and Haar miss faces in the pairs; the mmod CNN misses one image at
# ~20x HOG's time. As a fallback after HOG, BlazeFace finds heads rolled past ~45 degrees, but dlib's
# 5-point alignment then fails on them (no usable match), turning "no face" into a misleading
# "no match"; a CNN fallback costs seconds on every faceless image. So: HOG alone.
DEFAULT_DETECTORS: tuple[str, ...] = ("hog",)
# Fallbacks after the cascade found nothing, in order, measured by benchmarks/face_bench.py on the
# shared and extra material (2,500 images): turns first (cheap: three HOG passes, ~30 ms each at the
# working size; they found the face of a tilted head HOG missed upright), then BlazeFace full-range
# (~50 ms; it found the small faces of two group photos HOG missed at every setting we can afford:
# upsampling twice found them too, but took 11-14 s), then the CNN, only on images whose long side
# is at most CNN_MAX_SIDE (it found 107 of the 108 tight 64 px KinFaceW-II crops HOG missed; on a
# full-size photo it takes seconds, so never there).
ROTATIONS = (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE, cv2.ROTATE_180)
FALLBACK_DETECTORS: tuple[str, ...] = ("blazeface_full",)
CNN_MAX_SIDE = 160
# A face found only on a turned image must score at least this (dlib HOG margin): upright photos
# turned sideways score 1.1-2.2, while the texture of an ID card's back, turned, produced a 0.16 hit.
TURNED_MIN_SCORE = 0.3


@dataclass(frozen=True)
class DetectedFace:
    """One face in original-image coordinates."""

    box: tuple[int, int, int, int]  # left, top, right, bottom
    score: float
    landmarks: NDArray[np.float64] = field(
        repr=False
    )  # (5, 2) float: eye corners and nose base (dlib 5-point)
    detector: str = "hog"

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
        parts = [dlib.point(round(x), round(y)) for x, y in self.landmarks]
        return dlib.full_object_detection(dlib.rectangle(*self.box), parts)


@load_once
def landmark_predictor() -> Any:
    """dlib's 5-point landmark model (CC0; the 68-point one is non-commercial and not used)."""
    return dlib_module().shape_predictor(str(dlib_model_path("shape_predictor_5_face_landmarks.dat")))


def detect_faces(
    bgr: NDArray[Any],
    *,
    upsample: int | None = None,
    detectors: Sequence[str] = DEFAULT_DETECTORS,
    pad: float | None = None,
    fallbacks: bool = True,
) -> list[DetectedFace]:
    """All faces in the image, largest first.

    ``detectors`` is a cascade (names from :data:`openkyc.engine.face.detectors.FINDERS`): each
    runs only when those before it found nothing. By default each detector first runs at the
    working size, then (small images only) upsampled, then (tiny images only) padded: the cheap
    pass finds the large face of a selfie, the others cost only when it found nothing. Giving
    ``upsample`` or ``pad`` fixes that setting to one pass. When nothing is found, the fallbacks
    (turns, BlazeFace, the CNN on tiny images) run unless ``fallbacks`` is False.
    """
    faces = _cascade(bgr, upsample, detectors, pad)
    if faces or not fallbacks:
        return faces
    height, width = bgr.shape[:2]
    for rotation in ROTATIONS:
        turned = [
            f
            for f in _cascade(cv2.rotate(bgr, rotation), upsample, detectors, pad)
            if f.score >= TURNED_MIN_SCORE
        ]
        if turned:
            return [_turn_back(face, rotation, width, height) for face in turned]
    faces = _cascade(bgr, upsample, FALLBACK_DETECTORS, pad)
    if not faces and max(height, width) <= CNN_MAX_SIDE:
        faces = _cascade(bgr, upsample, ("cnn",), pad)
    return faces


def _turn_back(face: DetectedFace, rotation: int, width: int, height: int) -> DetectedFace:
    """A face found on the image turned by ``rotation``, in the original image's coordinates."""

    def back(points: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = points[:, 0], points[:, 1]
        if rotation == cv2.ROTATE_90_CLOCKWISE:  # original (x, y) -> (height - 1 - y, x)
            return np.stack([y, height - 1 - x], axis=1)
        if rotation == cv2.ROTATE_90_COUNTERCLOCKWISE:  # (x, y) -> (y, width - 1 - x)
            return np.stack([width - 1 - y, x], axis=1)
        return np.stack([width - 1 - x, height - 1 - y], axis=1)  # 180

    left, top, right, bottom = face.box
    corners = back(np.asarray([[left, top], [right, bottom]], dtype=np.float64))
    box = (
        round(corners[:, 0].min()),
        round(corners[:, 1].min()),
        round(corners[:, 0].max()),
        round(corners[:, 1].max()),
    )
    return DetectedFace(
        box=box, score=face.score, landmarks=back(face.landmarks), detector=f"{face.detector}+turned"
    )


def _cascade(
    bgr: NDArray[Any], upsample: int | None, detectors: Sequence[str], pad: float | None
) -> list[DetectedFace]:
    work, scale = fit_long_side(bgr, WORKING_LONG_SIDE)
    long_side = max(work.shape[:2])
    upsamples = [upsample] if upsample is not None else [0, 1] if long_side < UPSAMPLE_BELOW else [0]
    pads = [pad] if pad is not None else [0.0, PAD_FRACTION] if long_side < PAD_BELOW else [0.0]
    passes = [(up, pads[0]) for up in upsamples] + [(upsamples[-1], extra) for extra in pads[1:]]
    images: dict[float, tuple[NDArray[Any], int]] = {}
    for name in detectors:
        tried: set[tuple[int, float]] = set()
        for up, fraction in passes:
            # BlazeFace resizes to its own input size: an upsampled pass would repeat the first.
            key = (up if name in UPSAMPLING_FINDERS else 0, fraction)
            if key in tried:
                continue
            tried.add(key)
            if fraction not in images:
                images[fraction] = _padded_rgb(work, round(fraction * long_side))
            rgb, border = images[fraction]
            raw = FINDERS[name](rgb, up)
            if raw:
                faces = [_place_landmarks(rgb, name, box, scale, border) for box in raw]
                faces.sort(key=lambda f: f.area, reverse=True)
                return faces
    return []


def _padded_rgb(work: NDArray[Any], border: int) -> tuple[NDArray[Any], int]:
    if border:
        # Mid-grey, not a reflection: a mirrored border would create mirrored faces.
        work = cv2.copyMakeBorder(
            work, border, border, border, border, cv2.BORDER_CONSTANT, value=(127, 127, 127)
        )
    return np.ascontiguousarray(work[:, :, ::-1]), border


def _place_landmarks(
    rgb: NDArray[Any], detector: str, box: RawBox, scale: float, border: int
) -> DetectedFace:
    dlib = dlib_module()
    left, top, right, bottom = to_dlib_box(detector, box)
    rect = dlib.rectangle(round(left), round(top), round(right), round(bottom))
    shape = landmark_predictor()(rgb, rect)
    points = (np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64) - border) / scale
    mapped = (
        round((left - border) / scale),
        round((top - border) / scale),
        round((right - border) / scale),
        round((bottom - border) / scale),
    )
    return DetectedFace(box=mapped, score=box[4], landmarks=points, detector=detector)


def primary_face(faces: list[DetectedFace]) -> DetectedFace | None:
    """The face the photo is of: the largest one."""
    return max(faces, key=lambda f: f.area, default=None)
