from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
import pytest
from numpy.typing import NDArray

from openkyc.engine.face.detect import detect_faces, primary_face
from openkyc.engine.face.dlib_net_file import read_dlib_resnet
from openkyc.engine.face.embed import RESNET_FILE, aligned_chip, embed_chip, embed_chips, embedding_net
from openkyc.engine.face.resnet_onnx import build_onnx_model
from openkyc.engine.models import dlib_model_path
from tests.engine.face.samples import BIDEN, OBAMA, OBAMA_2

LoadFace = Callable[[str], NDArray[Any]]


@pytest.fixture(scope="module")
def chips(face_image: LoadFace) -> list[NDArray[Any]]:
    found = []
    for name in (OBAMA, OBAMA_2, BIDEN):
        bgr = face_image(name)
        face = primary_face(detect_faces(bgr))
        assert face is not None
        found.append(aligned_chip(bgr, face))
    return found


def test_built_model_is_valid_onnx() -> None:
    model = onnx.load_from_string(build_onnx_model(read_dlib_resnet(dlib_model_path(RESNET_FILE))))
    onnx.checker.check_model(model)
    assert [o.name for o in model.graph.output] == ["embeddings"]


def test_onnx_embeddings_equal_dlibs_own(chips: list[NDArray[Any]]) -> None:
    # The calibrated operating points hold only if the descriptors are dlib's, to float precision.
    dlib_descriptors = np.stack(
        [np.asarray(embedding_net().compute_face_descriptor(np.ascontiguousarray(c))) for c in chips]
    )
    assert np.abs(embed_chips(chips) - dlib_descriptors).max() < 1e-4


def test_a_batch_gives_the_same_embeddings_as_one_chip_at_a_time(chips: list[NDArray[Any]]) -> None:
    one_by_one = np.stack([embed_chip(c) for c in chips])
    assert np.abs(embed_chips(chips) - one_by_one).max() < 1e-5


def test_an_empty_batch_has_no_embeddings() -> None:
    assert embed_chips([]).shape == (0, 128)
