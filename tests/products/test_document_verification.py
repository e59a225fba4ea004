from __future__ import annotations

from datetime import date

import pytest

from openkyc.engine.document.analyse import DocumentEvidence
from openkyc.engine.document.classify import DocumentKind
from openkyc.engine.document.dates import find_dates
from openkyc.engine.document.visual_zone import VizField
from openkyc.engine.document_verification import DocumentVerificationEvidence
from openkyc.engine.evidence import Decision
from openkyc.engine.face.compare import FaceOutcome
from openkyc.engine.smart_selfie import SmartSelfieEvidence
from openkyc.products import Outcome, ProductResult, document_verification
from tests.products.factories import (
    assert_well_formed,
    document,
    liveness,
    match,
    mrz,
    quality,
    selfie,
)
from tests.products.factories import (
    document_verification as docv,
)


def decide(
    evidence: DocumentVerificationEvidence,
    *,
    sandbox: bool = False,
    sandbox_result: str | None = None,
    use_enrolled_image: bool = False,
) -> ProductResult:
    result = document_verification.decide(
        evidence, sandbox=sandbox, sandbox_result=sandbox_result, use_enrolled_image=use_enrolled_image
    )
    assert_well_formed(result)
    assert result.confidence_value is None
    return result


def test_valid_document_and_matching_live_selfie_is_verified() -> None:
    result = decide(docv())
    assert (result.result_code, result.result_text) == ("0810", "Document Verified")
    assert result.result_type == "Document Verification"
    assert result.is_final and result.is_machine_result and result.enrols_selfie
    assert result.actions == {
        "Document_Check": "Passed",
        "Human_Review_Compare": "Not Applicable",
        "Human_Review_Document_Check": "Not Applicable",
        "Human_Review_Liveness_Check": "Not Applicable",
        "Liveness_Check": "Passed",
        "Register_Selfie": "Approved",
        "Return_Personal_Info": "Returned",
        "Selfie_To_ID_Card_Compare": "Completed",
        "Verify_Document": "Passed",
    }
    assert result.id_fields == {
        "Country": "NG",
        "IDType": "PASSPORT",
        "IDNumber": "B00123456",
        "FullName": "JOE LEO DOE",
        "DOB": "2000-09-20",
        "Gender": "M",
        "ExpirationDate": "2030-09-20",
        "IssuanceDate": "2020-09-20",
        "SecondaryIDNumber": "Not Available",
        "PhoneNumber": "Not Available",
        "PhoneNumber2": "Not Available",
        "Address": "Not Available",
    }
    wire = result.wire()
    assert (
        wire["ResultCode"] == "0810" and wire["IsFinalResult"] == "true" and wire["IsMachineResult"] == "true"
    )
    assert wire["FullName"] == "JOE LEO DOE" and "ConfidenceValue" not in wire


def test_unread_fields_are_not_available_and_not_returned() -> None:
    doc = document(
        machine_zone=None, kind=DocumentKind.IDENTITY_CARD, birth=None, expiry=None, issue_date=None
    )
    result = decide(docv(doc))
    assert result.result_code == "0814"  # unread dates: a reviewer reads them
    for name in ("IDNumber", "FullName", "DOB", "Gender", "ExpirationDate", "IssuanceDate"):
        assert result.id_fields[name] == "Not Available"
    assert result.actions["Return_Personal_Info"] == "Not Returned"
    assert result.actions["Verify_Document"] == "Under Review"


def _printed_issue(doc: DocumentEvidence, text: str) -> DocumentEvidence:
    """``doc`` with an issue date printed as ``text`` (every reading kept, plausible or not)."""
    readings = [r.value.isoformat() for r in find_dates(text)[0].readings]
    field = VizField(name="issue_date", value=text, method="below", dates=readings, printed=readings)
    zone = doc.visual_zone.model_copy(update={"fields": {"issue_date": field}})
    return doc.model_copy(update={"visual_zone": zone})


