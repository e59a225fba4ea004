"""Face alignment and embedding with dlib's ResNet (128-d, public-domain weights)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from openkyc.engine.face.detect import DetectedFace
from openkyc.engine.models import dlib_model_path, dlib_module, load_once

CHIP_SIZE = 150
CHIP_PADDING = 0.25
# Chips averaged per embedding (dlib's random jitter). benchmarks/face_bench.py: jitter 5 and 10
# separate the shared pairs no better than none (TAR 100% at FAR 0.1% either way) and cost 6-11x the
# embedding time, which a selfie plus 8 liveness frames cannot afford.
DEFAULT_JITTER = 0


@load_once
def embedding_net() -> Any:
    """dlib's face-recognition ResNet (dlib_face_recognition_resnet_model_v1, CC0)."""
    return dlib_module().face_recognition_model_v1(
        str(dlib_model_path("dlib_face_recognition_resnet_model_v1.dat"))
    )


def aligned_chip(bgr: NDArray[Any], face: DetectedFace) -> NDArray[Any]:
    """The face rotated, scaled and cropped to a 150x150 RGB chip using the 5 landmarks."""
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    chip = dlib_module().get_face_chip(
        rgb, face.full_object_detection(), size=CHIP_SIZE, padding=CHIP_PADDING
    )
    return np.asarray(chip)


def embed_face(bgr: NDArray[Any], face: DetectedFace, *, jitter: int = DEFAULT_JITTER) -> NDArray[np.float64]:
    """128-d embedding of one detected face (``jitter`` > 0 averages randomly perturbed chips)."""
    chip = aligned_chip(bgr, face)
    return embed_chip(chip, jitter=jitter)


def embed_chip(chip_rgb: NDArray[Any], *, jitter: int = DEFAULT_JITTER) -> NDArray[np.float64]:
    """128-d embedding of an aligned 150x150 RGB chip."""
    net = embedding_net()
    if jitter > 0:
        descriptor = net.compute_face_descriptor(np.ascontiguousarray(chip_rgb), jitter)
    else:
        descriptor = net.compute_face_descriptor(np.ascontiguousarray(chip_rgb))
    return np.asarray(descriptor, dtype=np.float64)
