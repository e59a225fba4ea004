from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.engine.face.detect import detect_faces, primary_face
from openkyc.engine.face.embed import CHIP_SIZE, aligned_chip, embed_chip, embed_face
from tests.engine.face.samples import BIDEN, OBAMA, OBAMA_2

LoadFace = Callable[[str], NDArray[Any]]


@pytest.fixture(scope="module")
def obama_chip(face_image: LoadFace) -> NDArray[Any]:
    bgr = face_image(OBAMA)
    face = primary_face(detect_faces(bgr))
    assert face is not None
    return aligned_chip(bgr, face)


def _embedding(face_image: LoadFace, name: str) -> NDArray[np.float64]:
    bgr = face_image(name)
    face = primary_face(detect_faces(bgr))
    assert face is not None
    return embed_face(bgr, face)


def test_chip_is_a_square_rgb_uint8(obama_chip: NDArray[Any]) -> None:
    assert obama_chip.shape == (CHIP_SIZE, CHIP_SIZE, 3)
    assert obama_chip.dtype == np.uint8
    assert obama_chip.std() > 10  # a real face, not an empty crop


def test_aligned_chip_has_level_eyes(face_image: LoadFace) -> None:
    # Rotate the photo by 15 degrees: the chip cut with the landmarks must come out level again.
    import cv2

    bgr = face_image(OBAMA)
    h, w = bgr.shape[:2]
    rotated = cv2.warpAffine(bgr, cv2.getRotationMatrix2D((w / 2, h / 2), 15, 1.0), (w, h))
    face = primary_face(detect_faces(rotated))
    assert face is not None
    chip_face = primary_face(detect_faces(np.ascontiguousarray(aligned_chip(rotated, face)[:, :, ::-1])))
    assert chip_face is not None
    left_eye, right_eye = chip_face.landmarks[0:2].mean(axis=0), chip_face.landmarks[2:4].mean(axis=0)
    angle = np.degrees(np.arctan2(right_eye[1] - left_eye[1], right_eye[0] - left_eye[0]))
    assert min(abs(angle), abs(abs(angle) - 180)) < 5


def test_embedding_is_128_dimensional_and_deterministic(obama_chip: NDArray[Any]) -> None:
    first, second = embed_chip(obama_chip), embed_chip(obama_chip)
    assert first.shape == (128,)
    assert first.dtype == np.float64
    assert np.array_equal(first, second)
    assert 0.5 < np.linalg.norm(first) < 1.5


def test_jitter_stays_close_to_the_plain_embedding(obama_chip: NDArray[Any]) -> None:
    plain, jittered = embed_chip(obama_chip), embed_chip(obama_chip, jitter=3)
    assert not np.array_equal(plain, jittered)
    assert np.linalg.norm(plain - jittered) < 0.15


def test_same_person_is_closer_than_different_person(face_image: LoadFace) -> None:
    obama, obama_2, biden = (_embedding(face_image, n) for n in (OBAMA, OBAMA_2, BIDEN))
    same, different = np.linalg.norm(obama - obama_2), np.linalg.norm(obama - biden)
    assert same < 0.5 < different
