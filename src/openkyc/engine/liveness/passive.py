"""Passive liveness on a lone selfie (the documentation's ``Selfie_Check``).

One image carries no motion, so only the traces of a second imaging chain are left: a device bezel
or paper edge framing the face, a screen's pixel grid or a print's halftone (moiré), recapture
blur, the narrower colour gamut and flatter shading of a picture, and the micro-texture all of
these leave (:mod:`openkyc.engine.liveness.recapture`). A small learned model
(:mod:`openkyc.engine.liveness.passive_model`, trained by ``tools/train_passive_liveness.py`` on
real recaptured-photo spoofs and generated ones) weighs them into one spoof probability, held
against two operating points chosen on held-out sources: above the upper one the selfie fails,
between the two it is reviewed. The evidence names the cue groups that drove the score.

A face framed by straight edges on three or four sides (a device or a sheet) fails by itself, as
does a configured ONNX presentation-attack model's verdict. Without the learned model
(``SelfieCheckConfig(recapture_model=None)``) the hand-set rules of the earlier check decide
(periodic pattern, colour moiré, weak cues together, glare).
"""

from __future__ import annotations

from typing import Any

from numpy.typing import NDArray

from openkyc.engine.evidence import Decision, Reason, Signal, worst
from openkyc.engine.liveness.config import SelfieCheckConfig
from openkyc.engine.liveness.evidence import LivenessEvidence
from openkyc.engine.liveness.frames import PrecomputedFace
from openkyc.engine.liveness.fusion import suspicious_cues
from openkyc.engine.liveness.mesh import mesh_box
from openkyc.engine.liveness.passive_model import PassiveModel
from openkyc.engine.liveness.recapture import locate_selfie_face, recapture_features

# Cue groups, as the evidence names them.
GROUP_NAMES = {
    "frame": "framing edges",
    "moire": "moiré/pixel grid",
    "blur": "recapture blur",
    "colour": "colour gamut",
    "shading": "flat shading/glare",
    "texture": "micro-texture",
}
# A group whose share of the model's log-odds reaches this is a named cause (e: the odds of a
# spoof multiplied by about 2.7 by that group alone).
CUE_LEVEL = 1.0


def check_selfie(
    selfie_bgr: NDArray[Any],
    *,
    config: SelfieCheckConfig | None = None,
    analysis: PrecomputedFace | None = None,
) -> LivenessEvidence:
    """Look for signs that the selfie photographs a screen or a print rather than a person."""
    config = config or SelfieCheckConfig()
    # Passive cues need where the face is, not who it is: no embedding is computed.
    mesh = locate_selfie_face(selfie_bgr, analysis)
    if mesh is None:
        return LivenessEvidence(
            decision=Decision.FAIL,
            reasons=[Reason(code="liveness.no_face_selfie", message="no face found in the selfie")],
            mode="passive",
        )
    box = mesh_box(mesh, selfie_bgr.shape[1], selfie_bgr.shape[0])
    signals, judged = judge_features(recapture_features(selfie_bgr, box, mesh), config)
    if config.pad_model is not None:
        signals["pad_model"] = Signal.measure(
            config.pad_model.live_probability(selfie_bgr, box),
            config.min_pad_live,
            detail=f"live probability from {config.pad_model.name}",
        )
        if not signals["pad_model"].passed:
            judged.append(
                (
                    Decision.FAIL,
                    Reason(
                        code="liveness.pad_model_attack",
                        message="the presentation-attack model scored an attack",
                    ),
                )
            )
    return LivenessEvidence(
        decision=worst([decision for decision, _ in judged]),
        reasons=[reason for _, reason in judged],
        signals=signals,
        mode="passive",
        face_box=box,
    )


def judge_features(
    features: dict[str, float], config: SelfieCheckConfig
) -> tuple[dict[str, Signal], list[tuple[Decision, Reason]]]:
    """Signals and (decision, reason) findings from a face's recapture features (no PAD plug-in)."""
    signals: dict[str, Signal] = {
        "enclosing_edges": Signal.measure(
            features["frame.enclosing_sides"],
            config.max_enclosing_sides,
            higher_is_better=False,
            detail="sides of the face with a long straight edge beside them (0-4)",
        )
    }
    judged: list[tuple[Decision, Reason]] = []
    if not signals["enclosing_edges"].passed:
        judged.append(
            (
                Decision.FAIL,
                Reason(
                    code="liveness.device_or_paper_frame",
                    message="straight edges frame the face (a device or a sheet)",
                ),
            )
        )
    if config.recapture_model is not None:
        judged += _judge_model(config.recapture_model, features, config, signals)
    else:
        judged += _judge_rules(features, config, signals)
    return signals, judged


