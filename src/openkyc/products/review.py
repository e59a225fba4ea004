"""A human reviewer's decision on a provisional result, and the final result it makes.

The Actions the machine left "Under Review" get their reviewer's verdict in the matching
Human_Review_* key. SmartSelfie samples show the machine check with the reviewer's verdict too
(1220: "Liveness_Check": "Passed", "Human_Review_Liveness_Check": "Passed"); Document Verification
reports its machine Liveness_Check "Failed" whatever the reviewer found (its Return Values note).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from openkyc.products.catalogue import Action, ActionValue, Product
from openkyc.products.codes.biometric_kyc import BiometricKyc as Biometric
from openkyc.products.codes.document_verification import DocumentVerification as Docv
from openkyc.products.codes.document_verification import DocvRejection
from openkyc.products.codes.enhanced_document_verification import EnhancedDocumentVerification as Edv
from openkyc.products.codes.rows import ResultEntry
from openkyc.products.codes.smart_selfie_authentication import SmartSelfieAuthentication as Authentication
from openkyc.products.codes.smart_selfie_registration import SmartSelfieRegistration as Registration
from openkyc.products.result import ProductResult, build_result


class ReviewReason(StrEnum):
    """Why a reviewer rejects: the documentation's human-review rejection rows, by product.

    SmartSelfie: ``spoof`` (1222 / 1242), ``image_unusable`` (1222 / 1241: too dark or blurry),
    ``no_match`` (authentication, 1221). Document Verification: one per "After Human Review" row,
    with ``spoof`` as Potential Fraud Attempt, ``image_unusable`` as Unreadable Document, and
    ``no_match`` as the machine's "The selfie did not match the photo on document" (the review
    table has no row for it).
    """

    SPOOF = "spoof"
    IMAGE_UNUSABLE = "image_unusable"
    NO_MATCH = "no_match"
    CROPPED_DOCUMENT = "cropped_document"
    NOT_A_DOCUMENT = "not_a_document"
    POTENTIAL_FRAUD = "potential_fraud"
    UNREADABLE_DOCUMENT = "unreadable_document"
    UNSUPPORTED_DOCUMENT = "unsupported_document"
    WRONG_DOCUMENT_TYPE = "wrong_document_type"


# Each machine check and the human-review Action that records a reviewer's verdict on it.
_REVIEWED_BY: dict[Product, dict[Action, Action]] = {
    Product.SMART_SELFIE_REGISTRATION: {
        Action.LIVENESS_CHECK: Action.HUMAN_REVIEW_LIVENESS_CHECK,
        Action.SELFIE_CHECK: Action.HUMAN_REVIEW_SELFIE_CHECK,
    },
    Product.SMART_SELFIE_AUTHENTICATION: {
        Action.LIVENESS_CHECK: Action.HUMAN_REVIEW_LIVENESS_CHECK,
        Action.SELFIE_CHECK: Action.HUMAN_REVIEW_SELFIE_CHECK,
        Action.SELFIE_TO_REGISTERED_SELFIE_COMPARE: Action.HUMAN_REVIEW_COMPARE,
    },
    Product.DOCUMENT_VERIFICATION: {
        Action.LIVENESS_CHECK: Action.HUMAN_REVIEW_LIVENESS_CHECK,
        Action.SELFIE_TO_ID_CARD_COMPARE: Action.HUMAN_REVIEW_COMPARE,
        Action.DOCUMENT_CHECK: Action.HUMAN_REVIEW_DOCUMENT_CHECK,
        Action.VERIFY_DOCUMENT: Action.HUMAN_REVIEW_DOCUMENT_CHECK,
    },
    Product.ENHANCED_DOCUMENT_VERIFICATION: {
        Action.LIVENESS_CHECK: Action.HUMAN_REVIEW_LIVENESS_CHECK,
        Action.SELFIE_TO_ID_CARD_COMPARE: Action.HUMAN_REVIEW_COMPARE,
        Action.DOCUMENT_CHECK: Action.HUMAN_REVIEW_DOCUMENT_CHECK,
        Action.VERIFY_DOCUMENT: Action.HUMAN_REVIEW_DOCUMENT_CHECK,
        # The document against the authority's record: the reviewer reads both.
        Action.VERIFY_ID_NUMBER: Action.HUMAN_REVIEW_DOCUMENT_CHECK,
    },
    Product.BIOMETRIC_KYC: {
        Action.LIVENESS_CHECK: Action.HUMAN_REVIEW_LIVENESS_CHECK,
        Action.SELFIE_TO_ID_AUTHORITY_COMPARE: Action.HUMAN_REVIEW_COMPARE,
        Action.SELFIE_TO_ID_CARD_COMPARE: Action.HUMAN_REVIEW_COMPARE,
    },
}
# Comparisons are "Completed" once anyone has compared; the verdict is the code's.
_COMPARISONS = frozenset(
    {
        Action.SELFIE_TO_REGISTERED_SELFIE_COMPARE,
        Action.SELFIE_TO_ID_CARD_COMPARE,
        Action.SELFIE_TO_ID_AUTHORITY_COMPARE,
    }
)
# Products whose reviews follow Document Verification's rows.
_DOCUMENT_PRODUCTS = frozenset({Product.DOCUMENT_VERIFICATION, Product.ENHANCED_DOCUMENT_VERIFICATION})

_SELFIE_HUMAN = (Action.HUMAN_REVIEW_LIVENESS_CHECK, Action.HUMAN_REVIEW_SELFIE_CHECK)
_DOCUMENT_REASONS = {
    ReviewReason.CROPPED_DOCUMENT: Docv.REVIEW_CROPPED,
    ReviewReason.NOT_A_DOCUMENT: Docv.REVIEW_NOT_A_DOCUMENT,
    ReviewReason.POTENTIAL_FRAUD: Docv.REVIEW_POTENTIAL_FRAUD,
    ReviewReason.SPOOF: Docv.REVIEW_POTENTIAL_FRAUD,
    ReviewReason.UNREADABLE_DOCUMENT: Docv.REVIEW_UNREADABLE,
    ReviewReason.IMAGE_UNUSABLE: Docv.REVIEW_UNREADABLE,
    ReviewReason.UNSUPPORTED_DOCUMENT: Docv.REVIEW_UNSUPPORTED,
    ReviewReason.WRONG_DOCUMENT_TYPE: Docv.REVIEW_WRONG_TYPE,
}
# Machine reasons that make "Potential Fraud Attempt" the default rejection of a document review.
_FRAUD_CUES = frozenset(
    {
        "document.photocopy",
        "document.mrz_invalid",
        "document.mrz_viz_mismatch",
        "product.several_faces_in_selfie",
    }
)
_ATTENTION = {"document.expired": Docv.EXPIRED, "document.photocopy": Docv.PHOTOCOPIED}


def resolve_review(provisional: ProductResult, *, approve: bool, reason: str | None) -> ProductResult:
    """The final result a reviewer's decision gives ``provisional``.

    ``reason`` (a :class:`ReviewReason` value) says why a rejection; None takes the likeliest from
    what was under review. Raises ValueError for a final result, an unknown reason, or one the
    product has no answer for.
    """
    _check_reviewable(provisional)
    return _resolve(provisional, approve=approve, why=_reason(reason), failed=None)


def resolve_review_per_action(
    provisional: ProductResult, *, verdicts: Mapping[str, bool], reason: str | None
) -> ProductResult:
    """The final result a reviewer's verdict on each check gives ``provisional``.

    ``verdicts`` maps Human_Review_* Action names to passed (True) or failed (False): every check
    under review needs one; a check the machine settled may be failed too (the reviewer saw what
    the machine missed) and counts as passed when left out. The job is approved when nothing
    failed. A rejection's result row follows what failed; ``reason`` picks among the rows for it
    (None: the likeliest) and must be about a check that failed. Raises ValueError otherwise.
    """
    _check_reviewable(provisional)
    product = provisional.product
    why = _reason(reason)
    checks = {check.action: check for check in review_checks(provisional)}
    chosen: dict[Action, bool] = {}
    for name, passed in verdicts.items():
        try:
            action = Action(name)
        except ValueError:
            raise ValueError(f"{name} is not an Action") from None
        if action not in checks:
            raise ValueError(f"this job has no {name} to decide")
        chosen[action] = passed
    undecided = [
        check.action.value for check in checks.values() if check.under_review and check.action not in chosen
    ]
    if undecided:
        raise ValueError(f"every check under review needs a verdict: {', '.join(undecided)} has none")
    failed = [action for action in checks if chosen.get(action) is False]
    if not failed:
        if why is not None:
            raise ValueError("a reason is given for a rejection, and every check passed")
        return _resolve(provisional, approve=True, why=None, failed=set())
    if why is None:
        why = _likeliest_reason(product, provisional, failed)
    return _resolve(provisional, approve=False, why=why, failed=set(failed), focus=failed)


@dataclass(frozen=True)
class ReviewCheck:
    """One Human_Review_* Action of a provisional result, and the machine checks it settles."""

    action: Action
    # The machine could not settle it: the reviewer must.
    under_review: bool
    # The machine checks it answers for (Action -> value in the provisional result), those that ran.
    machine: dict[Action, ActionValue]


def review_checks(provisional: ProductResult) -> list[ReviewCheck]:
    """What a reviewer may decide on ``provisional``, in the product's order: the checks under
    review, and those the machine settled (a reviewer may still fail them)."""
    _check_reviewable(provisional)
    product = provisional.product
    actions = {Action(key): ActionValue(value) for key, value in provisional.actions.items()}
    reviewed = _reviewed(product, actions)
    checks: dict[Action, ReviewCheck] = {}
    for machine, human in _REVIEWED_BY[product].items():
        value = actions.get(machine, ActionValue.NOT_APPLICABLE)
        ran = value not in (ActionValue.NOT_APPLICABLE, ActionValue.ID_AUTHORITY_PHOTO_NOT_AVAILABLE)
        if not ran and human not in reviewed:
            continue
        check = checks.setdefault(human, ReviewCheck(human, human in reviewed, {}))
        if ran:
            check.machine[machine] = value
    return list(checks.values())


def review_reasons(product: Product) -> list[ReviewReason]:
    """The rejection reasons ``product``'s result rows have an answer for."""
    if product is Product.SMART_SELFIE_REGISTRATION:
        return [ReviewReason.SPOOF, ReviewReason.IMAGE_UNUSABLE]
    if product in (Product.SMART_SELFIE_AUTHENTICATION, Product.BIOMETRIC_KYC):
        return [ReviewReason.SPOOF, ReviewReason.IMAGE_UNUSABLE, ReviewReason.NO_MATCH]
    if product in _DOCUMENT_PRODUCTS:
        return list(ReviewReason)
    return []


