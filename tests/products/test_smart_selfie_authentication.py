from __future__ import annotations

import pytest

from openkyc.engine.evidence import Decision
from openkyc.engine.face.compare import FaceOutcome
from openkyc.engine.smart_selfie import SmartSelfieEvidence
from openkyc.products import Outcome, ProductResult, smart_selfie_authentication
from tests.products.factories import assert_well_formed, liveness, match, quality, selfie


def decide(evidence: SmartSelfieEvidence, sandbox_result: str | None = None) -> ProductResult:
    result = smart_selfie_authentication.decide(evidence, sandbox_result=sandbox_result)
    assert_well_formed(result)
    assert not result.enrols_selfie  # authentication never changes the registered face
    return result


def test_same_person_live_is_authenticated() -> None:
    result = decide(selfie(compared=match()))
    assert (result.result_code, result.result_text) == ("0820", "Authenticate User")
    assert result.outcome is Outcome.APPROVED and result.is_machine_result
    assert result.actions["Selfie_To_Registered_Selfie_Compare"] == "Completed"
    assert result.actions["Liveness_Check"] == "Passed"
    assert result.actions["Selfie_Provided"] == "Passed"
    assert result.actions["Register_Selfie"] == "Not Applicable"
    assert result.actions["Human_Review_Compare"] == "Not Applicable"
    # 0.62 at threshold 0.43: above the middle of the scale.
    assert result.confidence_value is not None and 60 < int(result.confidence_value) < 80
    assert result.wire()["ConfidenceValue"] == result.confidence_value


def test_another_person_is_rejected() -> None:
    result = decide(selfie(compared=match(FaceOutcome.NO_MATCH)))
    assert (result.result_code, result.result_text) == ("0821", "Failed Authentication")
    assert result.actions["Selfie_To_Registered_Selfie_Compare"] == "Completed"
    assert result.confidence_value is not None and int(result.confidence_value) < 50
    assert "face.no_match" in result.reasons


def test_another_person_is_final_even_when_liveness_failed_too() -> None:
    evidence = selfie(
        live=liveness(Decision.FAIL, ["liveness.planar_motion"]), compared=match(FaceOutcome.NO_MATCH)
    )
    result = decide(evidence)
    assert result.result_code == "0821"
    assert result.actions["Liveness_Check"] == "Failed"


@pytest.mark.parametrize("decision", [Decision.FAIL, Decision.REVIEW])
def test_possible_spoof_goes_to_review(decision: Decision) -> None:
    result = decide(selfie(live=liveness(decision, ["liveness.screen_or_print_texture"]), compared=match()))
    assert (result.result_code, result.result_text) == (
        "0824",
        "Machine Judgement - PROVISIONAL - Possible Spoof",
    )
    assert not result.is_final
    assert result.actions["Liveness_Check"] == "Under Review"
    assert result.actions["Human_Review_Liveness_Check"] == "Under Review"
    assert result.actions["Selfie_To_Registered_Selfie_Compare"] == "Completed"


def test_enrolled_photo_sent_again_is_a_possible_spoof() -> None:
    result = decide(selfie(compared=match(FaceOutcome.IDENTICAL_IMAGES)))
    assert result.result_code == "0824"
    assert "face.identical_images" in result.reasons


def test_several_faces_are_a_possible_spoof() -> None:
    result = decide(selfie(faces=2, compared=match(multiple_faces=True)))
    assert result.result_code == "0824"
    assert "product.several_faces_in_selfie" in result.reasons


def test_an_unsure_comparison_goes_to_a_reviewer() -> None:
    result = decide(selfie(compared=match(FaceOutcome.UNSURE)))
    assert (result.result_code, result.result_text) == (
        "0825",
        "Machine Judgement - PROVISIONAL - Machine Compare Unsure",
    )
    assert result.actions["Selfie_To_Registered_Selfie_Compare"] == "Under Review"
    assert result.actions["Human_Review_Compare"] == "Under Review"
    assert result.actions["Liveness_Check"] == "Passed"
    assert "product.match_unsure" in result.reasons


def test_a_match_at_the_operating_point_needs_no_second_confirmation() -> None:
    # The operating point holds its FAR within every demographic group on its own.
    assert decide(selfie(compared=match(score=0.78))).result_code == "0820"


