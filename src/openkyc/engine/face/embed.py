"""Face alignment and embedding with dlib's ResNet (128-d, public-domain weights).

Chips are aligned with dlib and embedded by the same network run in ONNX Runtime
(``resnet_onnx.py``: identical descriptors, ~10x faster on CPU); dlib's own forward pass is kept
only for its random jitter, which ONNX Runtime does not reproduce.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from openkyc.engine.face.detect import DetectedFace
from openkyc.engine.face.dlib_net_file import read_dlib_resnet
from openkyc.engine.face.resnet_onnx import INPUT_NAME, build_onnx_model
from openkyc.engine.models import dlib_model_path, dlib_module, load_once

RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"
# One intra-op thread per session: 150x150 chips are too small to split well across cores
# (measured: 2 threads were slower on the 2-core benchmark machine), and a worker process's other
# stages and sibling workers use the remaining cores.
EMBEDDING_THREADS = 1

CHIP_SIZE = 150
CHIP_PADDING = 0.25
# Chips averaged per embedding (dlib's random jitter). benchmarks/face_bench.py: jitter 5 and 10
# separate the shared pairs no better than none (TAR 100% at FAR 0.1% either way) and cost 6-11x the
# embedding time, which a selfie plus 8 liveness frames cannot afford.
DEFAULT_JITTER = 0


@load_once
def embedding_net() -> Any:
    """dlib's face-recognition ResNet (dlib_face_recognition_resnet_model_v1, CC0), dlib's runtime."""
    return dlib_module().face_recognition_model_v1(str(dlib_model_path(RESNET_FILE)))


@load_once
def embedding_session() -> Any:
    """The same ResNet as an ONNX Runtime session, built in memory from the wheel's weights."""
    import onnxruntime as ort

    model = build_onnx_model(read_dlib_resnet(dlib_model_path(RESNET_FILE)))
    options = ort.SessionOptions()
    options.intra_op_num_threads = EMBEDDING_THREADS
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


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
    if jitter > 0:
        descriptor = embedding_net().compute_face_descriptor(np.ascontiguousarray(chip_rgb), jitter)
        return np.asarray(descriptor, dtype=np.float64)
    embedding: NDArray[np.float64] = embed_chips([chip_rgb])[0]
    return embedding


def embed_chips(chips_rgb: Sequence[NDArray[Any]]) -> NDArray[np.float64]:
    """Embeddings (N x 128) of aligned 150x150 RGB chips, computed as one batch."""
    if not chips_rgb:
        return np.zeros((0, 128), dtype=np.float64)
    batch = np.stack([np.asarray(chip, dtype=np.float32) for chip in chips_rgb]).transpose(0, 3, 1, 2)
    (embeddings,) = embedding_session().run(None, {INPUT_NAME: np.ascontiguousarray(batch)})
    return np.asarray(embeddings, dtype=np.float64)