def test_issuance_date_means_what_the_holder_and_expiry_allow() -> None:
    # A passport issued 16 APR 07 to a holder born in 1974: 2007, not the first reading (1907).
    doc = _printed_issue(document(birth=date(1974, 8, 12), expiry=date(2017, 4, 15)), "16 APR 07")
    assert doc.visual_zone.fields["issue_date"].dates[0] == "1907-04-16"
    fields = decide(docv(doc)).id_fields
    assert (fields["DOB"], fields["IssuanceDate"], fields["ExpirationDate"]) == (
        "1974-08-12",
        "2007-04-16",
        "2017-04-15",
    )


def test_an_issuance_date_that_fits_no_reading_is_not_available() -> None:
    # Issued after the passport expired, or 25 years before it: neither is a passport.
    for printed in ("16 APR 2018", "16 APR 1992"):
        doc = _printed_issue(document(birth=date(1974, 8, 12), expiry=date(2017, 4, 15)), printed)
        fields = decide(docv(doc)).id_fields
        assert fields["IssuanceDate"] == "Not Available", printed
        # The dates the document was judged on stand.
        assert (fields["DOB"], fields["ExpirationDate"]) == ("1974-08-12", "2017-04-15")


def test_selfie_not_matching_the_portrait() -> None:
    result = decide(docv(document(portrait_match=match(FaceOutcome.NO_MATCH))))
    assert (result.result_code, result.result_text) == (
        "0811",
        "Unable to Verify Document - The selfie did not match the photo on document",
    )
    assert result.outcome is Outcome.REJECTED and not result.enrols_selfie
    assert result.actions["Selfie_To_ID_Card_Compare"] == "Completed"
    assert result.actions["Verify_Document"] == "Passed"  # the document itself was fine
    assert result.actions["Register_Selfie"] == "Rejected"


@pytest.mark.parametrize(
    "evidence",
    [
        docv(person=selfie(live=liveness(Decision.FAIL, ["liveness.replayed_still"]))),
        docv(document(portrait_match=match(FaceOutcome.IDENTICAL_IMAGES))),
    ],
    ids=["liveness fails", "portrait sent as the selfie"],
)
def test_spoofed_selfie(evidence: DocumentVerificationEvidence) -> None:
    result = decide(evidence)
    assert (result.result_code, result.result_text) == (
        "0811",
        "Unable to Verify Document - Selfie failed liveness checks",
    )


def test_under_18_is_rejected() -> None:
    result = decide(docv(document(birth=date(2010, 1, 1))))
    assert result.result_text == (
        "Unable to Verify Document - Based on the Date of Birth on the document, the subject is under 18 years old"
    )
    assert result.result_code == "0811"
    assert result.actions["Verify_Document"] == "Failed"


def test_wrong_document_type() -> None:
    doc = document(kind=DocumentKind.DRIVING_LICENCE, machine_zone=None, kind_matches=False)
    result = decide(docv(doc))
    assert result.result_text == "Unable to Verify Document - A wrong document type was uploaded"
    assert result.actions["Verify_Document"] == "Failed"


def test_visa_is_unsupported() -> None:
    doc = document(kind=DocumentKind.VISA, declared_id_type="PASSPORT", kind_matches=None)
    result = decide(docv(doc))
    assert (result.result_code, result.result_text) == (
        "0816",
        "Unable to verify Document - Unsupported Document",
    )
    assert result.actions["Document_Check"] == "Failed"


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (DocumentKind.UNKNOWN, "Unable to verify Document - The document wasn't classified by system"),
        (DocumentKind.PASSPORT, "Unable to verify Document - An invalid document image was uploaded"),
    ],
)
def test_no_portrait(kind: DocumentKind, text: str) -> None:
    result = decide(docv(document(kind=kind, portrait_found=False)))
    assert (result.result_code, result.result_text) == ("0812", text)
    assert result.actions["Document_Check"] == "Failed"
    assert result.actions["Selfie_To_ID_Card_Compare"] == "Not Applicable"
    assert "product.no_usable_portrait" in result.reasons


