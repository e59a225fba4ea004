from __future__ import annotations

import pytest

from openkyc.engine.evidence import Decision
from openkyc.engine.face.compare import FaceOutcome
from openkyc.engine.smart_selfie import SmartSelfieEvidence
from openkyc.products import ProductResult, smart_selfie_compare
from tests.products.factories import assert_well_formed, liveness, match, quality, selfie

NO_FACE_IN_SELFIE = "No Match - No clear face was found in the selfie image. (1st image - selfie)."


def decide(evidence: SmartSelfieEvidence, sandbox_result: str | None = None) -> ProductResult:
    result = smart_selfie_compare.decide(evidence, sandbox_result=sandbox_result)
    assert_well_formed(result)
    # Synchronous: never provisional, never a reviewer.
    assert result.is_final and result.is_machine_result
    assert list(result.actions) == ["Liveness_Check", "Selfie_Check", "Register_Selfie", "Selfie_Provided"]
    return result


def test_match_is_approved_and_enrolled() -> None:
    result = decide(selfie(compared=match()))
    assert result.v2() == {"code": "0840", "message": "Face Match", "status": "approved"}
    assert result.enrols_selfie
    assert result.actions == {
        "Liveness_Check": "Passed",
        "Selfie_Check": "Passed",
        "Register_Selfie": "Approved",
        "Selfie_Provided": "Passed",
    }


def test_an_unsure_comparison_is_no_match_where_no_reviewer_exists() -> None:
    assert decide(selfie(compared=match(FaceOutcome.UNSURE))).result_code == "0841"


def test_another_person() -> None:
    result = decide(selfie(compared=match(FaceOutcome.NO_MATCH)))
    assert result.v2() == {"code": "0841", "message": "No Match - - No Face Match", "status": "rejected"}
    assert not result.enrols_selfie
    assert result.actions["Register_Selfie"] == "Rejected"


def test_identical_images() -> None:
    result = decide(selfie(compared=match(FaceOutcome.IDENTICAL_IMAGES)))
    assert (result.result_code, result.result_text) == (
        "0941",
        "No Match - The compared images are identical.",
    )


@pytest.mark.parametrize(
    "evidence",
    [
        selfie(faces=0),
        selfie(faces=3, compared=match(multiple_faces=True)),
        selfie(image_quality=quality(Decision.FAIL, ["quality.too_blurry"]), compared=match()),
    ],
    ids=["no face", "several faces", "unusable"],
)
def test_no_clear_face_in_the_selfie(evidence: SmartSelfieEvidence) -> None:
    result = decide(evidence)
    assert (result.result_code, result.result_text) == ("0941", NO_FACE_IN_SELFIE)


def test_comparison_image_without_a_face_does_not_match() -> None:
    assert decide(selfie(compared=match(FaceOutcome.NO_FACE_B))).result_code == "0841"


@pytest.mark.parametrize("decision", [Decision.FAIL, Decision.REVIEW])
def test_liveness_that_does_not_pass_rejects(decision: Decision) -> None:
    result = decide(selfie(live=liveness(decision, ["liveness.colour_moire"]), compared=match()))
    assert result.result_code == "0841"
    assert result.actions["Liveness_Check"] == "Failed"
    assert not result.enrols_selfie


def test_wrong_frame_count_is_invalid_data() -> None:
    result = decide(selfie(live=liveness(Decision.FAIL, ["liveness.too_few_frames"]), compared=match()))
    assert (result.result_code, result.result_text) == ("0001", "Data Invalid")


@pytest.mark.parametrize(("forced", "code"), [("0", "0840"), ("1", "0841")])
def test_sandbox_result_forces_the_outcome(forced: str, code: str) -> None:
    result = decide(selfie(compared=match(FaceOutcome.IDENTICAL_IMAGES)), forced)
    assert result.result_code == code


def test_provisional_sandbox_result_forces_nothing_without_a_review_stage() -> None:
    assert decide(selfie(compared=match(FaceOutcome.NO_MATCH)), "2").result_code == "0841"
