from __future__ import annotations

import pytest

from openkyc.engine.evidence import Decision
from openkyc.engine.smart_selfie import SmartSelfieEvidence
from openkyc.products import Outcome, ProductResult, smart_selfie_registration
from tests.products.factories import assert_well_formed, liveness, quality, selfie


def decide(evidence: SmartSelfieEvidence, sandbox_result: str | None = None) -> ProductResult:
    result = smart_selfie_registration.decide(evidence, sandbox_result=sandbox_result)
    assert_well_formed(result)
    return result


def test_live_selfie_is_enrolled() -> None:
    result = decide(selfie())
    assert (result.result_code, result.result_text) == ("0840", "Enroll User")
    assert result.result_type == "SAIA"
    assert result.is_final and result.is_machine_result and result.enrols_selfie
    assert result.outcome is Outcome.APPROVED
    assert result.actions == {
        "Human_Review_Compare": "Not Applicable",
        "Human_Review_Liveness_Check": "Not Applicable",
        "Human_Review_Update_Selfie": "Not Applicable",
        "Liveness_Check": "Passed",
        "Selfie_Check": "Passed",
        "Human_Review_Selfie_Check": "Not Applicable",
        "Register_Selfie": "Approved",
        "Return_Personal_Info": "Not Applicable",
        "Selfie_Provided": "Passed",
        "Selfie_To_ID_Authority_Compare": "Not Applicable",
        "Selfie_To_ID_Card_Compare": "Not Applicable",
        "Selfie_To_Registered_Selfie_Compare": "Not Applicable",
        "Update_Registered_Selfie_On_File": "Not Applicable",
        "Verify_ID_Number": "Not Applicable",
    }
    assert result.v2() == {"code": "0840", "message": "Enroll User", "status": "approved"}


def test_lone_selfie_reports_only_the_selfie_check() -> None:
    result = decide(selfie(live=liveness(mode="passive")))
    assert result.result_code == "0840"
    assert result.actions["Selfie_Check"] == "Passed"
    assert result.actions["Liveness_Check"] == "Not Applicable"


def test_no_face() -> None:
    result = decide(selfie(faces=0))
    assert (result.result_code, result.result_text) == ("0941", "FAIL - No Face Found")
    assert result.outcome is Outcome.REJECTED and not result.enrols_selfie
    assert result.actions["Selfie_Provided"] == "Failed"
    assert result.actions["Register_Selfie"] == "Rejected"
    assert result.actions["Liveness_Check"] == "Not Applicable"
    assert result.reasons == ["face.no_face_selfie"]


def test_unusable_selfie() -> None:
    result = decide(selfie(image_quality=quality(Decision.FAIL, ["quality.too_blurry"])))
    assert (result.result_code, result.result_text) == ("0942", "FAIL - Image Quality Judged Too Poor")
    assert result.actions["Selfie_Provided"] == "Failed"
    assert "quality.too_blurry" in result.reasons


def test_lesser_quality_problems_do_not_decide() -> None:
    result = decide(selfie(image_quality=quality(Decision.REVIEW, ["quality.blurry"])))
    assert result.result_code == "0840"


def test_spoof_is_rejected() -> None:
    result = decide(selfie(live=liveness(Decision.FAIL, ["liveness.replayed_still"])))
    assert (result.result_code, result.result_text) == ("0841", "Failed Enroll")
    assert result.actions["Liveness_Check"] == "Failed"
    assert result.actions["Register_Selfie"] == "Rejected"
    assert result.reasons == ["liveness.replayed_still"]
    assert result.v2()["status"] == "rejected"


def test_unsure_liveness_goes_to_review() -> None:
    result = decide(selfie(live=liveness(Decision.REVIEW, ["liveness.face_missing"])))
    assert (result.result_code, result.result_text) == (
        "0844",
        "PROVISIONAL - Possible Spoof - Machine Judgement",
    )
    assert not result.is_final and result.is_machine_result and not result.enrols_selfie
    assert result.actions["Liveness_Check"] == "Under Review"
    assert result.actions["Human_Review_Liveness_Check"] == "Under Review"
    assert result.actions["Register_Selfie"] == "Provisionally Approved"
    assert result.wire()["IsFinalResult"] == "false"
    assert result.v2()["status"] == "pending"


def test_unsure_passive_check_goes_to_the_selfie_reviewer() -> None:
    result = decide(selfie(live=liveness(Decision.REVIEW, ["liveness.glare_on_face"], mode="passive")))
    assert result.result_code == "0844"
    assert result.actions["Selfie_Check"] == "Under Review"
    assert result.actions["Human_Review_Selfie_Check"] == "Under Review"
    assert result.actions["Liveness_Check"] == "Not Applicable"
    assert result.actions["Human_Review_Liveness_Check"] == "Not Applicable"


def test_several_faces_go_to_review() -> None:
    result = decide(selfie(faces=2))
    assert result.result_code == "0844"
    assert "product.several_faces_in_selfie" in result.reasons


def test_wrong_frame_count_is_invalid_data() -> None:
    result = decide(selfie(live=liveness(Decision.FAIL, ["liveness.too_few_frames"])))
    assert (result.result_code, result.result_text) == ("0001", "Data Invalid")
    assert result.outcome is Outcome.REJECTED


@pytest.mark.parametrize(
    ("forced", "code", "register", "final"),
    [
        ("0", "0840", "Approved", True),
        ("1", "0841", "Rejected", True),
        ("2", "0844", "Provisionally Approved", False),
    ],
)
def test_sandbox_result_forces_the_outcome(forced: str, code: str, register: str, final: bool) -> None:
    # A spoof the engine caught: the partner's sandbox_result still decides.
    result = decide(selfie(live=liveness(Decision.FAIL, ["liveness.planar_motion"])), forced)
    assert result.result_code == code
    assert result.is_final is final
    assert result.actions["Register_Selfie"] == register
    assert result.reasons[0] == f"sandbox.sandbox_result_{forced}"
    assert result.enrols_selfie is (forced == "0")


def test_forced_approval_never_enrols_a_faceless_selfie() -> None:
    result = decide(selfie(faces=0), "0")
    assert result.result_code == "0840"
    assert not result.enrols_selfie


@pytest.mark.parametrize("value", [None, "", "3", "approve"])
def test_other_sandbox_values_force_nothing(value: str | None) -> None:
    assert decide(selfie(faces=0), value).result_code == "0941"