def test_unusable_document_image() -> None:
    doc = document(image_quality=quality(Decision.FAIL, ["quality.low_resolution"]))
    result = decide(docv(doc))
    assert (result.result_code, result.result_text) == (
        "0001",
        "Unable to Verify Document - ID Card image unusable",
    )
    assert result.actions["Document_Check"] == "Failed"


@pytest.mark.parametrize(
    "person",
    [selfie(faces=0), selfie(image_quality=quality(Decision.FAIL, ["quality.too_blurry"]))],
    ids=["no face", "unusable"],
)
def test_unusable_selfie(person: SmartSelfieEvidence) -> None:
    doc = document(portrait_match=None)
    result = decide(docv(doc, person))
    assert (result.result_code, result.result_text) == ("0001", "Unable to Verify Document - Selfie unusable")
    assert result.actions["Register_Selfie"] == "Rejected"


def test_wrong_frame_count_is_invalid_data() -> None:
    result = decide(docv(person=selfie(live=liveness(Decision.FAIL, ["liveness.too_few_frames"]))))
    assert (result.result_code, result.result_text) == ("0001", "Data Invalid")


def test_expired_document_needs_attention() -> None:
    result = decide(docv(document(expiry=date(2025, 1, 1))))
    assert (result.result_code, result.result_text) == (
        "0817",
        "Approved with Attention - Document is Expired",
    )
    assert result.outcome is Outcome.APPROVED_WITH_ATTENTION
    assert result.is_final and result.enrols_selfie
    assert result.actions["Verify_Document"] == "Passed"
    assert result.v2()["status"] == "approved"


def test_photocopy_needs_attention() -> None:
    result = decide(docv(document(photocopied=True)))
    assert (result.result_code, result.result_text) == (
        "0817",
        "Approved with Attention - Photocopied Document",
    )


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (document(machine_zone=mrz(valid=False)), "document.mrz_invalid"),
        (document(consistency_codes=["document.mrz_viz_mismatch"]), "document.mrz_viz_mismatch"),
        (document(kind=DocumentKind.UNKNOWN, kind_matches=None), "document.kind_unknown"),
        (document(machine_zone=None), "document.mrz_missing"),
        (document(image_quality=quality(Decision.REVIEW, ["quality.glare"])), "quality.glare"),
        (document(expiry=date(2025, 1, 1), machine_zone=mrz(valid=False)), "document.mrz_invalid"),
    ],
    ids=[
        "mrz check digits",
        "mrz vs printed",
        "unknown kind",
        "passport without mrz",
        "glare",
        "expired and mrz",
    ],
)
def test_what_the_machine_cannot_settle_goes_to_review(doc: DocumentEvidence, reason: str) -> None:
    result = decide(docv(doc))
    assert (result.result_code, result.result_text) == ("0814", "Provisional Enroll - Under Review")
    assert not result.is_final and not result.enrols_selfie
    assert result.actions["Register_Selfie"] == "Provisionally Approved"
    assert "Under Review" in (result.actions["Verify_Document"], result.actions["Document_Check"])
    assert reason in result.reasons


def test_document_not_outlined_but_vouched_for_by_its_mrz_is_verified() -> None:
    result = decide(docv(document(located=False)))
    assert result.result_code == "0810"
    assert "document.not_found" in result.reasons  # reported, not decisive


def test_document_not_outlined_and_without_mrz_goes_to_review() -> None:
    doc = document(located=False, machine_zone=None, kind=DocumentKind.IDENTITY_CARD)
    result = decide(docv(doc))
    assert result.result_code == "0814"
    assert result.actions["Document_Check"] == "Under Review"


@pytest.mark.parametrize(
    "person",
    [selfie(live=liveness(Decision.REVIEW, ["liveness.face_missing"])), selfie(faces=2)],
    ids=["unsure liveness", "several faces"],
)
def test_unsure_selfie_goes_to_review(person: SmartSelfieEvidence) -> None:
    result = decide(docv(person=person))
    assert result.result_code == "0814"
    assert result.actions["Liveness_Check"] == "Under Review"
    assert result.actions["Verify_Document"] == "Passed"