def _check_reviewable(provisional: ProductResult) -> None:
    if provisional.is_final:
        raise ValueError(f"{provisional.result_code} is final: there is nothing to review")
    if provisional.product not in _REVIEWED_BY:
        raise ValueError(f"{provisional.product.value} has no human review")


def _reason(reason: str | None) -> ReviewReason | None:
    return ReviewReason(reason) if reason is not None else None


def _likeliest_reason(product: Product, provisional: ProductResult, failed: list[Action]) -> ReviewReason:
    """The rejection row a reviewer means when failing ``failed`` without saying why."""
    selfie_failed = bool(set(failed) & set(_SELFIE_HUMAN))
    if product is Product.SMART_SELFIE_REGISTRATION:
        return ReviewReason.SPOOF
    if product in (Product.SMART_SELFIE_AUTHENTICATION, Product.BIOMETRIC_KYC):
        return ReviewReason.SPOOF if selfie_failed else ReviewReason.NO_MATCH
    if selfie_failed:
        return ReviewReason.POTENTIAL_FRAUD
    if Action.HUMAN_REVIEW_DOCUMENT_CHECK in failed:
        if _FRAUD_CUES & set(provisional.reasons):
            return ReviewReason.POTENTIAL_FRAUD
        return ReviewReason.UNREADABLE_DOCUMENT
    return ReviewReason.NO_MATCH


