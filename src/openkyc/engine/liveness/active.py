"""Active liveness: a selfie plus the 4-8 frames the SDK captured while the user smiled.

The decision rests first on geometry and identity, which any replayed picture must break:

* ``identity``: every frame shows the selfie's person (lowest embedding similarity);
* ``distinctness``: the frames are not one still replayed (aligned face crops differ);
* ``non_planarity``: the face changed as a 3-D, deformable head does, not as a flat picture
  moved rigidly (homography residuals of tracked face points and of the face mesh, combined;
  each is also reported alone and does not decide by itself);

and then on weaker cues: ``expression_change`` (mouth/eye measures), ``periodic_pattern``
(moiré, pixel grid or halftone on the face), ``chroma_moire`` (fine colour detail that skin
lacks), ``enclosing_edges`` (a bezel or a sheet's edges framing the face) and ``surface_cues``
(two of those three suspicious together), plus ``pad_model`` when an operator configured one.

On two cores a sequence is answered sooner with one helper thread: the point tracking (OpenCV,
which releases the GIL) runs beside the texture and framing signals, and a pipeline may find the
frames' faces while it analyses the selfie (:func:`prefetch_frame_faces`). The work and every
score are the same as computed one after the other.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray

from openkyc.engine.evidence import Decision, Reason, Signal, worst
from openkyc.engine.face.compare import similarity
from openkyc.engine.liveness.config import LivenessConfig
from openkyc.engine.liveness.duplicates import chip_distinctness
from openkyc.engine.liveness.edges import enclosing_sides
from openkyc.engine.liveness.evidence import LivenessEvidence
from openkyc.engine.liveness.expression import expression_change
from openkyc.engine.liveness.frames import FrameFace, PrecomputedFace, analyse_frame, analyse_frames
from openkyc.engine.liveness.fusion import suspicious_cues
from openkyc.engine.liveness.motion import combined_non_planarity, mesh_non_planarity, non_planarity
from openkyc.engine.liveness.texture import chroma_moire, face_region, periodic_pattern


def check_liveness(
    selfie_bgr: NDArray[Any],
    frames_bgr: Sequence[NDArray[Any]],
    *,
    config: LivenessConfig | None = None,
    analyses: Sequence[PrecomputedFace | None] | None = None,
    frame_faces: Sequence[FrameFace | None] | None = None,
) -> LivenessEvidence:
    """Decide whether a selfie and its liveness frames come from a live person in front of the camera.

    ``analyses`` optionally holds what a pipeline already computed with ``openkyc.engine.face``
    for ``[selfie, *frames]`` (in that order; it may be shorter, e.g. only the selfie's): their
    chips and embeddings are reused instead of computed again. ``frame_faces``: the frames'
    :func:`analyse_frames`, when a pipeline already ran it (see :func:`prefetch_frame_faces`).
    """
    config = config or LivenessConfig()
    received = len(frames_bgr)
    if received < config.min_frames or received > config.max_frames:
        code, word = (
            ("too_few_frames", "few") if received < config.min_frames else ("too_many_frames", "many")
        )
        return LivenessEvidence(
            decision=Decision.FAIL,
            reasons=[
                Reason(
                    code=f"liveness.{code}",
                    message=f"{received} liveness frames is too {word}; {config.min_frames} to "
                    f"{config.max_frames} are needed",
                )
            ],
            mode="active",
            frames_received=received,
        )
    known = list(analyses or [])
    known += [None] * (received + 1 - len(known))
    selfie = analyse_frame(selfie_bgr, known[0])
    if selfie is None:
        return LivenessEvidence(
            decision=Decision.FAIL,
            reasons=[Reason(code="liveness.no_face_selfie", message="no face found in the selfie")],
            mode="active",
            frames_received=received,
        )
    faces = list(frame_faces) if frame_faces is not None else analyse_frames(frames_bgr, known[1:])
    if len(faces) != received:
        raise ValueError(f"{len(faces)} frame analyses for {received} frames")
    found = [face for face in faces if face is not None]
    similarities = [None if f is None else round(similarity(selfie.embedding, f.embedding), 6) for f in faces]
    common = {
        "mode": "active",
        "frames_received": received,
        "frames_with_face": len(found),
        "frame_similarities": similarities,
        "face_box": selfie.box,
    }
    reasons: list[Reason] = []
    decisions: list[Decision] = []
    missing = received - len(found)
    if missing:
        reasons.append(
            Reason(code="liveness.face_missing", message=f"no face found in {missing} of {received} frames")
        )
        decisions.append(Decision.REVIEW)
    if len(found) < config.min_frames:
        reasons.append(
            Reason(
                code="liveness.too_few_faces",
                message=f"a face was found in only {len(found)} frames; {config.min_frames} are needed",
            )
        )
        return LivenessEvidence(decision=Decision.FAIL, reasons=reasons, **common)  # type: ignore[arg-type]

    signals = liveness_signals(selfie_bgr, selfie, frames_bgr, faces, config)
    for outcome, reason in judge_signals(signals, config):
        reasons.append(reason)
        decisions.append(outcome)
    return LivenessEvidence(decision=worst(decisions), reasons=reasons, signals=signals, **common)  # type: ignore[arg-type]


# Signal name -> (config field holding its threshold, reason code, message, outcome on failure).
# Signals absent here (the two planarity components, and expression change unless required) are
# reported but do not decide.
RULES: dict[str, tuple[str, str, str, Decision]] = {
    "identity": (
        "min_identity",
        "liveness.identity_mismatch",
        "a frame shows a different person from the selfie",
        Decision.FAIL,
    ),
    "distinctness": (
        "min_distinctness",
        "liveness.replayed_still",
        "the frames are copies of one still picture",
        Decision.FAIL,
    ),
    "non_planarity": (
        "min_non_planarity",
        "liveness.planar_motion",
        "the face moved as a flat picture, not a head",
        Decision.FAIL,
    ),
    "periodic_pattern": (
        "max_periodic_pattern",
        "liveness.screen_or_print_texture",
        "a periodic pattern (screen pixels, moiré or print halftone) covers the face",
        Decision.FAIL,
    ),
    "chroma_moire": (
        "max_chroma_moire",
        "liveness.colour_moire",
        "fine colour detail covers the face (a screen's or print's moiré)",
        Decision.FAIL,
    ),
    "enclosing_edges": (
        "max_enclosing_sides",
        "liveness.device_or_paper_frame",
        "straight edges frame the face (a device or a sheet)",
        Decision.FAIL,
    ),
    "surface_cues": (
        "max_suspicious_cues",
        "liveness.surface_cues",
        "several weak signs of a screen or print together (texture, colour moiré, framing edges)",
        Decision.FAIL,
    ),
    "pad_model": (
        "min_pad_live",
        "liveness.pad_model_attack",
        "the presentation-attack model scored an attack",
        Decision.FAIL,
    ),
}
EXPRESSION_RULE = (
    "min_expression_change",
    "liveness.no_expression_change",
    "the expression did not change",
    Decision.REVIEW,
)


def judge_signals(signals: dict[str, Signal], config: LivenessConfig) -> list[tuple[Decision, Reason]]:
    """The outcome and reason of every deciding signal that failed."""
    rules = dict(RULES)
    if config.require_expression_change:
        rules["expression_change"] = EXPRESSION_RULE
    failed = []
    for name, (_, code, message, outcome) in rules.items():
        signal = signals.get(name)
        if signal is not None and not signal.passed:
            failed.append((outcome, Reason(code=code, message=message)))
    return failed


_executor: tuple[int, ThreadPoolExecutor] | None = None
_executor_lock = threading.Lock()


def _background() -> ThreadPoolExecutor:
    """One thread per process for the work that runs beside the main thread (the frames' faces
    while the selfie is analysed, the point tracking while the other signals are measured), created
    on first use, and again in a forked child (a fork copies the executor but not its thread, which
    would leave work queued forever)."""
    global _executor
    with _executor_lock:
        if _executor is None or _executor[0] != os.getpid():
            _executor = (
                os.getpid(),
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="liveness-tracking"),
            )
        return _executor[1]


def prefetch_frame_faces(
    frames_bgr: Sequence[NDArray[Any]], config: LivenessConfig | None = None
) -> Future[list[FrameFace | None]] | None:
    """Start finding the faces of the liveness frames in the background (None when their number
    is out of bounds and :func:`check_liveness` will not look at them): a pipeline analyses the
    selfie meanwhile, then passes the result as ``frame_faces``."""
    config = config or LivenessConfig()
    if not config.min_frames <= len(frames_bgr) <= config.max_frames:
        return None
    return _background().submit(analyse_frames, list(frames_bgr))


def liveness_signals(
    selfie_bgr: NDArray[Any],
    selfie: FrameFace,
    frames_bgr: Sequence[NDArray[Any]],
    faces: Sequence[FrameFace | None],
    config: LivenessConfig,
) -> dict[str, Signal]:
    """Every active-liveness signal over the selfie and the frames in which a face was found."""
    pairs = [(selfie_bgr, selfie)] + [
        (bgr, f) for bgr, f in zip(frames_bgr, faces, strict=True) if f is not None
    ]
    found = [f for _, f in pairs[1:]]
    meshes = [f.mesh for _, f in pairs]
    # The point tracking (OpenCV, which lets go of the GIL) runs beside the other signals: on two
    # cores the sequence's answer comes sooner, the work done is the same.
    tracking = _background().submit(non_planarity, [bgr for bgr, _ in pairs], meshes)
    identity = min(similarity(selfie.embedding, f.embedding) for f in found)
    mesh = mesh_non_planarity(meshes)
    change, measure = expression_change(meshes)
    # Texture: the highest frame (an attack needs to leak in only one); framing edges: the median
    # frame (a hand-held prop's outline stays in view, a stray line in one frame is not a frame).
    periodic = max(periodic_pattern(face_region(bgr, f.box)) for bgr, f in pairs)
    moire = max(chroma_moire(bgr, f.mesh) for bgr, f in pairs)
    sides = float(np.median([enclosing_sides(bgr, f.box) for bgr, f in pairs]))
    cues = suspicious_cues(periodic, moire, sides, config.surface_suspicion)
    tracked = tracking.result()
    signals = {
        "identity": Signal.measure(
            identity, config.min_identity, detail="lowest frame-to-selfie face similarity"
        ),
        "distinctness": Signal.measure(
            chip_distinctness([f.chip for _, f in pairs]),
            config.min_distinctness,
            detail="median pairwise difference of standardised face crops",
        ),
        "non_planarity_tracks": Signal.measure(
            tracked,
            config.min_non_planarity_tracks,
            detail="median pairwise homography residual of tracked face points",
        ),
        "non_planarity_mesh": Signal.measure(
            mesh,
            config.min_non_planarity_mesh,
            detail="median pairwise homography residual of face-mesh landmarks",
        ),
        "non_planarity": Signal.measure(
            combined_non_planarity(tracked, mesh),
            config.min_non_planarity,
            detail="geometric mean of the tracked and mesh residuals, inter-ocular units",
        ),
        "expression_change": Signal.measure(
            change,
            config.min_expression_change,
            detail=f"largest expression range ({measure}), inter-ocular units",
        ),
        "periodic_pattern": Signal.measure(
            periodic,
            config.max_periodic_pattern,
            higher_is_better=False,
            detail="highest frame's spectral peak prominence on the face (moiré, pixel grid, halftone)",
        ),
        "chroma_moire": Signal.measure(
            moire,
            config.max_chroma_moire,
            higher_is_better=False,
            detail="highest frame's fine chroma over fine luma detail in the face (colour moiré)",
        ),
        "enclosing_edges": Signal.measure(
            sides,
            config.max_enclosing_sides,
            higher_is_better=False,
            detail="median sides of the face with a long straight edge beside them (0-4)",
        ),
        "surface_cues": Signal.measure(
            cues,
            config.max_suspicious_cues,
            higher_is_better=False,
            detail="surface cues at their suspicion level (periodic pattern, colour moiré, edges; 0-3)",
        ),
    }
    if config.pad_model is not None:
        live = float(np.median([config.pad_model.live_probability(bgr, f.box) for bgr, f in pairs]))
        signals["pad_model"] = Signal.measure(
            live, config.min_pad_live, detail=f"median live probability from {config.pad_model.name}"
        )
    return signals
