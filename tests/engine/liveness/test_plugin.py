"""The presentation-attack plug-in: a real (tiny) ONNX model contributes its signal to both checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from openkyc.engine.errors import ModelUnavailable
from openkyc.engine.evidence import Decision
from openkyc.engine.images.decode import load_image
from openkyc.engine.liveness import (
    LivenessConfig,
    OnnxPadModel,
    PadInputSpec,
    PresentationAttackModel,
    SelfieCheckConfig,
    check_liveness,
    check_selfie,
)
from testkit import attacks


def _brightness_model(path: Path, *, nhwc: bool = False, two_class: bool = False, bias: float = 0.0) -> Path:
    """live = sigmoid(8 * (mean pixel - 0.5) + bias): brighter crops look 'more live'."""
    shape = [1, 32, 32, 3] if nhwc else [1, 3, 32, 32]
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["m"], keepdims=0),
        helper.make_node("Sub", ["m", "half"], ["c"]),
        helper.make_node("Mul", ["c", "gain"], ["g"]),
        helper.make_node("Add", ["g", "bias"], ["logit"]),
    ]
    inits = [
        helper.make_tensor("half", TensorProto.FLOAT, [], [0.5]),
        helper.make_tensor("gain", TensorProto.FLOAT, [], [8.0]),
        helper.make_tensor("bias", TensorProto.FLOAT, [], [bias]),
    ]
    if two_class:
        # Two logits [attack, live] = [0, logit]: softmax gives sigmoid(logit) for the live class.
        nodes += [
            helper.make_node("Unsqueeze", ["logit", "axes"], ["l1"]),
            helper.make_node("Concat", ["zero", "l1"], ["y"], axis=0),
        ]
        inits += [
            helper.make_tensor("axes", TensorProto.INT64, [1], [0]),
            helper.make_tensor("zero", TensorProto.FLOAT, [1], [0.0]),
        ]
        out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    else:
        nodes.append(helper.make_node("Sigmoid", ["logit"], ["y"]))
        out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [])
    graph = helper.make_graph(
        nodes, "pad", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)], [out], initializer=inits
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def test_input_contract_read_from_the_model(tmp_path: Path) -> None:
    nchw = OnnxPadModel(_brightness_model(tmp_path / "a.onnx"))
    nhwc = OnnxPadModel(_brightness_model(tmp_path / "b.onnx", nhwc=True))
    image = np.zeros((100, 100, 3), np.uint8)
    assert nchw.preprocess(image, (10, 10, 60, 60)).shape == (1, 3, 32, 32)
    assert nhwc.preprocess(image, (10, 10, 60, 60)).shape == (1, 32, 32, 3)
    assert isinstance(nchw, PresentationAttackModel)


@pytest.mark.parametrize("two_class", [False, True])
def test_live_probability_follows_the_model(tmp_path: Path, two_class: bool) -> None:
    model = OnnxPadModel(_brightness_model(tmp_path / "m.onnx", two_class=two_class))
    white = np.full((100, 100, 3), 255, np.uint8)
    black = np.zeros((100, 100, 3), np.uint8)
    box = (20, 20, 80, 80)
    assert model.live_probability(white, box) == pytest.approx(1 / (1 + np.exp(-4.0)), abs=1e-4)
    assert model.live_probability(black, box) == pytest.approx(1 / (1 + np.exp(4.0)), abs=1e-4)


def test_normalisation_is_applied(tmp_path: Path) -> None:
    spec = PadInputSpec(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    model = OnnxPadModel(_brightness_model(tmp_path / "m.onnx"), spec)
    white = np.full((50, 50, 3), 255, np.uint8)
    assert float(model.preprocess(white, (0, 0, 50, 50)).max()) == pytest.approx(1.0)


def test_missing_model_file_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable):
        OnnxPadModel(tmp_path / "absent.onnx")


def test_pad_model_signal_in_selfie_check(tmp_path: Path, obama: Path) -> None:
    bgr = load_image(obama).bgr
    accepting = OnnxPadModel(_brightness_model(tmp_path / "yes.onnx", bias=20.0))
    rejecting = OnnxPadModel(_brightness_model(tmp_path / "no.onnx", bias=-20.0))
    passed = check_selfie(bgr, config=SelfieCheckConfig(pad_model=accepting))
    failed = check_selfie(bgr, config=SelfieCheckConfig(pad_model=rejecting))
    assert passed.signals["pad_model"].passed and passed.decision is Decision.PASS
    assert not failed.signals["pad_model"].passed
    assert failed.decision is Decision.FAIL
    assert "liveness.pad_model_attack" in {r.code for r in failed.reasons}


@pytest.mark.slow
def test_pad_model_signal_in_active_check(tmp_path: Path, genuine_sequence: attacks.LivenessSample) -> None:
    rejecting = OnnxPadModel(_brightness_model(tmp_path / "no.onnx", bias=-20.0))
    frames = genuine_sequence.frames[:4]
    evidence = check_liveness(genuine_sequence.selfie, frames, config=LivenessConfig(pad_model=rejecting))
    assert "pad_model" in evidence.signals
    assert evidence.signals["pad_model"].score < 0.01
    assert "liveness.pad_model_attack" in {r.code for r in evidence.reasons}