def test_enrolled_image_without_a_face_is_for_a_reviewer() -> None:
    assert decide(selfie(compared=match(FaceOutcome.NO_FACE_B))).result_code == "0825"


def test_no_face() -> None:
    result = decide(selfie(faces=0))
    assert (result.result_code, result.result_text) == ("0921", "FAIL - No Face Found")
    assert result.actions["Selfie_Provided"] == "Failed"
    assert result.actions["Selfie_To_Registered_Selfie_Compare"] == "Not Applicable"
    assert result.confidence_value is None
    assert "ConfidenceValue" not in result.wire()


def test_unusable_selfie() -> None:
    result = decide(
        selfie(image_quality=quality(Decision.FAIL, ["quality.low_resolution"]), compared=match())
    )
    assert (result.result_code, result.result_text) == ("0922", "FAIL - Image Quality Judged Too Poor")


def test_wrong_frame_count_is_invalid_data() -> None:
    result = decide(selfie(live=liveness(Decision.FAIL, ["liveness.too_many_frames"]), compared=match()))
    assert (result.result_code, result.result_text) == ("0001", "Data Invalid")


def test_evidence_without_the_enrolled_face_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="reference"):
        smart_selfie_authentication.decide(selfie(), sandbox_result=None)


@pytest.mark.parametrize(
    ("forced", "code", "compare"),
    [("0", "0820", "Completed"), ("1", "0821", "Completed"), ("2", "0825", "Under Review")],
)
def test_sandbox_result_forces_the_outcome(forced: str, code: str, compare: str) -> None:
    result = decide(selfie(compared=match(FaceOutcome.NO_MATCH)), forced)
    assert result.result_code == code
    assert result.actions["Selfie_To_Registered_Selfie_Compare"] == compare
    assert result.reasons[0] == f"sandbox.sandbox_result_{forced}"


def reverified(evidence: SmartSelfieEvidence, sandbox_result: str | None = None) -> ProductResult:
    """A re-verification on the enrolled image: the enrolled selfie's own evidence."""
    result = smart_selfie_authentication.decide(evidence, sandbox_result=sandbox_result, enrolled_image=True)
    assert_well_formed(result)
    assert not result.enrols_selfie
    assert smart_selfie_authentication.ENROLLED_IMAGE_REASON in result.reasons
    return result


def test_a_re_verification_on_the_enrolled_image_says_so_and_has_no_active_liveness() -> None:
    result = reverified(selfie(live=liveness(mode="passive"), compared=match()))
    assert (result.result_code, result.result_text) == ("0820", "Authenticate User")
    assert result.reasons[0] == "selfie.enrolled_image_reused"
    assert result.actions["Liveness_Check"] == "Not Applicable"
    assert result.actions["Selfie_Check"] == "Passed"
    assert result.actions["Selfie_To_Registered_Selfie_Compare"] == "Completed"


def test_a_re_verification_is_held_to_the_passive_checks_and_the_enrolled_face() -> None:
    suspect = reverified(
        selfie(live=liveness(Decision.REVIEW, ["selfie.recapture"], mode="passive"), compared=match())
    )
    assert suspect.result_code == "0824" and not suspect.is_final
    assert suspect.actions["Selfie_Check"] == "Under Review"
    assert (
        reverified(selfie(live=liveness(mode="passive"), compared=match(FaceOutcome.NO_MATCH))).result_code
        == "0821"
    )
    assert reverified(selfie(faces=0)).result_code == "0921"
    forced = reverified(selfie(live=liveness(mode="passive"), compared=match()), sandbox_result="0")
    assert forced.reasons[:2] == ["sandbox.sandbox_result_0", "selfie.enrolled_image_reused"]


@pytest.mark.parametrize(
    ("code", "reason"), [("2207", "enrolled.user_disabled"), ("2211", "enrolled.reenrolment_required")]
)
def test_an_account_that_may_not_be_authenticated_is_its_own_row(code: str, reason: str) -> None:
    result = smart_selfie_authentication.account_refusal(code)
    assert result is not None
    assert result.result_code == code and result.outcome is Outcome.REJECTED and result.is_final
    assert result.reasons == [reason] and not result.enrols_selfie
    assert set(result.actions.values()) == {"Not Applicable"}  # nothing was checked
    assert smart_selfie_authentication.account_refusal("2210") is None
