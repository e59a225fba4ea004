"""SmartSelfie™ Registration (job_type 4): liveness on a new user's selfie, which becomes their face.

First match wins:

* wrong number of liveness frames: Data Invalid (0001);
* no face in the selfie: FAIL - No Face Found (0941);
* selfie unusable (resolution, blur): FAIL - Image Quality Judged Too Poor (0942);
* liveness fails: Failed Enroll (0841);
* liveness unsure, or several faces: PROVISIONAL - Possible Spoof (0844), for a reviewer;
* otherwise: Enroll User (0840), and the selfie is enrolled.
"""

from __future__ import annotations

from openkyc.engine.evidence import Decision
from openkyc.engine.smart_selfie import SmartSelfieEvidence
from openkyc.products._selfie import (
    SEVERAL_FACES_REASON,
    SelfieFinding,
    check_value,
    examine_selfie,
    liveness_actions,
    reason_codes,
    selfie_provided,
)
from openkyc.products.catalogue import Action, ActionValue, Product
from openkyc.products.codes.rows import ResultEntry
from openkyc.products.codes.smart_selfie_registration import SmartSelfieRegistration as Codes
from openkyc.products.result import ProductResult, build_result
from openkyc.products.sandbox import SandboxResult, forced_reason, parse_sandbox_result

PRODUCT = Product.SMART_SELFIE_REGISTRATION


def decide(evidence: SmartSelfieEvidence, *, sandbox_result: str | None) -> ProductResult:
    """Decide a registration. ``sandbox_result`` is the partner's, passed only in the sandbox."""
    forced = parse_sandbox_result(sandbox_result)
    if forced is not None:
        return _forced(evidence, forced)

    finding = examine_selfie(evidence)
    reasons = reason_codes(evidence)
    liveness = evidence.liveness
    provided = selfie_provided(evidence)
    live = check_value(liveness.decision) if liveness is not None else ActionValue.NOT_APPLICABLE

    entry: ResultEntry
    if finding is SelfieFinding.DATA_INVALID:
        entry, register = Codes.DATA_INVALID, ActionValue.REJECTED
    elif finding is SelfieFinding.NO_FACE:
        entry, register = Codes.NO_FACE, ActionValue.REJECTED
    elif finding is SelfieFinding.POOR_QUALITY:
        entry, register = Codes.POOR_QUALITY, ActionValue.REJECTED
    elif finding is SelfieFinding.SPOOF:
        entry, register = Codes.MACHINE_FAIL_SPOOF, ActionValue.REJECTED
    elif finding in (SelfieFinding.SUSPECTED_SPOOF, SelfieFinding.SEVERAL_FACES) or (
        # A registration has no reference face: a comparison, if one was made, is not its business.
        evidence.match is None and evidence.decision is not Decision.PASS
    ):
        # 0844 is the page's one provisional row; a reviewer settles whatever the machine could not
        # (an unsure liveness check, a second face, or a failure no rule here names).
        if finding is SelfieFinding.SEVERAL_FACES:
            reasons.append(SEVERAL_FACES_REASON)
        entry, register = Codes.PROVISIONAL_SPOOF, ActionValue.PROVISIONALLY_APPROVED
        live = ActionValue.UNDER_REVIEW
    else:
        entry, register = Codes.MACHINE_PASS, ActionValue.APPROVED

    human = ActionValue.UNDER_REVIEW if not entry.is_final else None
    actions = {
        **liveness_actions(liveness, live, human=human),
        Action.REGISTER_SELFIE: register,
        Action.SELFIE_PROVIDED: provided,
    }
    if liveness is None:
        # No face, no liveness check: nothing to report for it.
        actions.pop(Action.LIVENESS_CHECK, None)
        actions.pop(Action.SELFIE_CHECK, None)
    return build_result(PRODUCT, entry, actions=actions, reasons=reasons, enrols_selfie=True)


def _forced(evidence: SmartSelfieEvidence, forced: SandboxResult) -> ProductResult:
    entry, live, register = {
        SandboxResult.APPROVE: (Codes.MACHINE_PASS, ActionValue.PASSED, ActionValue.APPROVED),
        SandboxResult.REJECT: (Codes.MACHINE_FAIL_SPOOF, ActionValue.FAILED, ActionValue.REJECTED),
        SandboxResult.PROVISIONAL: (
            Codes.PROVISIONAL_SPOOF,
            ActionValue.UNDER_REVIEW,
            ActionValue.PROVISIONALLY_APPROVED,
        ),
    }[forced]
    human = ActionValue.UNDER_REVIEW if not entry.is_final else None
    actions = {
        **liveness_actions(evidence.liveness, live, human=human),
        Action.REGISTER_SELFIE: register,
        Action.SELFIE_PROVIDED: ActionValue.PASSED,
    }
    return build_result(
        PRODUCT,
        entry,
        actions=actions,
        reasons=[forced_reason(forced), *reason_codes(evidence)],
        # A selfie without a face cannot serve as anyone's reference face, forced or not.
        enrols_selfie=evidence.face.decision is Decision.PASS,
    )
