"""Reading the layers and weights out of dlib's serialized face-recognition ResNet (``.dat``).

dlib serializes a network input-first: the input layer, then each layer's details in forward
order. Integers use dlib's compact encoding (a control byte holding the byte count, bit 7 the
sign, then little-endian bytes); floats outside tensors are a mantissa and a base-2 exponent;
tensors are a version, four dimensions and raw little-endian float32 values. Only the layer kinds
dlib's ``dlib_face_recognition_resnet_model_v1`` uses are understood; anything else is an error,
never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from openkyc.engine.errors import ModelUnavailable

# A layer's details start with its name as a length-prefixed string (length < 256 ⇒ "\x01<len>").
_LAYER_NAMES = (b"con_4", b"affine_", b"relu_", b"max_pool_2", b"avg_pool_2", b"add_prev_", b"fc_2")
_LAYER_MARKER = re.compile(b"|".join(re.escape(bytes([1, len(n)]) + n) for n in _LAYER_NAMES))
_INPUT_MARKER = b"\x01\x15input_rgb_image_sized"


@dataclass(frozen=True)
class Layer:
    """One layer of the network with the parameters the forward pass needs."""

    kind: str  # "conv", "affine", "relu", "max_pool", "avg_pool", "add_prev", "fc"
    weights: NDArray[np.float32] | None = None  # conv: OIHW; affine: (2, C) gamma/beta; fc: (in, out)
    bias: NDArray[np.float32] | None = None  # conv only
    kernel: tuple[int, int] = (0, 0)  # conv/pool; (0, 0) pooling means "over the whole image"
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class DlibResNet:
    """The parsed network: the input's per-channel means (RGB) and its layers in forward order."""

    input_size: int
    channel_means: tuple[float, float, float]
    layers: list[Layer] = field(default_factory=list)


class _Reader:
    """Sequential reader of dlib's serialization primitives over a byte buffer."""

    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def int(self) -> int:
        control = self.data[self.pos]
        size = control & 0x0F
        if size > 8:
            raise ModelUnavailable(f"corrupt dlib integer at byte {self.pos}")
        value = int.from_bytes(self.data[self.pos + 1 : self.pos + 1 + size], "little")
        self.pos += 1 + size
        return -value if control & 0x80 else value

    def float(self) -> float:
        mantissa = self.int()
        exponent = self.int()
        return float(mantissa) * 2.0**exponent

    def string(self) -> str:
        length = self.int()
        text = self.data[self.pos : self.pos + length].decode("ascii")
        self.pos += length
        return text

    def tensor(self) -> NDArray[np.float32]:
        version = self.int()
        if version != 2:
            raise ModelUnavailable(f"unsupported dlib tensor version {version}")
        shape = tuple(self.int() for _ in range(4))
        count = int(np.prod(shape))
        values = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.pos)
        self.pos += 4 * count
        return values.astype(np.float32)


def read_dlib_resnet(path: Path) -> DlibResNet:
    """Parse ``dlib_face_recognition_resnet_model_v1.dat`` into layers with numpy weights."""
    data = path.read_bytes()
    start = data.find(_INPUT_MARKER)
    if start < 0:
        raise ModelUnavailable(f"{path.name} is not a dlib network with an RGB image input")
    reader = _Reader(data, start)
    reader.string()
    means = (reader.float(), reader.float(), reader.float())
    size = reader.int()
    layers: list[Layer] = []
    while (match := _LAYER_MARKER.search(data, reader.pos)) is not None:
        reader.pos = match.start()
        layers.append(_read_layer(reader))
    if not layers or layers[-1].kind != "fc":
        raise ModelUnavailable(f"{path.name}: expected the network to end in a fully connected layer")
    return DlibResNet(input_size=size, channel_means=means, layers=layers)


def _read_layer(reader: _Reader) -> Layer:
    name = reader.string()
    if name == "con_4":
        return _read_conv(reader)
    if name == "affine_":
        params = reader.tensor()
        return Layer("affine", weights=params.reshape(2, -1))  # gamma then beta, one per channel
    if name in ("max_pool_2", "avg_pool_2"):
        nr, nc, stride_y, stride_x, pad_y, pad_x = (reader.int() for _ in range(6))
        kind = "max_pool" if name == "max_pool_2" else "avg_pool"
        return Layer(kind, kernel=(nr, nc), stride=(stride_y, stride_x), padding=(pad_y, pad_x))
    if name == "fc_2":
        outputs, inputs = reader.int(), reader.int()
        params = reader.tensor()
        if params.size != outputs * inputs:
            raise ModelUnavailable("dlib fc layer with a bias is not supported")
        return Layer("fc", weights=params.reshape(inputs, outputs))
    return Layer("relu" if name == "relu_" else "add_prev")


def _read_conv(reader: _Reader) -> Layer:
    params = reader.tensor()
    filters, nr, nc, stride_y, stride_x, pad_y, pad_x = (reader.int() for _ in range(7))
    weight_count = params.size - filters  # the bias follows the filters in one parameter tensor
    channels = weight_count // (filters * nr * nc)
    if channels * filters * nr * nc != weight_count:
        raise ModelUnavailable("dlib conv layer parameters do not match its shape")
    weights: NDArray[Any] = params[:weight_count].reshape(filters, channels, nr, nc)
    return Layer(
        "conv",
        weights=weights,
        bias=params[weight_count:],
        kernel=(nr, nc),
        stride=(stride_y, stride_x),
        padding=(pad_y, pad_x),
    )
