"""dlib's face-recognition ResNet rebuilt as an ONNX graph and run with ONNX Runtime.

Same weights, same arithmetic: the graph is built in memory from dlib's ``.dat`` file shipped
in ``engine/face/models`` each time a process loads it (about 0.1 s; nothing is written or
downloaded). It exists for speed: on a 2-core CPU dlib's own forward pass takes ~100 ms per face
and gains nothing from batching, while ONNX Runtime runs a batch of chips several times faster
(benchmarks/engine_latency.py). tests/engine/face/test_resnet_onnx.py holds the embeddings equal
to dlib's, so the calibrated operating points carry over unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from openkyc.engine.face.dlib_net_file import DlibResNet, Layer

_OPSET = 17
INPUT_NAME = "chips_rgb"  # float32 [N, 3, 150, 150], raw 0-255 RGB values
OUTPUT_NAME = "embeddings"  # float32 [N, 128]


@dataclass
class _Value:
    """A tensor in the graph being built, with its static (channels, height, width)."""

    name: str
    shape: tuple[int, int, int]


class _GraphBuilder:
    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self.helper = helper
        self.numpy_helper = numpy_helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._names = _fresh_names()

    def constant(self, array: NDArray[Any]) -> str:
        name = next(self._names)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], **attributes: Any) -> str:
        output = next(self._names)
        self.nodes.append(self.helper.make_node(op, inputs, [output], **attributes))
        return output


def _fresh_names() -> Iterator[str]:
    index = 0
    while True:
        index += 1
        yield f"t{index}"


def build_onnx_model(net: DlibResNet) -> bytes:
    """Serialized ONNX model computing dlib's 128-d descriptors for a batch of 150x150 chips."""
    from onnx import TensorProto, helper

    g = _GraphBuilder()
    means = np.asarray(net.channel_means, dtype=np.float32).reshape(1, 3, 1, 1)
    # dlib's input layer: (pixel - channel mean) / 256, planes in R, G, B order.
    centred = g.node("Sub", [INPUT_NAME, g.constant(means)])
    x = _Value(
        g.node("Mul", [centred, g.constant(np.asarray(1.0 / 256.0, dtype=np.float32))]),
        (3, net.input_size, net.input_size),
    )
    output = _forward(g, net.layers, x)
    g.nodes[-1].output[0] = OUTPUT_NAME
    graph = helper.make_graph(
        g.nodes,
        "dlib_face_recognition_resnet_model_v1",
        [
            helper.make_tensor_value_info(
                INPUT_NAME, TensorProto.FLOAT, ["batch", 3, net.input_size, net.input_size]
            )
        ],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", output.shape[0]])],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)], producer_name="openkyc")
    return bytes(model.SerializeToString())


def _forward(g: _GraphBuilder, layers: list[Layer], x: _Value) -> _Value:
    """Emit the layers in order, resolving dlib's residual tags.

    After the stem's max-pool every residual block is two conv+affine pairs; its skip input is the
    tensor that entered the block, average-pooled when the block downsamples (dlib's ``skip1`` +
    ``avg_pool``), and ``add_prev`` adds the two zero-padded to the larger shape.
    """
    block_input: _Value | None = None
    skip: _Value | None = None
    convs_in_block = 0
    after_stem = False
    index = 0
    while index < len(layers):
        layer = layers[index]
        if layer.kind == "conv":
            if after_stem:
                if convs_in_block % 2 == 0:
                    block_input = skip = x
                convs_in_block += 1
            following = layers[index + 1] if index + 1 < len(layers) else None
            affine = following if following is not None and following.kind == "affine" else None
            x = _conv(g, x, layer, affine)
            index += 2 if affine is not None else 1
            continue
        if layer.kind == "relu":
            x = _Value(g.node("Relu", [x.name]), x.shape)
        elif layer.kind == "max_pool":
            x = _pool(g, "MaxPool", x, layer)
            after_stem = True
        elif layer.kind == "avg_pool" and layer.kernel == (0, 0):
            x = _Value(g.node("Flatten", [g.node("GlobalAveragePool", [x.name])]), (x.shape[0], 1, 1))
        elif layer.kind == "avg_pool":
            if block_input is None:
                raise ValueError("dlib network: a downsampling skip before any residual block")
            skip = _pool(g, "AveragePool", block_input, layer)
        elif layer.kind == "add_prev":
            if skip is None:
                raise ValueError("dlib network: add_prev without a residual input")
            x = _add_zero_padded(g, x, skip)
        elif layer.kind == "fc" and layer.weights is not None:
            x = _Value(g.node("MatMul", [x.name, g.constant(layer.weights)]), (layer.weights.shape[1], 1, 1))
        else:
            raise ValueError(f"dlib network: unexpected {layer.kind} layer")
        index += 1
    return x


def _conv(g: _GraphBuilder, x: _Value, conv: Layer, affine: Layer | None) -> _Value:
    """Convolution with the following per-channel affine (dlib's frozen batch norm) folded in."""
    if conv.weights is None or conv.bias is None:
        raise ValueError("a convolution layer without weights or bias in the dlib model")
    weights, bias = conv.weights, conv.bias
    if affine is not None and affine.weights is not None:
        gamma, beta = affine.weights[0], affine.weights[1]
        weights = weights * gamma.reshape(-1, 1, 1, 1)
        bias = bias * gamma + beta
    (kh, kw), (sh, sw), (ph, pw) = conv.kernel, conv.stride, conv.padding
    name = g.node(
        "Conv",
        [x.name, g.constant(weights.astype(np.float32)), g.constant(bias.astype(np.float32))],
        kernel_shape=[kh, kw],
        strides=[sh, sw],
        pads=[ph, pw, ph, pw],
    )
    height = (x.shape[1] + 2 * ph - kh) // sh + 1
    width = (x.shape[2] + 2 * pw - kw) // sw + 1
    return _Value(name, (weights.shape[0], height, width))


def _pool(g: _GraphBuilder, op: str, x: _Value, layer: Layer) -> _Value:
    (kh, kw), (sh, sw), (ph, pw) = layer.kernel, layer.stride, layer.padding
    name = g.node(op, [x.name], kernel_shape=[kh, kw], strides=[sh, sw], pads=[ph, pw, ph, pw])
    height = (x.shape[1] + 2 * ph - kh) // sh + 1
    width = (x.shape[2] + 2 * pw - kw) // sw + 1
    return _Value(name, (x.shape[0], height, width))


def _add_zero_padded(g: _GraphBuilder, a: _Value, b: _Value) -> _Value:
    """dlib's add_prev: the output takes the larger of each dimension; missing values count as 0."""
    target = tuple(max(da, db) for da, db in zip(a.shape, b.shape, strict=True))
    names = [_pad_to(g, value, target) for value in (a, b)]
    return _Value(g.node("Add", names), (target[0], target[1], target[2]))


def _pad_to(g: _GraphBuilder, value: _Value, target: tuple[int, ...]) -> str:
    if value.shape == target:
        return value.name
    extra = [t - s for t, s in zip(target, value.shape, strict=True)]
    pads = np.asarray([0, 0, 0, 0, 0, *extra], dtype=np.int64)  # begins (N,C,H,W), then ends
    return g.node("Pad", [value.name, g.constant(pads)])