def _resolve(
    provisional: ProductResult,
    *,
    approve: bool,
    why: ReviewReason | None,
    failed: set[Action] | None,
    focus: list[Action] | None = None,
) -> ProductResult:
    """The final result. ``failed``: the checks the reviewer failed, one by one (None: a decision
    on the job as a whole, failing what the reason is about). ``focus``: what the rejection is
    about (default: what was under review)."""
    product = provisional.product
    actions = {Action(key): ActionValue(value) for key, value in provisional.actions.items()}
    reviewed = _reviewed(product, actions)
    about = reviewed if focus is None else focus

    reason_text: str | None = None
    machine_row = False
    if product is Product.SMART_SELFIE_REGISTRATION:
        entry, concerned = _registration(approve, why)
    elif product is Product.SMART_SELFIE_AUTHENTICATION:
        entry, concerned = _authentication(provisional, approve, why)
    elif product is Product.BIOMETRIC_KYC:
        entry, concerned = _biometric_kyc(approve, why, about)
    else:
        entry, reason_text, concerned = _document_verification(provisional, approve, why, about)
        if product is Product.ENHANCED_DOCUMENT_VERIFICATION and entry is Docv.REJECTED:
            entry = Edv.REJECTED  # the same row, with the authority's reason among its reasons
        machine_row = not entry.human_review

    if failed is None:
        failed = concerned if why else set(reviewed)
    elif not approve and not concerned & failed:
        # The row must answer for something the reviewer failed, not for a check they passed.
        names = ", ".join(sorted(action.value for action in concerned))
        raise ValueError(f"the reason {why} is about {names}, which did not fail")
    _record_verdicts(product, actions, reviewed, approve=approve, failed=failed)
    register = actions.get(Action.REGISTER_SELFIE, ActionValue.NOT_APPLICABLE)
    if register is not ActionValue.NOT_APPLICABLE:
        actions[Action.REGISTER_SELFIE] = ActionValue.APPROVED if approve else ActionValue.REJECTED
    verdict = "review.approved" if approve else f"review.rejected.{why.value if why else 'unspecified'}"
    return build_result(
        product,
        entry,
        actions=actions,
        reasons=[*provisional.reasons, verdict],
        reason_text=reason_text,
        confidence_value=provisional.confidence_value,
        id_fields=provisional.id_fields,
        enrols_selfie=register is not ActionValue.NOT_APPLICABLE,
        human_review=machine_row,
    )


