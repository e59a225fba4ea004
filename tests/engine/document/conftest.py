"""Fixtures for the document tests: a portrait cut from a shared photo, a selfie of the same
person, another person's selfie, and a helper turning a BGR array into an uploaded image."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.engine.face.detect import detect_faces, primary_face
from openkyc.engine.images.decode import DecodedImage, load_image

EXAMPLES = "ageitgey+face_recognition/examples"


def head_crop(bgr: NDArray[Any]) -> NDArray[Any]:
    """The photo cut to head and shoulders, as a document portrait is."""
    face = primary_face(detect_faces(bgr))
    assert face is not None
    left, top, right, bottom = face.box
    size = right - left
    x0, y0 = max(0, left - size // 2), max(0, top - size * 3 // 5)
    x1, y1 = min(bgr.shape[1], right + size // 2), min(bgr.shape[0], bottom + size * 4 // 5)
    return np.ascontiguousarray(bgr[y0:y1, x0:x1])


def _read(path: Path) -> NDArray[Any]:
    image = cv2.imread(str(path))
    assert image is not None, path
    return np.asarray(image)


# Two photos of one man that the default operating point accepts (obama.jpg against obama2.jpg is
# in the unsure band, where a reviewer decides).
@pytest.fixture(scope="session")
def portrait(faces_dir: Path) -> NDArray[Any]:
    return head_crop(_read(faces_dir / EXAMPLES / "knn_examples" / "train" / "obama" / "obama2.jpg"))


@pytest.fixture(scope="session")
def same_person_selfie(faces_dir: Path) -> NDArray[Any]:
    return _read(faces_dir / EXAMPLES / "knn_examples" / "test" / "obama1.jpg")


@pytest.fixture(scope="session")
def other_person_selfie(faces_dir: Path) -> NDArray[Any]:
    return _read(faces_dir / EXAMPLES / "biden.jpg")


def upload(bgr: NDArray[Any], *, quality: int = 92) -> DecodedImage:
    """Encode as a JPEG and decode as the engine would receive it."""
    ok, encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return load_image(encoded.tobytes())
