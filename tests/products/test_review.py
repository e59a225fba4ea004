from __future__ import annotations

from datetime import date

import pytest

from openkyc.engine.evidence import Decision
from openkyc.engine.face.compare import FaceOutcome
from openkyc.products import (
    ProductResult,
    ReviewReason,
    document_verification,
    resolve_review,
    smart_selfie_authentication,
    smart_selfie_compare,
    smart_selfie_registration,
)
from tests.products.factories import (
    assert_well_formed,
    document,
    liveness,
    match,
    mrz,
    selfie,
)
from tests.products.factories import (
    document_verification as docv,
)


def resolve(provisional: ProductResult, *, approve: bool, reason: str | None = None) -> ProductResult:
    assert not provisional.is_final
    result = resolve_review(provisional, approve=approve, reason=reason)
    assert_well_formed(result)
    assert result.is_final and not result.is_machine_result
    assert result.wire()["IsMachineResult"] == "false"
    assert result.product is provisional.product
    assert result.id_fields == provisional.id_fields
    assert result.reasons[: len(provisional.reasons)] == provisional.reasons
    return result


def unsure_registration(mode: str = "active") -> ProductResult:
    live = liveness(Decision.REVIEW, ["liveness.face_missing"], mode=mode)  # type: ignore[arg-type]
    return smart_selfie_registration.decide(selfie(live=live), sandbox_result=None)


def spoof_authentication() -> ProductResult:
    evidence = selfie(live=liveness(Decision.FAIL, ["liveness.planar_motion"]), compared=match())
    return smart_selfie_authentication.decide(evidence, sandbox_result=None)


def unsure_authentication() -> ProductResult:
    return smart_selfie_authentication.decide(selfie(compared=match(FaceOutcome.UNSURE)), sandbox_result=None)


def docv_decide(**document_options: object) -> ProductResult:
    evidence = docv(document(**document_options))  # type: ignore[arg-type]
    return document_verification.decide(
        evidence, sandbox=False, sandbox_result=None, use_enrolled_image=False
    )


class TestRegistration:
    def test_approval_enrols(self) -> None:
        result = resolve(unsure_registration(), approve=True)
        assert (result.result_code, result.result_text) == ("1240", "Enroll User")
        assert result.enrols_selfie
        assert result.actions["Register_Selfie"] == "Approved"
        assert result.actions["Human_Review_Liveness_Check"] == "Passed"
        assert result.actions["Liveness_Check"] == "Passed"
        assert result.reasons[-1] == "review.approved"
        assert result.v2()["status"] == "approved"

    def test_rejection_defaults_to_spoof(self) -> None:
        result = resolve(unsure_registration(), approve=False)
        assert (result.result_code, result.result_text) == ("1242", "Failed Enroll")
        assert not result.enrols_selfie
        assert result.actions["Register_Selfie"] == "Rejected"
        assert result.actions["Human_Review_Liveness_Check"] == "Failed"
        assert result.actions["Liveness_Check"] == "Failed"

    def test_unusable_image(self) -> None:
        result = resolve(unsure_registration(), approve=False, reason=ReviewReason.IMAGE_UNUSABLE)
        assert result.result_code == "1241"

    def test_lone_selfie_review_answers_the_selfie_check(self) -> None:
        result = resolve(unsure_registration("passive"), approve=False, reason="spoof")
        assert result.actions["Human_Review_Selfie_Check"] == "Failed"
        assert result.actions["Selfie_Check"] == "Failed"
        assert result.actions["Liveness_Check"] == "Not Applicable"
        assert result.actions["Human_Review_Liveness_Check"] == "Not Applicable"

    def test_no_comparison_to_reject_on(self) -> None:
        with pytest.raises(ValueError, match="cannot reject for no_match"):
            resolve_review(unsure_registration(), approve=False, reason=ReviewReason.NO_MATCH)


class TestAuthentication:
    def test_approval(self) -> None:
        result = resolve(spoof_authentication(), approve=True)
        assert (result.result_code, result.result_text) == ("1220", "Authenticate User")
        assert not result.enrols_selfie
        assert result.actions["Human_Review_Liveness_Check"] == "Passed"

    def test_spoof_review_rejection_defaults_to_spoof(self) -> None:
        result = resolve(spoof_authentication(), approve=False)
        assert (result.result_code, result.result_text) == ("1222", "Failed Authentication")
        assert result.actions["Human_Review_Liveness_Check"] == "Failed"

    def test_compare_review_rejection_defaults_to_compare(self) -> None:
        result = resolve(unsure_authentication(), approve=False)
        assert (result.result_code, result.result_text) == ("1221", "Failed Authentication")
        assert result.actions["Human_Review_Compare"] == "Failed"
        assert result.actions["Selfie_To_Registered_Selfie_Compare"] == "Completed"
        assert result.confidence_value == unsure_authentication().confidence_value

    def test_reviewer_finds_another_person_in_a_spoof_review(self) -> None:
        result = resolve(spoof_authentication(), approve=False, reason="no_match")
        assert result.result_code == "1221"
        assert result.actions["Human_Review_Compare"] == "Failed"
        assert result.actions["Human_Review_Liveness_Check"] == "Passed"

    def test_too_dark_or_blurry_is_the_spoof_row(self) -> None:
        assert resolve(unsure_authentication(), approve=False, reason="image_unusable").result_code == "1222"