def _reviewed(product: Product, actions: dict[Action, ActionValue]) -> list[Action]:
    """The human-review Actions a reviewer answers: those of every check left under review."""
    reviewed: list[Action] = []
    for machine, human in _REVIEWED_BY[product].items():
        under_review = ActionValue.UNDER_REVIEW in (actions.get(machine), actions.get(human))
        if under_review and human not in reviewed:
            reviewed.append(human)
    return reviewed


def _record_verdicts(
    product: Product,
    actions: dict[Action, ActionValue],
    reviewed: list[Action],
    *,
    approve: bool,
    failed: set[Action],
) -> None:
    """Write each reviewer verdict and the machine check it settles."""
    verdicts = {human: ActionValue.PASSED for human in reviewed}
    if not approve:
        # The reviewer rejected on what the reason names, whether or not the machine had asked.
        verdicts.update(dict.fromkeys(failed, ActionValue.FAILED))
    for machine, human in _REVIEWED_BY[product].items():
        machine_value = actions.get(machine, ActionValue.NOT_APPLICABLE)
        ran = machine_value not in (ActionValue.NOT_APPLICABLE, ActionValue.ID_AUTHORITY_PHOTO_NOT_AVAILABLE)
        if human not in verdicts or not (ran or human in reviewed):
            continue  # a check this job never had (Liveness_Check on a lone selfie)
        verdict = verdicts[human]
        actions[human] = verdict
        if not ran or (machine_value is not ActionValue.UNDER_REVIEW and verdict is ActionValue.PASSED):
            continue  # the machine had settled it; the reviewer only confirmed
        if machine in _COMPARISONS:
            actions[machine] = ActionValue.COMPLETED
        elif product in _DOCUMENT_PRODUCTS and machine is Action.LIVENESS_CHECK:
            actions[machine] = ActionValue.FAILED
        elif machine is Action.VERIFY_ID_NUMBER:
            # The number exists either way; the reviewer decided whether the document agrees.
            actions[machine] = (
                ActionValue.VERIFIED if verdict is ActionValue.PASSED else ActionValue.NOT_VERIFIED
            )
        else:
            actions[machine] = verdict


