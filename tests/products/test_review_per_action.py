"""A reviewer's verdict on each Human_Review_* check (the portal's review form): which checks a
provisional result offers, and the final row each combination of verdicts gives."""

from __future__ import annotations

import pytest

from openkyc.engine.evidence import Decision
from openkyc.products import (
    Action,
    Product,
    ProductResult,
    ReviewReason,
    document_verification,
    resolve_review,
    resolve_review_per_action,
    review_checks,
    review_reasons,
    smart_selfie_registration,
)
from tests.products.factories import assert_well_formed, liveness, mrz, selfie
from tests.products.factories import document_verification as docv
from tests.products.test_review import (
    docv_decide,
    spoof_authentication,
    unsure_authentication,
    unsure_registration,
)

LIVENESS = Action.HUMAN_REVIEW_LIVENESS_CHECK.value
SELFIE = Action.HUMAN_REVIEW_SELFIE_CHECK.value
COMPARE = Action.HUMAN_REVIEW_COMPARE.value
DOCUMENT = Action.HUMAN_REVIEW_DOCUMENT_CHECK.value


def decide(provisional: ProductResult, reason: str | None = None, **verdicts: bool) -> ProductResult:
    result = resolve_review_per_action(
        provisional,
        verdicts={f"Human_Review_{name}": passed for name, passed in verdicts.items()},
        reason=reason,
    )
    assert_well_formed(result)
    assert result.is_final and not result.is_machine_result
    return result


def test_the_checks_offered_are_those_under_review_and_those_the_machine_ran() -> None:
    checks = {check.action.value: check.under_review for check in review_checks(unsure_authentication())}
    assert checks == {LIVENESS: False, SELFIE: False, COMPARE: True}
    lone_selfie = review_checks(unsure_registration("passive"))
    assert [(check.action.value, check.under_review) for check in lone_selfie] == [(SELFIE, True)]
    document = {
        check.action.value: check for check in review_checks(docv_decide(machine_zone=mrz(valid=False)))
    }
    assert document[DOCUMENT].under_review
    assert document[DOCUMENT].machine == {
        Action.DOCUMENT_CHECK: "Passed",
        Action.VERIFY_DOCUMENT: "Under Review",
    }


def test_every_check_passed_approves_like_an_approval() -> None:
    provisional = unsure_registration()
    by_action = decide(provisional, Liveness_Check=True, Selfie_Check=True)
    whole = resolve_review(provisional, approve=True, reason=None)
    assert by_action.wire() == whole.wire() and by_action.result_code == "1240"


def test_a_check_under_review_needs_a_verdict() -> None:
    with pytest.raises(ValueError, match="Human_Review_Selfie_Check has none"):
        decide(unsure_registration(), Liveness_Check=True)


def test_a_check_this_job_has_not_is_refused() -> None:
    with pytest.raises(ValueError, match="no Human_Review_Compare"):
        decide(unsure_registration("passive"), Selfie_Check=True, Compare=False)
    with pytest.raises(ValueError, match="not an Action"):
        resolve_review_per_action(unsure_registration(), verdicts={"Nonsense": True}, reason=None)


def test_a_reason_with_nothing_failed_is_refused() -> None:
    with pytest.raises(ValueError, match="every check passed"):
        decide(unsure_authentication(), reason="no_match", Compare=True)


def test_authentication_compare_failed_is_1221_and_liveness_failed_is_1222() -> None:
    compare = decide(unsure_authentication(), Compare=False)
    assert compare.result_code == "1221"
    assert compare.actions[COMPARE] == "Failed"
    assert compare.actions["Human_Review_Liveness_Check"] == "Not Applicable"  # the machine settled it
    spoof = decide(spoof_authentication(), Liveness_Check=False, Selfie_Check=True)
    assert spoof.result_code == "1222"
    assert (spoof.actions[LIVENESS], spoof.actions[SELFIE]) == ("Failed", "Passed")


def test_a_settled_check_the_reviewer_fails_decides_the_row() -> None:
    # Liveness looked fine to the reviewer, but it is another person: 1221 as in the whole-job form.
    result = decide(spoof_authentication(), Liveness_Check=True, Selfie_Check=True, Compare=False)
    assert result.result_code == "1221"
    assert result.actions[COMPARE] == "Failed" and result.actions[LIVENESS] == "Passed"
    assert result.actions["Selfie_To_Registered_Selfie_Compare"] == "Completed"


def test_the_reason_must_be_about_a_check_that_failed() -> None:
    with pytest.raises(ValueError, match="about Human_Review_Compare, which did not fail"):
        decide(spoof_authentication(), reason="no_match", Liveness_Check=False, Selfie_Check=True)
    assert decide(
        unsure_authentication(), reason="image_unusable", Compare=True, Selfie_Check=False
    ).result_code == ("1222")


def test_registration_unusable_selfie() -> None:
    result = decide(unsure_registration(), reason="image_unusable", Liveness_Check=True, Selfie_Check=False)
    assert (result.result_code, result.actions["Register_Selfie"]) == ("1241", "Rejected")
    assert not result.enrols_selfie


def test_document_rows_follow_the_failed_check() -> None:
    provisional = docv_decide(machine_zone=mrz(valid=False))
    default = decide(provisional, Document_Check=False)
    # An invalid MRZ is a fraud cue: Potential Fraud Attempt by default.
    assert default.result_text == "Unable to Verify Document After Human Review (Potential Fraud Attempt)"
    assert default.actions[DOCUMENT] == "Failed" and default.actions["Verify_Document"] == "Failed"
    cropped = decide(provisional, reason="cropped_document", Document_Check=False)
    assert cropped.result_text == "Unable to Verify Document After Human Review (Cropped Document)"
    mismatch = decide(provisional, Document_Check=True, Compare=False)
    assert (
        mismatch.result_text == "Unable to Verify Document - The selfie did not match the photo on document"
    )
    assert mismatch.actions[DOCUMENT] == "Passed" and mismatch.actions[COMPARE] == "Failed"
    with pytest.raises(ValueError, match="did not fail"):
        decide(provisional, reason="wrong_document_type", Document_Check=True, Compare=False)


def test_document_liveness_failed_is_potential_fraud_on_the_selfie() -> None:
    person = selfie(live=liveness(Decision.REVIEW, ["liveness.face_missing"]))
    provisional = document_verification.decide(
        docv(person=person), sandbox=False, sandbox_result=None, use_enrolled_image=False
    )
    result = decide(provisional, Liveness_Check=False)
    assert result.result_text == "Unable to Verify Document After Human Review (Potential Fraud Attempt)"
    assert result.actions[LIVENESS] == "Failed" and result.actions["Liveness_Check"] == "Failed"


def test_reasons_offered_per_product() -> None:
    assert review_reasons(Product.SMART_SELFIE_REGISTRATION) == [
        ReviewReason.SPOOF,
        ReviewReason.IMAGE_UNUSABLE,
    ]
    assert ReviewReason.NO_MATCH in review_reasons(Product.BIOMETRIC_KYC)
    assert set(review_reasons(Product.DOCUMENT_VERIFICATION)) == set(ReviewReason)
    assert review_reasons(Product.SMART_SELFIE_COMPARE) == []


def test_a_final_result_offers_nothing_to_decide() -> None:
    final = smart_selfie_registration.decide(selfie(), sandbox_result=None)
    with pytest.raises(ValueError, match="final"):
        review_checks(final)
