"""Shared photo names and generated images for the face tests."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

OBAMA = "ageitgey+face_recognition/examples/knn_examples/train/obama/obama.jpg"
OBAMA_2 = "ageitgey+face_recognition/examples/knn_examples/train/obama/obama2.jpg"
BIDEN = "ageitgey+face_recognition/examples/biden.jpg"
CLAPTON = "cmusatyalab+openface/images/examples/clapton-1.jpg"
TWO_PEOPLE = "ageitgey+face_recognition/examples/two_people.jpg"
JOHN_CHIP = "davisking+dlib/examples/johns/John_Salley/000179_02159509.jpg"
NO_FACE = "exadel-inc+CompreFace/embedding-calculator/sample_images/017_0.jpg"


def blank_image(height: int = 480, width: int = 640) -> NDArray[Any]:
    return np.full((height, width, 3), 127, dtype=np.uint8)


def noise_image(height: int = 480, width: int = 640, seed: int = 0) -> NDArray[Any]:
    return np.asarray(np.random.default_rng(seed).integers(0, 256, size=(height, width, 3)), dtype=np.uint8)


def side_by_side(left: NDArray[Any], right: NDArray[Any], height: int = 500) -> NDArray[Any]:
    """Two photos scaled to one height and put next to each other (a two-person picture)."""
    parts = [cv2.resize(img, (round(img.shape[1] * height / img.shape[0]), height)) for img in (left, right)]
    return np.hstack(parts)


def reencode(bgr: NDArray[Any], *, scale: float, quality: int) -> NDArray[Any]:
    """The same photograph resized and saved again as JPEG."""
    resized = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", resized, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)
