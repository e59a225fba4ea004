from __future__ import annotations

import numpy as np
import pytest

from openkyc.products import Action, ActionValue, Outcome, Product, V2Status
from openkyc.products.codes.document_verification import DocumentVerification
from openkyc.products.codes.smart_selfie_authentication import SmartSelfieAuthentication
from openkyc.products.codes.smart_selfie_compare import SmartSelfieCompare
from openkyc.products.codes.smart_selfie_registration import SmartSelfieRegistration
from openkyc.products.result import ProductResult, build_result, make_actions


def test_wire_fragment() -> None:
    result = build_result(
        Product.DOCUMENT_VERIFICATION,
        DocumentVerification.VERIFIED,
        actions={Action.VERIFY_DOCUMENT: ActionValue.PASSED},
        reasons=["document.not_found", "document.not_found"],
        id_fields={"Country": "NG", "IDType": "PASSPORT"},
        enrols_selfie=True,
    )
    wire = result.wire()
    assert wire == {
        "Actions": {
            "Document_Check": "Not Applicable",
            "Human_Review_Compare": "Not Applicable",
            "Human_Review_Document_Check": "Not Applicable",
            "Human_Review_Liveness_Check": "Not Applicable",
            "Liveness_Check": "Not Applicable",
            "Register_Selfie": "Not Applicable",
            "Return_Personal_Info": "Not Applicable",
            "Selfie_To_ID_Card_Compare": "Not Applicable",
            "Verify_Document": "Passed",
        },
        "Country": "NG",
        "IDType": "PASSPORT",
        "IsFinalResult": "true",
        "IsMachineResult": "true",
        "ResultCode": "0810",
        "ResultText": "Document Verified",
        "ResultType": "Document Verification",
    }
    assert result.reasons == ["document.not_found"]
    assert result.enrols_selfie
    # The wire dict is a copy: the frozen result does not change through it.
    actions = wire["Actions"]
    assert isinstance(actions, dict)
    actions["Verify_Document"] = "Failed"
    assert result.actions["Verify_Document"] == "Passed"


def test_provisional_result_is_pending_enrols_nothing_and_keeps_its_review() -> None:
    result = build_result(
        Product.SMART_SELFIE_AUTHENTICATION,
        SmartSelfieAuthentication.PROVISIONAL_COMPARE_UNSURE,
        actions={Action.SELFIE_TO_REGISTERED_SELFIE_COMPARE: ActionValue.UNDER_REVIEW},
        reasons=[],
        confidence_value="48",
        enrols_selfie=True,
    )
    assert result.outcome is Outcome.PROVISIONAL and not result.is_final
    assert not result.enrols_selfie
    assert result.v2_status is V2Status.PENDING
    assert result.actions["Selfie_To_Registered_Selfie_Compare"] == "Under Review"
    assert result.wire()["IsFinalResult"] == "false"
    assert result.wire()["ConfidenceValue"] == "48"
    assert result.v2() == {
        "code": "0825",
        "message": "Machine Judgement - PROVISIONAL - Machine Compare Unsure",
        "status": "pending",
    }


def test_final_result_settles_what_was_unsure_as_failed() -> None:
    result = build_result(
        Product.SMART_SELFIE_AUTHENTICATION,
        SmartSelfieAuthentication.MACHINE_FAIL_COMPARISON,
        actions={Action.LIVENESS_CHECK: ActionValue.UNDER_REVIEW},
        reasons=[],
    )
    assert result.actions["Liveness_Check"] == "Failed"
    assert result.v2_status is V2Status.REJECTED


def test_human_review_rows_are_not_machine_results() -> None:
    result = build_result(
        Product.SMART_SELFIE_REGISTRATION, SmartSelfieRegistration.HUMAN_PASS, actions={}, reasons=[]
    )
    assert not result.is_machine_result
    assert result.wire()["IsMachineResult"] == "false"


def test_request_errors_are_not_results() -> None:
    with pytest.raises(ValueError, match="request"):
        build_result(
            Product.SMART_SELFIE_REGISTRATION,
            SmartSelfieRegistration.ALREADY_ENROLLED,
            actions={},
            reasons=[],
        )


def test_actions_a_product_does_not_have() -> None:
    with pytest.raises(ValueError, match="Verify_Document"):
        make_actions(Product.SMART_SELFIE_COMPARE, {Action.VERIFY_DOCUMENT: ActionValue.PASSED})


def test_rows_of_another_product_are_refused() -> None:
    with pytest.raises(ValueError, match="smart_selfie_compare"):
        build_result(
            Product.SMART_SELFIE_COMPARE, SmartSelfieRegistration.MACHINE_PASS, actions={}, reasons=[]
        )


def test_result_is_frozen() -> None:
    result = build_result(Product.SMART_SELFIE_COMPARE, SmartSelfieCompare.FACE_MATCH, actions={}, reasons=[])
    assert isinstance(result, ProductResult)
    with pytest.raises(AttributeError):
        result.result_code = "0841"  # type: ignore[misc]


def test_enrolment_travels_only_with_a_result_that_enrols() -> None:
    embedding = np.linspace(-0.2, 0.2, 128)
    approved = build_result(
        Product.SMART_SELFIE_REGISTRATION,
        SmartSelfieRegistration.MACHINE_PASS,
        actions={},
        reasons=[],
        enrols_selfie=True,
    )
    assert approved.approved and not approved.failed
    enrolled = approved.with_enrolment(embedding)
    assert enrolled.enrolment_embedding is not None
    assert np.array_equal(enrolled.enrolment_embedding, embedding)
    assert enrolled == approved  # the embedding is never compared
    assert "enrolment_embedding" not in repr(enrolled)
    assert "embedding" not in str(enrolled.wire())
    assert approved.with_enrolment(None) is approved
    rejected = build_result(
        Product.SMART_SELFIE_REGISTRATION,
        SmartSelfieRegistration.MACHINE_FAIL_SPOOF,
        actions={},
        reasons=[],
        enrols_selfie=True,
    )
    assert rejected.failed and not rejected.enrols_selfie
    assert rejected.with_enrolment(embedding).enrolment_embedding is None
