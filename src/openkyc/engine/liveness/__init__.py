"""Liveness: active (selfie + frames) and passive (lone selfie) presentation-attack checks."""

from openkyc.engine.liveness.active import check_liveness
from openkyc.engine.liveness.config import LivenessConfig, SelfieCheckConfig
from openkyc.engine.liveness.evidence import LivenessEvidence
from openkyc.engine.liveness.passive import check_selfie
from openkyc.engine.liveness.plugin import OnnxPadModel, PadInputSpec, PresentationAttackModel

__all__ = [
    "LivenessConfig",
    "LivenessEvidence",
    "OnnxPadModel",
    "PadInputSpec",
    "PresentationAttackModel",
    "SelfieCheckConfig",
    "check_liveness",
    "check_selfie",
]
