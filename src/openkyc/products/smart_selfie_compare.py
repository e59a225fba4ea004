"""SmartSelfie™ Compare: a selfie (and liveness frames) against a partner-supplied image.

Synchronous, so there is no provisional result and no human review: every answer is final. The
evidence must come from ``assess_smart_selfie(..., reference=<comparison image>)``. First match wins:

* wrong number of liveness frames: Data Invalid (0001);
* no face, several faces or an unusable selfie: No Match - No clear face was found in the selfie
  image (0941);
* the comparison image is the selfie: No Match - The compared images are identical. (0941);
* liveness fails, or cannot be settled without a reviewer: No Match - - No Face Match (0841);
* no face in the comparison image, or another person: No Match - - No Face Match (0841);
* otherwise: Face Match (0840), and the selfie is enrolled as the user's face.

The v2 response's ``code``/``message``/``status`` are :meth:`ProductResult.v2`.
"""

from __future__ import annotations

from openkyc.engine.evidence import Decision
from openkyc.engine.face.compare import FaceOutcome
from openkyc.engine.smart_selfie import SmartSelfieEvidence
from openkyc.products._selfie import (
    SEVERAL_FACES_REASON,
    SelfieFinding,
    examine_compared_selfie,
    liveness_actions,
    match_confidence,
    reason_codes,
    selfie_provided,
)
from openkyc.products.catalogue import Action, ActionValue, Product
from openkyc.products.codes.rows import ResultEntry
from openkyc.products.codes.smart_selfie_compare import SmartSelfieCompare as Codes
from openkyc.products.result import ProductResult, build_result
from openkyc.products.sandbox import SandboxResult, forced_reason, parse_sandbox_result

PRODUCT = Product.SMART_SELFIE_COMPARE


def decide(evidence: SmartSelfieEvidence, *, sandbox_result: str | None) -> ProductResult:
    """Decide a compare. ``sandbox_result`` is the partner's, passed only in the sandbox.

    "2" (provisional) forces nothing here: compare has no provisional result, so the job is
    decided on its evidence.
    """
    forced = parse_sandbox_result(sandbox_result)
    if forced in (SandboxResult.APPROVE, SandboxResult.REJECT):
        return _forced(evidence, forced)

    finding, match, reasons, live = examine_compared_selfie(evidence, "the comparison image")

    entry: ResultEntry
    if finding is SelfieFinding.DATA_INVALID:
        entry = Codes.DATA_INVALID
    elif finding in (SelfieFinding.NO_FACE, SelfieFinding.POOR_QUALITY, SelfieFinding.SEVERAL_FACES) or (
        match is not None and match.outcome is FaceOutcome.NO_FACE_A
    ):
        # The table's selfie row ("There were issues with the selfie_image") is the one for any
        # selfie that offers no single clear face: none, an unusable image, or more than one.
        if finding is SelfieFinding.SEVERAL_FACES:
            reasons.append(SEVERAL_FACES_REASON)
        entry = Codes.NO_FACE_IN_SELFIE
    elif match is not None and match.outcome is FaceOutcome.IDENTICAL_IMAGES:
        entry = Codes.IDENTICAL_IMAGES
    elif finding in (SelfieFinding.SPOOF, SelfieFinding.SUSPECTED_SPOOF):
        # The table has no spoof row; 0841 is the number registration gives a possible spoof, and
        # a liveness check that needs a reviewer cannot pass where none exists. Liveness_Check
        # says why.
        live = ActionValue.FAILED
        entry = Codes.NO_FACE_MATCH
    elif match is not None and match.outcome in (FaceOutcome.NO_MATCH, FaceOutcome.NO_FACE_B):
        # A comparison image without a face has no documented row of its own (both 0941 rows name
        # the selfie or identical images); "No Face Match" is literally what happened.
        entry = Codes.NO_FACE_MATCH
    elif evidence.decision is not Decision.PASS:
        # A failure no rule here names: without a reviewer, the safe answer is no.
        entry = Codes.NO_FACE_MATCH
    else:
        entry = Codes.FACE_MATCH

    register = ActionValue.APPROVED if entry is Codes.FACE_MATCH else ActionValue.REJECTED
    actions = {
        **(
            liveness_actions(evidence.liveness, live, with_human_keys=False)
            if evidence.liveness is not None
            else {}
        ),
        Action.REGISTER_SELFIE: register,
        Action.SELFIE_PROVIDED: selfie_provided(evidence),
    }
    return build_result(
        PRODUCT,
        entry,
        actions=actions,
        reasons=reasons,
        confidence_value=match_confidence(match),
        enrols_selfie=True,
    )


def _forced(evidence: SmartSelfieEvidence, forced: SandboxResult) -> ProductResult:
    approve = forced is SandboxResult.APPROVE
    actions = {
        **liveness_actions(evidence.liveness, ActionValue.PASSED, with_human_keys=False),
        Action.REGISTER_SELFIE: ActionValue.APPROVED if approve else ActionValue.REJECTED,
        Action.SELFIE_PROVIDED: ActionValue.PASSED,
    }
    return build_result(
        PRODUCT,
        Codes.FACE_MATCH if approve else Codes.NO_FACE_MATCH,
        actions=actions,
        reasons=[forced_reason(forced), *reason_codes(evidence)],
        confidence_value=match_confidence(evidence.match),
        # A selfie without a face cannot serve as anyone's reference face, forced or not.
        enrols_selfie=evidence.face.decision is Decision.PASS,
    )