class TestDocumentVerification:
    def test_approval_after_mrz_review(self) -> None:
        provisional = docv_decide(machine_zone=mrz(valid=False))
        result = resolve(provisional, approve=True)
        assert (result.result_code, result.result_text) == ("0810", "Document Verified")
        assert result.enrols_selfie
        assert result.actions["Human_Review_Document_Check"] == "Passed"
        assert result.actions["Verify_Document"] == "Passed"
        assert result.actions["Register_Selfie"] == "Approved"

    def test_approval_keeps_the_attention(self) -> None:
        provisional = docv_decide(machine_zone=mrz(valid=False), expiry=date(2025, 1, 1))
        result = resolve(provisional, approve=True)
        assert (result.result_code, result.result_text) == (
            "0817",
            "Approved with Attention - Document is Expired",
        )

    @pytest.mark.parametrize(
        ("reason", "text"),
        [
            ("cropped_document", "Unable to Verify Document After Human Review (Cropped Document)"),
            ("not_a_document", "Unable to Verify Document After Human Review (Not A Document)"),
            ("potential_fraud", "Unable to Verify Document After Human Review (Potential Fraud Attempt)"),
            ("unreadable_document", "Unable to Verify Document After Human Review (Unreadable Document)"),
            ("unsupported_document", "Unable to Verify Document After Human Review (Unsupported Document)"),
            ("wrong_document_type", "Unable to Verify Document After Human Review (Wrong Document Type)"),
            ("no_match", "Unable to Verify Document - The selfie did not match the photo on document"),
        ],
    )
    def test_rejection_rows(self, reason: str, text: str) -> None:
        result = resolve(docv_decide(machine_zone=mrz(valid=False)), approve=False, reason=reason)
        assert (result.result_code, result.result_text) == ("0811", text)
        assert not result.enrols_selfie
        assert result.actions["Register_Selfie"] == "Rejected"

    def test_document_rejection_fails_the_document_checks(self) -> None:
        result = resolve(
            docv_decide(machine_zone=mrz(valid=False)), approve=False, reason="wrong_document_type"
        )
        assert result.actions["Human_Review_Document_Check"] == "Failed"
        assert result.actions["Verify_Document"] == "Failed"

    def test_liveness_review_passed_still_reports_the_machine_check_failed(self) -> None:
        person = selfie(live=liveness(Decision.REVIEW, ["liveness.face_missing"]))
        provisional = document_verification.decide(
            docv(person=person), sandbox=False, sandbox_result=None, use_enrolled_image=False
        )
        result = resolve(provisional, approve=True)
        assert result.result_code == "0810"
        assert result.actions["Human_Review_Liveness_Check"] == "Passed"
        assert result.actions["Liveness_Check"] == "Failed"

    def test_liveness_review_rejection_defaults_to_fraud(self) -> None:
        person = selfie(faces=2)
        provisional = document_verification.decide(
            docv(person=person), sandbox=False, sandbox_result=None, use_enrolled_image=False
        )
        result = resolve(provisional, approve=False)
        assert result.result_text == "Unable to Verify Document After Human Review (Potential Fraud Attempt)"
        assert result.actions["Human_Review_Liveness_Check"] == "Failed"

    def test_unread_dates_rejection_defaults_to_unreadable(self) -> None:
        result = resolve(docv_decide(birth=None), approve=False)
        assert result.result_text == "Unable to Verify Document After Human Review (Unreadable Document)"

    def test_enrolled_image_is_not_enrolled_again(self) -> None:
        person = selfie(live=liveness(mode="passive"), compared=match(FaceOutcome.IDENTICAL_IMAGES))
        provisional = document_verification.decide(
            docv(document(machine_zone=mrz(valid=False)), person),
            sandbox=False,
            sandbox_result=None,
            use_enrolled_image=True,
        )
        result = resolve(provisional, approve=True)
        assert not result.enrols_selfie
        assert result.actions["Register_Selfie"] == "Not Applicable"


def test_final_results_have_nothing_to_review() -> None:
    final = smart_selfie_registration.decide(selfie(), sandbox_result=None)
    with pytest.raises(ValueError, match="final"):
        resolve_review(final, approve=True, reason=None)
    compare = smart_selfie_compare.decide(selfie(compared=match()), sandbox_result=None)
    with pytest.raises(ValueError, match="nothing to review"):
        resolve_review(compare, approve=False, reason=None)


def test_unknown_reason() -> None:
    with pytest.raises(ValueError, match="not a valid ReviewReason"):
        resolve_review(unsure_registration(), approve=False, reason="bad vibes")