def test_a_review_reason_with_a_rejection_is_final_and_not_left_under_review() -> None:
    evidence = docv(document(machine_zone=mrz(valid=False), portrait_match=match(FaceOutcome.NO_MATCH)))
    result = decide(evidence)
    assert result.result_code == "0811" and result.is_final
    assert result.actions["Verify_Document"] == "Failed"


def test_enrolled_image_is_compared_but_not_judged_or_enrolled_again() -> None:
    # The enrolled selfie sent as the job's selfie: identical to the reference by construction.
    person = selfie(
        live=liveness(Decision.FAIL, ["liveness.device_or_paper_frame"], mode="passive"),
        compared=match(FaceOutcome.IDENTICAL_IMAGES),
    )
    result = decide(docv(person=person), use_enrolled_image=True)
    assert result.result_code == "0810"
    assert not result.enrols_selfie
    assert result.actions["Liveness_Check"] == "Not Applicable"
    assert result.actions["Register_Selfie"] == "Not Applicable"


def test_enrolled_image_not_matching_the_portrait() -> None:
    person = selfie(live=liveness(mode="passive"), compared=match(FaceOutcome.IDENTICAL_IMAGES))
    evidence = docv(document(portrait_match=match(FaceOutcome.NO_MATCH)), person)
    result = decide(evidence, use_enrolled_image=True)
    assert result.result_text == "Unable to Verify Document - The selfie did not match the photo on document"


def test_new_selfie_not_matching_the_enrolled_face() -> None:
    person = selfie(compared=match(FaceOutcome.NO_MATCH))
    assert decide(docv(person=person), use_enrolled_image=True).result_code == "0811"


class TestSandbox:
    def test_document_is_always_valid(self) -> None:
        doc = document(
            kind=DocumentKind.DRIVING_LICENCE,
            kind_matches=False,
            birth=date(2012, 1, 1),
            expiry=date(2020, 1, 1),
            photocopied=True,
            machine_zone=None,
        )
        result = decide(docv(doc), sandbox=True)
        assert result.result_code == "0810"
        assert result.actions["Verify_Document"] == "Passed"
        assert result.actions["Document_Check"] == "Passed"

    def test_the_selfie_is_still_compared(self) -> None:
        result = decide(docv(document(portrait_match=match(FaceOutcome.NO_MATCH))), sandbox=True)
        assert (
            result.result_text == "Unable to Verify Document - The selfie did not match the photo on document"
        )

    def test_a_document_without_portrait_cannot_match(self) -> None:
        result = decide(docv(document(portrait_found=False)), sandbox=True)
        assert result.result_code == "0811"

    def test_the_selfie_is_still_checked(self) -> None:
        person = selfie(live=liveness(Decision.FAIL, ["liveness.planar_motion"]))
        assert decide(docv(person=person), sandbox=True).result_code == "0811"
        assert decide(docv(person=selfie(faces=0)), sandbox=True).result_code == "0001"

    @pytest.mark.parametrize(
        ("forced", "code", "final"), [("0", "0810", True), ("1", "0811", True), ("2", "0814", False)]
    )
    def test_sandbox_result_forces_the_outcome(self, forced: str, code: str, final: bool) -> None:
        evidence = docv(document(portrait_match=match(FaceOutcome.NO_MATCH), birth=date(2015, 1, 1)))
        result = decide(evidence, sandbox=True, sandbox_result=forced)
        assert (result.result_code, result.is_final) == (code, final)
        assert result.reasons[0] == f"sandbox.sandbox_result_{forced}"
        assert result.id_fields["IDNumber"] == "B00123456"

    def test_sandbox_result_is_ignored_outside_the_sandbox(self) -> None:
        evidence = docv(document(portrait_match=match(FaceOutcome.NO_MATCH)))
        assert decide(evidence, sandbox=False, sandbox_result="0").result_code == "0811"
