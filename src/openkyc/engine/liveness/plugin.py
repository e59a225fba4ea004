"""Plug-in point for a trained presentation-attack-detection (PAD) model.

No model is bundled: none with a usable licence ships in any wheel here. An operator who has one
(exported to ONNX) configures it and both liveness checks then add its ``pad_model`` signal.

Input contract of :class:`OnnxPadModel`:

* the face box is grown by ``crop_scale`` around its centre into a square (out-of-image parts
  are filled by replicating the border) and resized to the model's input size;
* the size is read from the model's input shape, ``(1, 3, H, W)`` (NCHW) or ``(1, H, W, 3)``
  (NHWC); dimensions the model leaves dynamic are taken from ``input_size``;
* pixels are ``channel_order`` (RGB by default), float32, ``(value * scale - mean) / std`` per
  channel (defaults: scale 1/255, mean 0, std 1, i.e. 0-1 floats).

Output contract: the first output is either one number per image (the live probability, or a
logit when ``output="logit"``), or one score per class, in which case ``live_index`` names the
live class. With ``output="auto"`` a single number outside 0-1 is taken as a logit and class
scores that are not already probabilities (non-negative, summing to 1) go through a softmax.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import cv2
import numpy as np
from numpy.typing import NDArray

from openkyc.engine.errors import ModelUnavailable


@runtime_checkable
class PresentationAttackModel(Protocol):
    """Anything that scores one face as live (1.0) or an attack (0.0)."""

    @property
    def name(self) -> str: ...

    def live_probability(self, bgr: NDArray[Any], box: tuple[int, int, int, int]) -> float:
        """Probability that the face in ``box`` of ``bgr`` is a live person."""
        ...


@dataclass(frozen=True)
class PadInputSpec:
    """How a face crop is turned into the model's input tensor (see the module docstring)."""

    crop_scale: float = 1.5
    input_size: tuple[int, int] = (224, 224)  # (height, width) when the model's are dynamic
    channel_order: Literal["RGB", "BGR"] = "RGB"
    scale: float = 1.0 / 255.0
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    output: Literal["auto", "probability", "logit"] = "auto"
    live_index: int = 1


class OnnxPadModel:
    """A PAD model in ONNX format run with onnxruntime on CPU; loaded once, at construction."""

    def __init__(
        self, path: str | Path, spec: PadInputSpec | None = None, *, name: str | None = None
    ) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.is_file():
            raise ModelUnavailable(f"presentation-attack model {self.path.name!r} not found")
        self.spec = spec or PadInputSpec()
        self._name = name or self.path.stem
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # liveness runs beside other work on few cores
        self._session: Any = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        model_input = self._session.get_inputs()[0]
        self._input_name: str = model_input.name
        shape = list(model_input.shape)
        if len(shape) != 4:
            raise ModelUnavailable(f"PAD model input must be 4-D (N,C,H,W or N,H,W,C), got {shape}")
        self.channels_first = shape[1] == 3
        if not self.channels_first and shape[3] != 3:
            raise ModelUnavailable(f"PAD model input must have 3 channels, got shape {shape}")
        dims = shape[2:4] if self.channels_first else shape[1:3]
        self.input_height = dims[0] if isinstance(dims[0], int) else self.spec.input_size[0]
        self.input_width = dims[1] if isinstance(dims[1], int) else self.spec.input_size[1]

    @property
    def name(self) -> str:
        return self._name

    def preprocess(self, bgr: NDArray[Any], box: tuple[int, int, int, int]) -> NDArray[Any]:
        """The model's input tensor (batch of one) for the face in ``box``."""
        left, top, right, bottom = box
        cx, cy = (left + right) / 2, (top + bottom) / 2
        half = max(right - left, bottom - top) * self.spec.crop_scale / 2
        src = np.array([[cx - half, cy - half], [cx + half, cy - half], [cx - half, cy + half]], np.float32)
        dst = np.array([[0, 0], [self.input_width, 0], [0, self.input_height]], np.float32)
        affine = cv2.getAffineTransform(src, dst)
        crop = cv2.warpAffine(
            bgr,
            affine,
            (self.input_width, self.input_height),
            flags=cv2.INTER_AREA,
            borderMode=cv2.BORDER_REPLICATE,
        )
        if self.spec.channel_order == "RGB":
            crop = crop[:, :, ::-1]
        data = crop.astype(np.float32) * np.float32(self.spec.scale)
        data = (data - np.asarray(self.spec.mean, np.float32)) / np.asarray(self.spec.std, np.float32)
        if self.channels_first:
            data = data.transpose(2, 0, 1)
        return np.ascontiguousarray(data[None, ...], dtype=np.float32)

    def live_probability(self, bgr: NDArray[Any], box: tuple[int, int, int, int]) -> float:
        output = np.asarray(
            self._session.run(None, {self._input_name: self.preprocess(bgr, box)})[0], np.float64
        )
        scores = output.reshape(-1)
        if scores.size == 1:
            value = float(scores[0])
            is_logit = self.spec.output == "logit" or (self.spec.output == "auto" and not 0.0 <= value <= 1.0)
            return _sigmoid(value) if is_logit else value
        is_probability = self.spec.output == "probability" or (
            self.spec.output == "auto" and bool(np.all(scores >= 0)) and abs(float(scores.sum()) - 1.0) < 1e-3
        )
        if is_probability:
            return float(scores[self.spec.live_index])
        shifted = np.exp(scores - scores.max())
        return float(shifted[self.spec.live_index] / shifted.sum())


def _sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))
