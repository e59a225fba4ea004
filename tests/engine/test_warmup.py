from __future__ import annotations

from openkyc.engine.face.embed import embedding_session
from openkyc.engine.liveness.mesh import face_mesh
from openkyc.engine.warmup import load_models


def test_models_load_once_and_are_then_shared() -> None:
    load_models()
    assert embedding_session() is embedding_session()
    assert face_mesh() is face_mesh()