def _registration(approve: bool, why: ReviewReason | None) -> tuple[ResultEntry, set[Action]]:
    if approve:
        return Registration.HUMAN_PASS, set()
    if why is ReviewReason.IMAGE_UNUSABLE:
        return Registration.HUMAN_FAIL_UNUSABLE, set(_SELFIE_HUMAN)
    if why in (None, ReviewReason.SPOOF):
        return Registration.HUMAN_FAIL_SPOOF, set(_SELFIE_HUMAN)
    raise ValueError(f"a registration review cannot reject for {why}")


def _biometric_kyc(
    approve: bool, why: ReviewReason | None, reviewed: list[Action]
) -> tuple[ResultEntry, set[Action]]:
    if approve:
        return Biometric.HUMAN_PASS, set()
    if why is None:
        why = ReviewReason.SPOOF if Action.HUMAN_REVIEW_LIVENESS_CHECK in reviewed else ReviewReason.NO_MATCH
    if why in (ReviewReason.SPOOF, ReviewReason.IMAGE_UNUSABLE):
        return Biometric.HUMAN_FAIL_SPOOF, {Action.HUMAN_REVIEW_LIVENESS_CHECK}
    if why is ReviewReason.NO_MATCH:
        return Biometric.HUMAN_FAIL_COMPARE, {Action.HUMAN_REVIEW_COMPARE}
    raise ValueError(f"a Biometric KYC review cannot reject for {why}")


def _authentication(
    provisional: ProductResult, approve: bool, why: ReviewReason | None
) -> tuple[ResultEntry, set[Action]]:
    if approve:
        return Authentication.HUMAN_PASS, set()
    if why is None:
        why = ReviewReason.SPOOF if provisional.result_code == Authentication.PROVISIONAL_SPOOF.code else None
    if why in (ReviewReason.SPOOF, ReviewReason.IMAGE_UNUSABLE):
        # 1222 covers both: "a fraud attempt or some times images are too blurry or dark".
        return Authentication.HUMAN_FAIL_SPOOF, set(_SELFIE_HUMAN)
    if why in (None, ReviewReason.NO_MATCH):
        return Authentication.HUMAN_FAIL_COMPARE, {Action.HUMAN_REVIEW_COMPARE}
    raise ValueError(f"an authentication review cannot reject for {why}")


def _document_verification(
    provisional: ProductResult, approve: bool, why: ReviewReason | None, reviewed: list[Action]
) -> tuple[ResultEntry, str | None, set[Action]]:
    if approve:
        # The reviewer vouches for what the machine could not settle, not for an expired or
        # photocopied document: that still needs the partner's attention.
        for code, entry in _ATTENTION.items():
            if code in provisional.reasons:
                return entry, None, set()
        return Docv.VERIFIED, None, set()
    if why is None:
        fraud_cue = Action.HUMAN_REVIEW_LIVENESS_CHECK in reviewed or bool(
            _FRAUD_CUES & set(provisional.reasons)
        )
        if fraud_cue:
            why = ReviewReason.POTENTIAL_FRAUD
        elif reviewed == [Action.HUMAN_REVIEW_COMPARE]:
            why = ReviewReason.NO_MATCH
        else:
            why = ReviewReason.UNREADABLE_DOCUMENT
    if why is ReviewReason.NO_MATCH:
        return Docv.REJECTED, DocvRejection.SELFIE_MISMATCH, {Action.HUMAN_REVIEW_COMPARE}
    entry = _DOCUMENT_REASONS[why]
    if (
        why in (ReviewReason.SPOOF, ReviewReason.POTENTIAL_FRAUD)
        and Action.HUMAN_REVIEW_LIVENESS_CHECK in reviewed
    ):
        # "Photo of photo": when the selfie's liveness was under review, that is what failed.
        return entry, None, {Action.HUMAN_REVIEW_LIVENESS_CHECK}
    return entry, None, {Action.HUMAN_REVIEW_DOCUMENT_CHECK}
