"""What the capture page tells a visitor about a picture before it is sent: too dark, no face,
move closer, blurry, glare.

It runs the engine's own measures (face detection, the quality evidence the products use), held
to the bounds the products apply, so "looks fine" on the phone means the job will not fail for
the same reason later. Advice only: the submission is checked by the products as any other job.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import cv2
from numpy.typing import NDArray

from openkyc.engine.errors import ImageError
from openkyc.engine.face.detect import detect_faces, primary_face
from openkyc.engine.images.decode import ImageLimits, load_image
from openkyc.engine.images.quality import QualityThresholds, assess_quality

# The page sends frames of at most 1280 px; a check needs no more than this.
CHECK_LIMITS = ImageLimits(max_bytes=4 * 1024 * 1024, max_pixels=12_000_000, max_long_side=640)
# A selfie's face should span at least this share of the picture's shorter side (a face at arm's
# length on a phone); below it the matcher works on too few pixels.
MIN_FACE_SHARE = 0.25
# And its centre should lie within this share of the picture's centre.
MAX_OFF_CENTRE = 0.3
THRESHOLDS = QualityThresholds()


class Kind(StrEnum):
    SELFIE = "selfie"
    DOCUMENT = "document"


@dataclass(frozen=True)
class Problem:
    code: str
    message: str  # shown to the visitor as it is


NO_FACE = Problem("no_face", "We can't see a face. Face the camera with your whole face in the oval.")
MANY_FACES = Problem("many_faces", "Only you should be in the picture.")
MOVE_CLOSER = Problem("move_closer", "Move closer: your face should fill the oval.")
CENTRE = Problem("centre", "Centre your face in the oval.")
TOO_DARK = Problem("too_dark", "It's too dark. Find more light, facing a window or a lamp.")
TOO_BRIGHT = Problem("too_bright", "It's too bright. Move away from direct light.")
BLURRY = Problem("blurry", "The picture is blurry. Hold still.")
GLARE = Problem("glare", "There is glare on the document. Tilt it away from the light.")
TOO_SMALL = Problem("too_small", "The picture is too small. Move closer or use the file upload.")
UNREADABLE = Problem("unreadable", "This picture could not be read. Try again.")


def check(data: bytes, kind: Kind) -> list[Problem]:
    """The problems of one picture, most important first (none: it looks usable)."""
    try:
        image = load_image(data, limits=CHECK_LIMITS)
    except ImageError:
        return [UNREADABLE]
    bgr = image.bgr
    height, width = bgr.shape[:2]
    face_box = None
    problems: list[Problem] = []
    if kind is Kind.SELFIE:
        faces = detect_faces(bgr, fallbacks=False)
        face = primary_face(faces)
        if face is None:
            return [NO_FACE, *_exposure(bgr)]
        if len([f for f in faces if f.width >= face.width * 0.5]) > 1:
            problems.append(MANY_FACES)
        if face.width < MIN_FACE_SHARE * min(width, height):
            problems.append(MOVE_CLOSER)
        centre_x = (face.box[0] + face.box[2]) / 2 / width
        centre_y = (face.box[1] + face.box[3]) / 2 / height
        if abs(centre_x - 0.5) > MAX_OFF_CENTRE or abs(centre_y - 0.5) > MAX_OFF_CENTRE:
            problems.append(CENTRE)
        face_box = face.box
    quality = assess_quality(
        bgr, thresholds=THRESHOLDS, stored_grayscale=image.stored_grayscale, face_box=face_box
    )
    problems.extend(_exposure(bgr))
    codes = {reason.code for reason in quality.reasons}
    if "quality.low_resolution" in codes and image.width * image.height < 320 * 240:
        problems.append(TOO_SMALL)
    if codes & {"quality.too_blurry", "quality.blurry"}:
        problems.append(BLURRY)
    if kind is Kind.DOCUMENT and "quality.glare" in codes:
        problems.append(GLARE)
    return problems


def _exposure(bgr: NDArray[Any]) -> list[Problem]:
    """Too dark or too bright, by the products' bounds on mean luminance."""
    brightness = float(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).mean())
    if brightness < THRESHOLDS.min_brightness:
        return [TOO_DARK]
    if brightness > THRESHOLDS.max_brightness:
        return [TOO_BRIGHT]
    return []
