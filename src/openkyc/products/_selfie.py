"""What the SmartSelfie products read alike from a selfie's evidence."""

from __future__ import annotations

from enum import Enum

from openkyc.engine.evidence import Decision
from openkyc.engine.face.compare import FaceMatchEvidence, FaceOutcome
from openkyc.engine.liveness import LivenessEvidence
from openkyc.engine.smart_selfie import SmartSelfieEvidence
from openkyc.products.catalogue import Action, ActionValue

# The liveness check refuses to judge a wrong number of frames: the request was malformed (the
# documentation's "Data Invalid - One of the required input is invalid."), not the person.
FRAME_COUNT_REASONS = frozenset({"liveness.too_few_frames", "liveness.too_many_frames"})

# A product's own reasons, for what the engine reports without naming it a reason.
SEVERAL_FACES_REASON = "product.several_faces_in_selfie"
UNSURE_MATCH_REASON = "product.match_unsure"


class SelfieFinding(Enum):
    """The first thing wrong with a selfie, most basic first; USABLE when nothing is."""

    DATA_INVALID = "data_invalid"
    NO_FACE = "no_face"
    POOR_QUALITY = "poor_quality"
    SPOOF = "spoof"
    SUSPECTED_SPOOF = "suspected_spoof"
    SEVERAL_FACES = "several_faces"
    USABLE = "usable"


def examine_selfie(evidence: SmartSelfieEvidence) -> SelfieFinding:
    liveness = evidence.liveness
    if liveness is not None and FRAME_COUNT_REASONS & {r.code for r in liveness.reasons}:
        return SelfieFinding.DATA_INVALID
    if evidence.face.decision is not Decision.PASS or evidence.face.faces == 0:
        return SelfieFinding.NO_FACE
    # Only an unusable selfie (too small, far too blurry) fails on quality; the engine keeps lesser
    # quality problems as evidence, not as a decision, and so do the products.
    if evidence.quality.decision is Decision.FAIL:
        return SelfieFinding.POOR_QUALITY
    if liveness is not None and liveness.decision is Decision.FAIL:
        return SelfieFinding.SPOOF
    if liveness is not None and liveness.decision is Decision.REVIEW:
        return SelfieFinding.SUSPECTED_SPOOF
    # The engine uses the largest face and says nothing more. A second face in a selfie is a known
    # presentation cue (a photo held up beside the face) and leaves open whose face is kept.
    if evidence.face.faces > 1:
        return SelfieFinding.SEVERAL_FACES
    return SelfieFinding.USABLE


def selfie_provided(evidence: SmartSelfieEvidence) -> ActionValue:
    """Selfie_Provided: a usable selfie (a face, and not unusable on quality)."""
    usable = evidence.face.decision is Decision.PASS and evidence.quality.decision is not Decision.FAIL
    return ActionValue.PASSED if usable else ActionValue.FAILED


def check_value(decision: Decision) -> ActionValue:
    return {
        Decision.PASS: ActionValue.PASSED,
        Decision.FAIL: ActionValue.FAILED,
        Decision.REVIEW: ActionValue.UNDER_REVIEW,
    }[decision]


def liveness_actions(
    liveness: LivenessEvidence | None,
    value: ActionValue,
    *,
    human: ActionValue | None = None,
    with_human_keys: bool = True,
) -> dict[Action, ActionValue]:
    """The liveness Actions: Selfie_Check for a lone selfie (passive), Liveness_Check with frames.

    The active check examines the selfie among the frames, so with frames Selfie_Check carries the
    same verdict (as in the documentation's samples, where both read "Passed"). Without liveness evidence
    (a forced sandbox result on a selfie with no face) the SDKs' usual capture, frames, is assumed.
    """
    active = liveness is None or liveness.mode == "active"
    actions = {Action.SELFIE_CHECK: value}
    if active:
        actions[Action.LIVENESS_CHECK] = value
    if human is not None and with_human_keys:
        actions[Action.HUMAN_REVIEW_SELFIE_CHECK] = human
        if active:
            actions[Action.HUMAN_REVIEW_LIVENESS_CHECK] = human
    return actions


def unsure_match(match: FaceMatchEvidence) -> bool:
    """A comparison the engine is unsure of (below the operating point, not clearly another person):
    the "Machine Compare Unsure" band, a reviewer's job. The operating point itself holds its FAR
    within every demographic group, so a match there needs no second confirmation."""
    return match.outcome is FaceOutcome.UNSURE


def match_confidence(match: FaceMatchEvidence | None) -> str | None:
    """ConfidenceValue (0-100) from the face similarity: 50 at the decision threshold, 100 at 1.

    The deprecated field asks for a percentage; a similarity is not a probability, so the scale
    only keeps the threshold in the middle, where the decision changes, and stays monotonic.
    """
    if match is None or match.score is None:
        return None
    score, threshold = match.score, match.threshold
    if score >= threshold:
        value = 50.0 + 50.0 * (score - threshold) / max(1e-9, 1.0 - threshold)
    else:
        value = 50.0 * max(0.0, score) / threshold
    return str(round(min(100.0, max(0.0, value))))


def reason_codes(evidence: SmartSelfieEvidence) -> list[str]:
    return [reason.code for reason in evidence.reasons]


def examine_compared_selfie(
    evidence: SmartSelfieEvidence, reference: str
) -> tuple[SelfieFinding, FaceMatchEvidence | None, list[str], ActionValue]:
    """What every selfie-against-a-reference product starts from: the selfie's finding, the
    comparison, the reasons and the liveness value. Evidence assessed without the ``reference``
    (a programming error, unless the selfie was unusable anyway) raises ValueError."""
    finding = examine_selfie(evidence)
    match = evidence.match
    if finding not in (SelfieFinding.DATA_INVALID, SelfieFinding.NO_FACE) and match is None:
        raise ValueError(f"evidence must be assessed against {reference} (reference=...)")
    liveness = evidence.liveness
    live = check_value(liveness.decision) if liveness is not None else ActionValue.NOT_APPLICABLE
    return finding, match, reason_codes(evidence), live
