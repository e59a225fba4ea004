"""SmartSelfie™ Authentication (job_type 2): a returning user's selfie against their enrolled face.

The evidence must come from ``assess_smart_selfie(..., reference=<enrolled face>)``. First match wins:

* wrong number of liveness frames: Data Invalid (0001);
* no face in the selfie: FAIL - No Face Found (0921);
* selfie unusable (resolution, blur): FAIL - Image Quality Judged Too Poor (0922);
* another person: Failed Authentication (0821), final even when liveness failed too;
* liveness fails or is unsure, several faces, or the enrolled photo sent again: Machine Judgement -
  PROVISIONAL - Possible Spoof (0824), for a reviewer;
* a match the stricter operating point does not confirm, or an enrolled image without a face:
  Machine Judgement - PROVISIONAL - Machine Compare Unsure (0825), for a reviewer;
* otherwise: Authenticate User (0820).

A re-verification on the enrolled image (the V3 API's ``use_enrolled_image`` without a capture,
``enrolled_image=True``) is decided by the same rules on evidence assessed from the enrolled selfie
itself: its passive checks (no frames, so no active liveness) and its match with the embedding
stored at enrolment (no same-photograph check, which would reject the enrolled photo by design).
Its result carries :data:`ENROLLED_IMAGE_REASON`, so nobody takes it for a fresh capture. An
account that may not be authenticated is answered with its own row (:func:`account_refusal`).
"""

from __future__ import annotations

from openkyc.engine.evidence import Decision
from openkyc.engine.face.compare import FaceOutcome
from openkyc.engine.smart_selfie import SmartSelfieEvidence
from openkyc.products._selfie import (
    SEVERAL_FACES_REASON,
    UNSURE_MATCH_REASON,
    SelfieFinding,
    examine_compared_selfie,
    liveness_actions,
    match_confidence,
    reason_codes,
    selfie_provided,
    unsure_match,
)
from openkyc.products.catalogue import RESULT_TYPES, Action, ActionValue, Product
from openkyc.products.codes.rows import Outcome, ResultEntry
from openkyc.products.codes.smart_selfie_authentication import SmartSelfieAuthentication as Codes
from openkyc.products.result import ProductResult, build_result, make_actions
from openkyc.products.sandbox import SandboxResult, forced_reason, parse_sandbox_result

PRODUCT = Product.SMART_SELFIE_AUTHENTICATION

# The reason every re-verification on the enrolled image carries: the selfie judged is the one on
# file, not a new capture.
ENROLLED_IMAGE_REASON = "selfie.enrolled_image_reused"

# The rows of an enrolled user whose account may not be authenticated (the requests' 2207, 2211),
# recorded as a re-verification's result, and the reason each carries.
ACCOUNT_REFUSALS: dict[str, tuple[ResultEntry, str]] = {
    Codes.USER_DISABLED.code: (Codes.USER_DISABLED, "enrolled.user_disabled"),
    Codes.RE_ENROLMENT_REQUIRED.code: (Codes.RE_ENROLMENT_REQUIRED, "enrolled.reenrolment_required"),
}


