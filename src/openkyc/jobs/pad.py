"""The operator's presentation-attack (PAD) model, chosen by ``OPENKYC_PAD_MODEL_PROVIDER``, in the
liveness checks of every job and synchronous verification.

Without one (the default) the engine's own liveness configurations are used unchanged. With one,
both checks (active with frames, passive on a lone selfie) add its ``pad_model`` signal at the
``OPENKYC_PAD_MIN_LIVE`` threshold. The built-in ``onnx`` provider loads ``OPENKYC_PAD_MODEL_PATH``
with :class:`~openkyc.engine.liveness.plugin.OnnxPadModel`; any other
:class:`~openkyc.engine.liveness.plugin.PresentationAttackModel` plugs in by a factory of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from pydantic import TypeAdapter

from openkyc.config import Settings
from openkyc.engine.errors import ModelUnavailable
from openkyc.engine.liveness import LivenessConfig, SelfieCheckConfig
from openkyc.engine.liveness.plugin import OnnxPadModel, PadInputSpec, PresentationAttackModel
from openkyc.providers import PAD_MODEL
from openkyc.runtime import Runtime


def onnx_pad_model(settings: Settings) -> OnnxPadModel:
    """The ``onnx`` provider: the model file of ``OPENKYC_PAD_MODEL_PATH``, loaded now."""
    if settings.pad_model_path is None:
        raise ValueError("OPENKYC_PAD_MODEL_PATH is not set")
    # Validated here: a typo in the JSON (a misspelt field, an unknown channel order) stops the
    # start instead of silently running the model on differently prepared pixels.
    unknown = sorted(set(settings.pad_model_spec) - set(PadInputSpec.__dataclass_fields__))
    if unknown:
        raise ValueError(f"OPENKYC_PAD_MODEL_SPEC has unknown fields {unknown}")
    spec = TypeAdapter(PadInputSpec).validate_python(settings.pad_model_spec)
    try:
        return OnnxPadModel(settings.pad_model_path, spec)
    except ModelUnavailable as error:
        raise ValueError(str(error)) from error
    except Exception as error:
        # onnxruntime's refusals (InvalidProtobuf, Fail, ...) derive from Exception alone; at start,
        # any of them means the setting names no usable model.
        raise ValueError(f"onnxruntime cannot load {settings.pad_model_path.name!r}: {error}") from error


@dataclass(frozen=True)
class LivenessConfigs:
    """What the engine's checks take; None is the engine's default (no PAD model)."""

    active: LivenessConfig | None = None
    passive: SelfieCheckConfig | None = None


def liveness_configs(runtime: Runtime) -> LivenessConfigs:
    """The liveness configurations with the runtime's PAD model, if it has one."""
    model = cast(PresentationAttackModel | None, runtime.providers[PAD_MODEL])  # checked at start
    if model is None:
        return LivenessConfigs()
    threshold = runtime.settings.pad_min_live
    return LivenessConfigs(
        active=LivenessConfig(pad_model=model, min_pad_live=threshold),
        passive=SelfieCheckConfig(pad_model=model, min_pad_live=threshold),
    )
