"""The PAD model OPENKYC_PAD_MODEL_PROVIDER chooses, in the liveness checks of queued and v2 jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import onnx
import pytest
from fastapi.testclient import TestClient
from numpy.typing import NDArray
from onnx import TensorProto, helper

from openkyc.app import create_app
from openkyc.config import Settings
from openkyc.engine.liveness.plugin import OnnxPadModel
from openkyc.jobs.pad import LivenessConfigs, liveness_configs
from openkyc.providers import PAD_MODEL, ProviderError
from openkyc.runtime import Runtime, build_runtime
from tests.jobs.test_v2_views import ENROLL, photos, stored_job, submit
from tests.server import make_partner, make_runtime, submit_and_process

__all__ = ["photos"]  # the v2 tests' fixture, used here too

HERE = "tests.jobs.test_pad"


class ScriptedModel:
    """A PAD model of the operator's own (any PresentationAttackModel plugs in), recording its calls."""

    calls: ClassVar[list[tuple[int, int, int, int]]] = []

    def __init__(self, live: float) -> None:
        self.live = live

    @property
    def name(self) -> str:
        return "scripted"

    def live_probability(self, bgr: NDArray[Any], box: tuple[int, int, int, int]) -> float:
        ScriptedModel.calls.append(box)
        return self.live


def attack_everywhere(settings: Settings) -> ScriptedModel:
    return ScriptedModel(live=0.0)


def tiny_onnx_model(path: Path) -> Path:
    """live = sigmoid(mean pixel): a real ONNX file with the (1, 3, 32, 32) input the plug-in reads."""
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["m"], keepdims=0),
        helper.make_node("Sigmoid", ["m"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "pad",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_without_a_pad_model_the_engine_defaults_decide(runtime: Runtime) -> None:
    assert runtime.providers[PAD_MODEL] is None
    assert liveness_configs(runtime) == LivenessConfigs(active=None, passive=None)


def test_the_onnx_provider_loads_the_configured_model_into_both_checks(tmp_path: Path) -> None:
    runtime = make_runtime(
        tmp_path,
        pad_model_provider="onnx",
        pad_model_path=tiny_onnx_model(tmp_path / "pad.onnx"),
        pad_model_spec={"channel_order": "BGR", "mean": [0.5, 0.5, 0.5]},
        pad_min_live=0.7,
    )
    model = runtime.providers[PAD_MODEL]
    assert isinstance(model, OnnxPadModel)
    assert model.spec.channel_order == "BGR" and model.spec.mean == (0.5, 0.5, 0.5)
    configs = liveness_configs(runtime)
    assert configs.active is not None and configs.passive is not None
    assert configs.active.pad_model is model and configs.passive.pad_model is model
    assert configs.active.min_pad_live == configs.passive.min_pad_live == 0.7


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({}, "OPENKYC_PAD_MODEL_PATH is not set"),
        ({"pad_model_path": "absent.onnx"}, "'absent.onnx' not found"),
        ({"pad_model_path": "garbage.onnx"}, "onnxruntime cannot load 'garbage.onnx'"),
        ({"pad_model_path": "pad.onnx", "pad_model_spec": {"chanel_order": "BGR"}}, "unknown fields"),
        ({"pad_model_path": "pad.onnx", "pad_model_spec": {"channel_order": "YUV"}}, "channel_order"),
    ],
)
def test_an_unusable_onnx_model_stops_the_start(
    tmp_path: Path, options: dict[str, Any], complaint: str
) -> None:
    tiny_onnx_model(tmp_path / "pad.onnx")
    (tmp_path / "garbage.onnx").write_bytes(b"not a model")
    if "pad_model_path" in options:
        options = {**options, "pad_model_path": tmp_path / options["pad_model_path"]}
    settings = Settings(data_dir=tmp_path / "data", pad_model_provider="onnx", **options)
    with pytest.raises(ProviderError, match="OPENKYC_PAD_MODEL_PROVIDER='onnx'") as refused:
        build_runtime(settings)
    assert complaint in str(refused.value)


def test_a_configured_pad_model_decides_v2_and_queued_registrations(
    tmp_path: Path, photos: dict[str, bytes], faces_dir: Path
) -> None:
    ScriptedModel.calls = []
    runtime = make_runtime(tmp_path, pad_model_provider=f"{HERE}:attack_everywhere")
    partner = make_partner(runtime)
    with TestClient(create_app(runtime)) as client:
        response = submit(
            client,
            ENROLL,
            partner,
            selfie=photos["obama"],
            user_id="user-1",
            partner_params={"job_id": "v2-pad"},
        )
    # The same selfie is approved without the model (tests/jobs/test_v2_views.py).
    assert response.status_code == 200 and response.json()["status"] == "rejected", response.text
    v2_job = stored_job(runtime, "v2-pad")
    assert v2_job.result is not None and v2_job.result["Actions"]["Selfie_Check"] == "Failed"
    assert len(ScriptedModel.calls) == 1

    selfie = faces_dir / "ageitgey+face_recognition" / "examples" / "knn_examples" / "test" / "obama1.jpg"
    submit_and_process(runtime, partner, selfie, "queued-pad")
    queued = stored_job(runtime, "queued-pad")
    assert queued.result is not None and queued.result["Actions"]["Selfie_Check"] == "Failed"
    assert len(ScriptedModel.calls) == 2
