"""Thresholds and policy of the liveness checks, as named defaults.

Thresholds were set from ``benchmarks/liveness_bench.py`` (see the comment on each); a product can
hold its own by passing a modified copy (``dataclasses.replace``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openkyc.engine.liveness.fusion import SuspicionLevels
from openkyc.engine.liveness.passive_model import PassiveModel, bundled_model
from openkyc.engine.liveness.plugin import PresentationAttackModel


@dataclass(frozen=True)
class LivenessConfig:
    """Active liveness: a selfie plus the frames captured while the user smiles."""

    # The Smile ID SDKs send 4 to 8 liveness frames.
    min_frames: int = 4
    max_frames: int = 8
    # Thresholds marked [bench] were set by `python -m benchmarks.liveness_bench` on 2026-11-22
    # (100 generated attacks per class, 150 genuine video sequences; see the report there).

    # Lowest similarity (1 - dlib embedding distance) any frame's face may have to the selfie's.
    # [bench] swapped-in strangers scored at most 0.32, genuine frames p5 0.47; 0.40 is also
    # dlib's customary 0.6 distance.
    min_identity: float = 0.40
    # Median pairwise difference of standardised aligned face crops below which the frames are
    # one still replayed. [bench] replays p99 0.068, genuine p1 0.095.
    min_distinctness: float = 0.09
    # Geometric mean of the median pairwise homography residuals of tracked face points and of
    # face-mesh landmarks (inter-ocular units) below which the face moved as a flat picture.
    # [bench] the distributions overlap: prints p99 0.0118, screens p99 0.0145, genuine p5 0.0090.
    # 0.010 trades genuine pass 88% against print 100% / screen 87% rejection.
    min_non_planarity: float = 0.010
    # The two residuals alone, reported for review; they do not decide on their own.
    min_non_planarity_tracks: float = 0.009
    min_non_planarity_mesh: float = 0.014
    # Largest range of mouth width / mouth opening / eye opening (inter-ocular units).
    min_expression_change: float = 0.05
    # The genuine material available (people walking, not asked to smile) cannot calibrate this,
    # so by default a missing expression change is reported in the signal but does not decide.
    require_expression_change: bool = False
    # Spectral peak prominence (log units) of a periodic pattern on the face, highest over the
    # selfie and frames: a screen's moiré beat shifts with every small movement, so one frame can
    # show it when the others do not, while a live face's texture stays the same.
    # [bench] set above the sharp genuine shared photos' p99 (1.25), not from the smooth, upscaled
    # video crops (p99 1.13), which would overfit.
    max_periodic_pattern: float = 1.3
    # Fine chroma detail over fine luma detail in the face (colour moiré), highest over frames.
    # [bench 2026-11-22, helper 2] set above the sharp genuine shared photos' maximum (0.318,
    # n=104; the smooth video crops reach 0.17), not from the video: screens p50 0.36, prints 0.34.
    # Full bench run 02:33: genuine sequences max 0.156; it alone rejects 62 of 100 screens.
    max_chroma_moire: float = 0.33
    # Sides of the face (0-4) framed by long straight edges (a bezel, a sheet's edge), median over
    # the selfie and frames (a live background framing the face in one frame does so in all; a
    # stray line in one frame does not count). As for the selfie check: 3 or more is a frame.
    # [bench 2026-11-22] genuine video frames show at most 1 side, genuine shared photos 3+ in 2/104.
    max_enclosing_sides: float = 3
    # Weak surface cues (periodic pattern, chroma moiré: highest over frames; framing edges:
    # median) at their suspicion levels: this many together fail (see fusion.py).
    surface_suspicion: SuspicionLevels = field(default_factory=SuspicionLevels)
    max_suspicious_cues: int = 2
    # A trained presentation-attack model, when the operator has one, and its live threshold.
    pad_model: PresentationAttackModel | None = None
    min_pad_live: float = 0.5


@dataclass(frozen=True)
class SelfieCheckConfig:
    """Passive checks on one selfie."""

    # Sides of the face (0-4) with a long straight edge beside them: 3 or more is a frame.
    max_enclosing_sides: int = 3
    # The learned recapture model (passive_model.npz, trained by tools/train_passive_liveness.py;
    # see passive_model.py). None: the hand-set rules below decide instead (the earlier check).
    recapture_model: PassiveModel | None = field(default_factory=bundled_model)
    # Spoof probabilities at or above which the selfie is reviewed / fails. None: the model's own
    # operating points, chosen on leave-one-source-out predictions when it was trained.
    recapture_review: float | None = None
    recapture_fail: float | None = None
    # The hand-set rules, used only without a recapture model:
    # [bench] as for the active check: above the genuine shared photos' p99 (1.25).
    max_periodic_pattern: float = 1.3
    # [bench] as for the active check: above the genuine shared photos' maximum (0.318).
    max_chroma_moire: float = 0.33
    # Fraction of the face region covered by specular highlights (review, not fail).
    max_face_glare: float = 0.01
    # As for the active check: two surface cues at their suspicion levels fail (see fusion.py).
    surface_suspicion: SuspicionLevels = field(default_factory=SuspicionLevels)
    max_suspicious_cues: int = 2
    pad_model: PresentationAttackModel | None = None
    min_pad_live: float = 0.5