def _judge_model(
    model: PassiveModel, features: dict[str, float], config: SelfieCheckConfig, signals: dict[str, Signal]
) -> list[tuple[Decision, Reason]]:
    """The learned model's score and the share of each cue group in it (added to ``signals``)."""
    vector = model.vector(features)
    probability = float(model.spoof_probability(vector)[0])
    review = model.review_threshold if config.recapture_review is None else config.recapture_review
    fail = model.fail_threshold if config.recapture_fail is None else config.recapture_fail
    head, shares = model.explain(vector)
    signals["recapture_model"] = Signal.measure(
        probability,
        review,
        higher_is_better=False,
        detail=f"spoof probability from the passive recapture model (fails at {fail:.3f}; "
        f"strongest head: {head})",
    )
    for group, share in shares.items():
        signals[f"cue_{group}"] = Signal.measure(
            share,
            CUE_LEVEL,
            higher_is_better=False,
            detail=f"share of the model's log-odds from {GROUP_NAMES.get(group, group)} cues "
            "(positive: spoof-like)",
        )
    if probability < review:
        return []
    causes = [GROUP_NAMES.get(g, g) for g, v in sorted(shares.items(), key=lambda kv: -kv[1]) if v > 0][:3]
    because = f"closest to a {head} recapture" + (f"; strongest cues: {', '.join(causes)}" if causes else "")
    if probability >= fail:
        return [
            (
                Decision.FAIL,
                Reason(
                    code="liveness.surface_cues",
                    message=f"the selfie looks re-photographed ({because})",
                ),
            )
        ]
    return [
        (
            Decision.REVIEW,
            Reason(
                code="liveness.surface_cues",
                message=f"the selfie may be re-photographed ({because})",
            ),
        )
    ]


def _judge_rules(
    features: dict[str, float], config: SelfieCheckConfig, signals: dict[str, Signal]
) -> list[tuple[Decision, Reason]]:
    """The hand-set rules of the check before the learned model (used when it is switched off)."""
    signals["periodic_pattern"] = Signal.measure(
        features["moire.periodic_pattern"],
        config.max_periodic_pattern,
        higher_is_better=False,
        detail="spectral peak prominence on the face (moiré, pixel grid, halftone)",
    )
    signals["chroma_moire"] = Signal.measure(
        features["moire.chroma_moire"],
        config.max_chroma_moire,
        higher_is_better=False,
        detail="fine chroma over fine luma detail in the face (colour moiré)",
    )
    signals["surface_cues"] = Signal.measure(
        suspicious_cues(
            features["moire.periodic_pattern"],
            features["moire.chroma_moire"],
            features["frame.enclosing_sides"],
            config.surface_suspicion,
        ),
        config.max_suspicious_cues,
        higher_is_better=False,
        detail="surface cues at their suspicion level (periodic pattern, colour moiré, edges; 0-3)",
    )
    # The feature is the square root of the glare fraction (it spreads the small values).
    signals["face_glare"] = Signal.measure(
        features["shading.glare"] ** 2,
        config.max_face_glare,
        higher_is_better=False,
        detail="specular highlight area",
    )
    rules = (
        (
            "periodic_pattern",
            "liveness.screen_or_print_texture",
            "a periodic pattern covers the face",
            Decision.FAIL,
        ),
        (
            "chroma_moire",
            "liveness.colour_moire",
            "fine colour detail covers the face (a screen's or print's moiré)",
            Decision.FAIL,
        ),
        (
            "surface_cues",
            "liveness.surface_cues",
            "several weak signs of a screen or print together (texture, colour moiré, framing edges)",
            Decision.FAIL,
        ),
        (
            "face_glare",
            "liveness.glare_on_face",
            "glare on the face (screen glass or glossy paper)",
            Decision.REVIEW,
        ),
    )
    return [
        (outcome, Reason(code=code, message=message))
        for name, code, message, outcome in rules
        if not signals[name].passed
    ]
