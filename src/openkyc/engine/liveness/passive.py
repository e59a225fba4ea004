"""Passive liveness on a lone selfie (the seeds' ``Selfie_Check``).

One image carries no motion, so only surface and scene cues are left: a device bezel or paper edge
framing the face, a periodic pattern on it (screen pixels, moiré, halftone), fine colour detail
(moiré), two of those weakly present together, glare on it; plus a trained model when an
operator configured one. These are weaker than the
active check's geometry: a tight, well-lit print or screen can pass them.
"""

from __future__ import annotations

from typing import Any

from numpy.typing import NDArray

from openkyc.engine.evidence import Decision, Reason, Signal, worst
from openkyc.engine.liveness.config import SelfieCheckConfig
from openkyc.engine.liveness.edges import enclosing_sides
from openkyc.engine.liveness.evidence import LivenessEvidence
from openkyc.engine.liveness.frames import PrecomputedFace, locate_face
from openkyc.engine.liveness.fusion import suspicious_cues
from openkyc.engine.liveness.mesh import mesh_box
from openkyc.engine.liveness.texture import chroma_moire, face_glare, face_region, periodic_pattern


def check_selfie(
    selfie_bgr: NDArray[Any],
    *,
    config: SelfieCheckConfig | None = None,
    analysis: PrecomputedFace | None = None,
) -> LivenessEvidence:
    """Look for signs that the selfie photographs a screen or a print rather than a person."""
    config = config or SelfieCheckConfig()
    # Passive cues need where the face is, not who it is: no embedding is computed.
    mesh = locate_face(selfie_bgr, analysis)
    if mesh is None:
        return LivenessEvidence(
            decision=Decision.FAIL,
            reasons=[Reason(code="liveness.no_face_selfie", message="no face found in the selfie")],
            mode="passive",
        )
    box = mesh_box(mesh, selfie_bgr.shape[1], selfie_bgr.shape[0])
    signals = selfie_signals(selfie_bgr, box, config, mesh)
    rules = [
        (
            "enclosing_edges",
            "liveness.device_or_paper_frame",
            "straight edges frame the face (a device or a sheet)",
            Decision.FAIL,
        ),
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
        (
            "pad_model",
            "liveness.pad_model_attack",
            "the presentation-attack model scored an attack",
            Decision.FAIL,
        ),
    ]
    reasons: list[Reason] = []
    decisions: list[Decision] = []
    for name, code, message, outcome in rules:
        signal = signals.get(name)
        if signal is not None and not signal.passed:
            reasons.append(Reason(code=code, message=message))
            decisions.append(outcome)
    return LivenessEvidence(
        decision=worst(decisions), reasons=reasons, signals=signals, mode="passive", face_box=box
    )


def selfie_signals(
    bgr: NDArray[Any],
    box: tuple[int, int, int, int],
    config: SelfieCheckConfig,
    mesh: NDArray[Any] | None = None,
) -> dict[str, Signal]:
    """Every passive signal for the face in ``box`` (``chroma_moire`` only when its mesh is given)."""
    region = face_region(bgr, box)
    signals = {
        "enclosing_edges": Signal.measure(
            enclosing_sides(bgr, box),
            config.max_enclosing_sides,
            higher_is_better=False,
            detail="sides of the face with a long straight edge beside them (0-4)",
        ),
        "periodic_pattern": Signal.measure(
            periodic_pattern(region),
            config.max_periodic_pattern,
            higher_is_better=False,
            detail="spectral peak prominence on the face (moiré, pixel grid, halftone)",
        ),
        "face_glare": Signal.measure(
            face_glare(region),
            config.max_face_glare,
            higher_is_better=False,
            detail="specular highlight area",
        ),
    }
    if mesh is not None:
        signals["chroma_moire"] = Signal.measure(
            chroma_moire(bgr, mesh),
            config.max_chroma_moire,
            higher_is_better=False,
            detail="fine chroma over fine luma detail in the face (colour moiré)",
        )
        cues = suspicious_cues(
            signals["periodic_pattern"].score,
            signals["chroma_moire"].score,
            signals["enclosing_edges"].score,
            config.surface_suspicion,
        )
        signals["surface_cues"] = Signal.measure(
            cues,
            config.max_suspicious_cues,
            higher_is_better=False,
            detail="surface cues at their suspicion level (periodic pattern, colour moiré, edges; 0-3)",
        )
    if config.pad_model is not None:
        signals["pad_model"] = Signal.measure(
            config.pad_model.live_probability(bgr, box),
            config.min_pad_live,
            detail=f"live probability from {config.pad_model.name}",
        )
    return signals