def decide(
    evidence: SmartSelfieEvidence, *, sandbox_result: str | None, enrolled_image: bool = False
) -> ProductResult:
    """Decide an authentication. ``sandbox_result`` is the partner's, passed only in the sandbox.
    ``enrolled_image``: the evidence was assessed from the enrolled selfie (a re-verification)."""
    forced = parse_sandbox_result(sandbox_result)
    if forced is not None:
        return _forced(evidence, forced, enrolled_image=enrolled_image)

    finding, match, reasons, live = examine_compared_selfie(evidence, "the enrolled face")
    if enrolled_image:
        reasons.insert(0, ENROLLED_IMAGE_REASON)
    compare = ActionValue.COMPLETED if match is not None else ActionValue.NOT_APPLICABLE
    human_liveness: ActionValue | None = None
    human_compare: ActionValue | None = None

    entry: ResultEntry
    if finding is SelfieFinding.DATA_INVALID:
        entry = Codes.DATA_INVALID
    elif finding is SelfieFinding.NO_FACE or (match is not None and match.outcome is FaceOutcome.NO_FACE_A):
        entry = Codes.NO_FACE
        compare = ActionValue.NOT_APPLICABLE
    elif finding is SelfieFinding.POOR_QUALITY:
        entry = Codes.POOR_QUALITY
    elif match is not None and match.outcome is FaceOutcome.NO_MATCH:
        # Another person is a final rejection whatever the liveness check thought: a reviewer
        # could only confirm it.
        entry = Codes.MACHINE_FAIL_COMPARISON
    elif finding in (SelfieFinding.SPOOF, SelfieFinding.SUSPECTED_SPOOF, SelfieFinding.SEVERAL_FACES) or (
        match is not None and match.outcome is FaceOutcome.IDENTICAL_IMAGES
    ):
        # 0823 (machine FAIL - Possible Spoof) is deprecated: a possible spoof now goes to a
        # reviewer as 0824. The enrolled photo sent again is a replay, not a new capture.
        if finding is SelfieFinding.SEVERAL_FACES:
            reasons.append(SEVERAL_FACES_REASON)
        entry = Codes.PROVISIONAL_SPOOF
        live = human_liveness = ActionValue.UNDER_REVIEW
    elif match is not None and (match.outcome is FaceOutcome.NO_FACE_B or unsure_match(match)):
        # No face in the enrolled image cannot be the user's fault; a reviewer compares.
        if match.outcome is FaceOutcome.UNSURE:
            reasons.append(UNSURE_MATCH_REASON)
        entry = Codes.PROVISIONAL_COMPARE_UNSURE
        compare = human_compare = ActionValue.UNDER_REVIEW
    elif evidence.decision is not Decision.PASS:
        # A failure no rule here names: a reviewer, never a silent approval.
        entry = Codes.PURE_PROVISIONAL
        compare = human_compare = ActionValue.UNDER_REVIEW
    else:
        entry = Codes.MACHINE_PASS

    actions = {
        **(
            liveness_actions(evidence.liveness, live, human=human_liveness)
            if evidence.liveness is not None
            else {}
        ),
        Action.SELFIE_PROVIDED: selfie_provided(evidence),
        Action.SELFIE_TO_REGISTERED_SELFIE_COMPARE: compare,
    }
    if human_compare is not None:
        actions[Action.HUMAN_REVIEW_COMPARE] = human_compare
    return build_result(
        PRODUCT, entry, actions=actions, reasons=reasons, confidence_value=match_confidence(match)
    )


def account_refusal(code: str) -> ProductResult | None:
    """The final rejection of a V3 authentication whose enrolled user may not be authenticated:
    the request's row for ``code`` (2207 disabled, 2211 re-enrolment required) recorded as the
    job's result, nothing checked; None for any other code."""
    found = ACCOUNT_REFUSALS.get(code)
    if found is None:
        return None
    entry, reason = found
    return ProductResult(
        product=PRODUCT,
        result_code=entry.code,
        result_text=entry.text,
        result_type=RESULT_TYPES[PRODUCT],
        actions=make_actions(PRODUCT, {}),
        outcome=Outcome.REJECTED,
        is_final=True,
        is_machine_result=True,
        reasons=[reason],
    )


def _forced(evidence: SmartSelfieEvidence, forced: SandboxResult, *, enrolled_image: bool) -> ProductResult:
    live = ActionValue.PASSED
    compare = ActionValue.COMPLETED
    human_compare: ActionValue | None = None
    if forced is SandboxResult.APPROVE:
        entry = Codes.MACHINE_PASS
    elif forced is SandboxResult.REJECT:
        entry = Codes.MACHINE_FAIL_COMPARISON
    else:
        # Authentication is a comparison: the provisional row that hands it to a reviewer is 0825.
        entry = Codes.PROVISIONAL_COMPARE_UNSURE
        compare = human_compare = ActionValue.UNDER_REVIEW
    actions = {
        **liveness_actions(evidence.liveness, live),
        Action.SELFIE_PROVIDED: ActionValue.PASSED,
        Action.SELFIE_TO_REGISTERED_SELFIE_COMPARE: compare,
    }
    if human_compare is not None:
        actions[Action.HUMAN_REVIEW_COMPARE] = human_compare
    return build_result(
        PRODUCT,
        entry,
        actions=actions,
        reasons=[
            forced_reason(forced),
            *([ENROLLED_IMAGE_REASON] if enrolled_image else []),
            *reason_codes(evidence),
        ],
        confidence_value=match_confidence(evidence.match),
    )
