from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from openkyc.engine.face.detect import detect_faces, primary_face
from openkyc.engine.face.vgg2_mobilenet import (
    CHIP_SIZE,
    DESCRIPTOR_SIZE,
    embed_mobilenet,
    embed_mobilenet_chips,
    mobilenet_chip,
)
from tests.engine.face.samples import BIDEN, OBAMA, OBAMA_2

LoadFace = Callable[[str], NDArray[Any]]


def _descriptor(bgr: NDArray[Any]) -> NDArray[np.float64]:
    face = primary_face(detect_faces(bgr))
    assert face is not None
    return embed_mobilenet(bgr, face)


def test_descriptor_is_unit_length_and_1024_d(face_image: LoadFace) -> None:
    descriptor = _descriptor(face_image(OBAMA))
    assert descriptor.shape == (DESCRIPTOR_SIZE,)
    assert abs(np.linalg.norm(descriptor) - 1) < 1e-9


def test_same_person_is_closer_than_another(face_image: LoadFace) -> None:
    obama, obama_2, biden = (_descriptor(face_image(name)) for name in (OBAMA, OBAMA_2, BIDEN))
    assert obama @ obama_2 > obama @ biden + 0.1


def test_chip_is_the_networks_input_size_and_batches_agree(face_image: LoadFace) -> None:
    bgr = face_image(OBAMA)
    face = primary_face(detect_faces(bgr))
    assert face is not None
    chip = mobilenet_chip(bgr, face)
    assert chip.shape == (CHIP_SIZE, CHIP_SIZE, 3)
    batch = embed_mobilenet_chips([chip, chip[:, ::-1]])
    assert batch.shape == (2, DESCRIPTOR_SIZE)
    assert np.allclose(batch[0], embed_mobilenet(bgr, face), atol=1e-5)
    assert embed_mobilenet_chips([]).shape == (0, DESCRIPTOR_SIZE)
