import threading

import pytest

from openkyc.engine.errors import ModelUnavailable
from openkyc.engine.models import dlib_model_path, load_once


def test_dlib_models_ship_in_the_wheel() -> None:
    for name in ("shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat"):
        assert dlib_model_path(name).stat().st_size > 1000


def test_missing_model_is_a_typed_error() -> None:
    with pytest.raises(ModelUnavailable):
        dlib_model_path("no_such_model.dat")


def test_load_once_builds_once_across_threads() -> None:
    calls: list[int] = []

    @load_once
    def factory() -> object:
        calls.append(1)
        return object()

    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(factory())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert all(r is results[0] for r in results)
