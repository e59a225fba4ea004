from __future__ import annotations

from datetime import date

import pytest

from openkyc.authorities.sandbox import SANDBOX_RECORD
from openkyc.engine.face.compare import FaceOutcome
from openkyc.products import Outcome, Product, ProductResult, ResultEntry, document_verification
from openkyc.products import enhanced_document_verification as edv
from openkyc.products.authority import (
    AuthorityRecord,
    AuthorityUnavailable,
    InvalidIdNumber,
    LookupFailure,
    RecordNotFound,
)
from openkyc.products.catalogue import Action, ActionValue
from openkyc.products.codes.document_verification import DocumentVerification as Docv
from openkyc.products.codes.document_verification import DocvRejection, DocvUnverified
from openkyc.products.document_verification import register_value
from openkyc.products.result import build_result
from tests.products.factories import assert_well_formed, document, match
from tests.products.factories import document_verification as docv_evidence

MISMATCH_TEXT = (
    "Unable to Verify Document - The information on document did not match the ID authority record"
)
NUMBER = "B00123456"

# What Document Verification reads from the factories' passport of Joe Leo Doe.
ID_FIELDS = {
    "Country": "NG",
    "IDType": "PASSPORT",
    "IDNumber": NUMBER,
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
# The authority's record of the same person.
RECORD = AuthorityRecord(
    full_name="Joe Leo Doe",
    first_name="Joe",
    middle_name="Leo",
    last_name="Doe",
    dob="2000-09-20",
    gender="Male",
    phone_number="+234 803 123 4567",
    address="12 Marina Road, Lagos",
)


def docv_result(
    entry: ResultEntry = Docv.VERIFIED,
    *,
    reason_text: str | None = None,
    actions: dict[Action, ActionValue] | None = None,
    id_fields: dict[str, str] | None = None,
    reasons: tuple[str, ...] = (),
    enrolled_image: bool = False,
    human_review: bool = False,
) -> ProductResult:
    """A Document Verification result as its decide gives it, built on ``entry``."""
    values = {
        Action.DOCUMENT_CHECK: ActionValue.PASSED,
        Action.LIVENESS_CHECK: ActionValue.NOT_APPLICABLE if enrolled_image else ActionValue.PASSED,
        Action.REGISTER_SELFIE: register_value(entry, enrolled=enrolled_image),
        Action.RETURN_PERSONAL_INFO: ActionValue.RETURNED,
        Action.SELFIE_TO_ID_CARD_COMPARE: ActionValue.COMPLETED,
        Action.VERIFY_DOCUMENT: ActionValue.PASSED,
    }
    values.update(actions or {})
    result = build_result(
        Product.DOCUMENT_VERIFICATION,
        entry,
        actions=values,
        reasons=list(reasons),
        reason_text=reason_text,
        id_fields=dict(ID_FIELDS if id_fields is None else id_fields),
        enrols_selfie=not enrolled_image,
        human_review=human_review,
    )
    assert_well_formed(result)
    return result


def decide(
    docv: ProductResult,
    authority: AuthorityRecord | LookupFailure | None = RECORD,
    *,
    looked_up_number: str | None = NUMBER,
    sandbox: bool = False,
) -> ProductResult:
    result = edv.decide(docv, authority=authority, looked_up_number=looked_up_number, sandbox=sandbox)
    assert_well_formed(result)
    assert result.product is Product.ENHANCED_DOCUMENT_VERIFICATION
    assert result.result_type == "Document Verification"
    assert result.id_fields == docv.id_fields  # the document's data, never the record's
    assert result.confidence_value == docv.confidence_value
    assert result.reasons[: len(docv.reasons)] == docv.reasons
    assert list(result.actions)[-1] == "Verify_ID_Number"
    return result


def other_actions(result: ProductResult) -> dict[str, str]:
    return {key: value for key, value in result.actions.items() if key != "Verify_ID_Number"}


# Rule 1: a Document Verification rejection stands, with no look-up.


@pytest.mark.parametrize(
    ("entry", "reason_text"),
    [
        (Docv.REJECTED, DocvRejection.SELFIE_MISMATCH),
        (Docv.REJECTED, DocvRejection.UNDER_18),
        (Docv.SELFIE_UNUSABLE, None),
        (Docv.UNVERIFIED, DocvUnverified.NOT_CLASSIFIED),
        (Docv.UNSUPPORTED_DOCUMENT, None),
        (Docv.UNSUPPORTED_ID_TYPE, None),
    ],
    ids=["0811 selfie", "0811 under 18", "0001", "0812", "0816", "1014 id type"],
)
def test_document_verification_rejection_is_relabelled_without_a_look_up(
    entry: ResultEntry, reason_text: str | None
) -> None:
    docv = docv_result(
        entry,
        reason_text=reason_text,
        actions={Action.VERIFY_DOCUMENT: ActionValue.FAILED},
        reasons=("face.no_match",),
    )
    assert not edv.needs_lookup(docv)
    result = decide(docv, None, looked_up_number=None)
    assert (result.result_code, result.result_text) == (docv.result_code, docv.result_text)
    assert result.outcome is Outcome.REJECTED and result.is_final and result.is_machine_result
    assert not result.enrols_selfie
    assert result.actions["Verify_ID_Number"] == "Not Done"
    assert other_actions(result) == docv.actions
    assert result.reasons == ["face.no_match"]


def test_relabelled_0811_is_this_products_row() -> None:
    docv = docv_result(Docv.REJECTED, reason_text=DocvRejection.LIVENESS)
    result = decide(docv, None, looked_up_number=None)
    assert result.result_text == "Unable to Verify Document - Selfie failed liveness checks"
    # The shared DocV row is not in this product's catalogue: only its own 0811 is.
    with pytest.raises(ValueError, match="not a enhanced_document_verification result"):
        build_result(
            Product.ENHANCED_DOCUMENT_VERIFICATION,
            Docv.REJECTED,
            actions={},
            reasons=[],
            reason_text=DocvRejection.LIVENESS,
        )


def test_relabelled_human_review_rejection_stays_a_human_result() -> None:
    docv = docv_result(Docv.REVIEW_POTENTIAL_FRAUD)
    assert not docv.is_machine_result
    result = decide(docv, None, looked_up_number=None)
    assert result.result_text == "Unable to Verify Document After Human Review (Potential Fraud Attempt)"
    assert not result.is_machine_result


def test_relabelled_reviewer_rejection_on_the_machine_row_stays_a_human_result() -> None:
    # A reviewer's "another person" reuses the machine's 0811 row (see resolve_review).
    docv = docv_result(Docv.REJECTED, reason_text=DocvRejection.SELFIE_MISMATCH, human_review=True)
    result = decide(docv, None, looked_up_number=None)
    assert result.result_code == "0811" and not result.is_machine_result


def test_a_rejection_ignores_a_look_up_made_anyway() -> None:
    docv = docv_result(Docv.REJECTED, reason_text=DocvRejection.SELFIE_MISMATCH)
    result = decide(docv, RECORD)
    assert result.result_code == "0811"
    assert result.result_text == "Unable to Verify Document - The selfie did not match the photo on document"
    assert result.actions["Verify_ID_Number"] == "Not Done"


@pytest.mark.parametrize(
    "entry",
    [Docv.VERIFIED, Docv.EXPIRED, Docv.PHOTOCOPIED, Docv.UNDER_REVIEW],
    ids=["0810", "0817 expired", "0817 photocopy", "0814"],
)
def test_look_up_is_needed_unless_rejected(entry: ResultEntry) -> None:
    actions = {Action.VERIFY_DOCUMENT: ActionValue.UNDER_REVIEW} if entry is Docv.UNDER_REVIEW else None
    assert edv.needs_lookup(docv_result(entry, actions=actions))


# Rule 2: nothing to look up.


def test_no_number_to_look_up_is_an_invalid_id_number_not_done() -> None:
    docv = docv_result(id_fields={**ID_FIELDS, "IDNumber": "Not Available"})
    result = decide(docv, None, looked_up_number=None)
    assert (result.result_code, result.result_text) == ("1014", "Unsupported ID number format")
    assert result.outcome is Outcome.REJECTED and result.is_final
    assert result.actions["Verify_ID_Number"] == "Not Done"
    assert result.actions["Register_Selfie"] == "Rejected"
    assert not result.enrols_selfie
    assert result.reasons[-1] == "product.no_id_number"


def test_a_looked_up_number_without_an_answer_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="looked up"):
        edv.decide(docv_result(), authority=None, looked_up_number=NUMBER, sandbox=False)


def test_another_products_result_is_refused() -> None:
    other = build_result(
        Product.ENHANCED_DOCUMENT_VERIFICATION,
        Docv.VERIFIED,
        actions={},
        reasons=[],
    )
    with pytest.raises(ValueError, match="document_verification"):
        edv.needs_lookup(other)
    with pytest.raises(ValueError, match="document_verification"):
        edv.decide(other, authority=RECORD, looked_up_number=NUMBER, sandbox=False)


# Rule 3: the look-up failed.


@pytest.mark.parametrize(
    ("failure", "code", "text", "verify"),
    [
        (RecordNotFound("ID number not found"), "1013", "ID Number Not Found", "Not Verified"),
        (InvalidIdNumber("Invalid ID number format"), "1014", "Unsupported ID number format", "Not Verified"),
        (
            AuthorityUnavailable("ID authority unavailable"),
            "1015",
            "ID Authority Unavailable",
            "Issuer Unavailable",
        ),
        (LookupFailure("refused"), "1013", "ID Number Not Found", "Not Verified"),
    ],
    ids=["not found", "invalid number", "unavailable", "unnamed failure"],
)
def test_look_up_failure(failure: LookupFailure, code: str, text: str, verify: str) -> None:
    docv = docv_result(reasons=("document.ok",))
    result = decide(docv, failure)
    assert (result.result_code, result.result_text) == (code, text)
    assert result.outcome is Outcome.REJECTED and result.is_final and result.is_machine_result
    assert result.actions["Verify_ID_Number"] == verify
    assert not result.enrols_selfie
    # The document's own checks are reported as they were; only the enrolment follows the rejection.
    assert other_actions(result) == {**docv.actions, "Register_Selfie": "Rejected"}
    assert result.reasons == ["document.ok", f"authority.{type(failure).__name__}"]


def test_look_up_failure_of_a_job_with_the_enrolled_selfie_registers_nothing() -> None:
    docv = docv_result(enrolled_image=True)
    result = decide(docv, RecordNotFound("ID number not found"))
    assert result.result_code == "1013"
    assert result.actions["Register_Selfie"] == "Not Applicable"


# Rule 4: the record was found.


def test_document_matching_the_record_is_verified() -> None:
    docv = docv_result(reasons=("document.checked",))
    result = decide(docv)
    assert (result.result_code, result.result_text) == ("0810", "Document Verified")
    assert result.outcome is Outcome.APPROVED and result.is_final and result.is_machine_result
    assert result.enrols_selfie
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
        "Verify_ID_Number": "Verified",
    }
    assert result.reasons == [
        "document.checked",
        "authority.name.exact",
        "authority.dob.exact",
        "authority.gender.exact",
        "authority.id_number.exact",
    ]
    # The record's address and phone number are not the partner's to receive here.
    assert result.id_fields["Address"] == "Not Available"
    assert result.id_fields["PhoneNumber"] == "Not Available"


def test_record_with_only_a_full_name_is_compared_on_it() -> None:
    record = AuthorityRecord(full_name="Joe Leo Doe", dob="2000-09-20", gender="M")
    result = decide(docv_result(), record)
    assert result.result_code == "0810"
    assert "authority.name.exact" in result.reasons


def test_name_contradicting_the_record_is_rejected_with_the_authority_reason() -> None:
    record = AuthorityRecord(first_name="Amaka", last_name="Obi", dob="2000-09-20", gender="M")
    result = decide(docv_result(), record)
    assert (result.result_code, result.result_text) == ("0811", MISMATCH_TEXT)
    assert result.outcome is Outcome.REJECTED and result.is_final
    assert not result.enrols_selfie
    assert result.actions["Verify_ID_Number"] == "Verified"
    assert result.actions["Register_Selfie"] == "Rejected"
    assert "authority.name.no_match" in result.reasons


def test_dob_contradicting_the_record_is_rejected() -> None:
    result = decide(docv_result(), AuthorityRecord(full_name="Joe Leo Doe", dob="1985-03-02"))
    assert (result.result_code, result.result_text) == ("0811", MISMATCH_TEXT)
    assert "authority.dob.no_match" in result.reasons


@pytest.mark.parametrize("looked_up", ["A99887766", "B00123457"], ids=["another number", "one digit off"])
def test_document_of_another_number_goes_to_a_reviewer(looked_up: str) -> None:
    # An ID card's MRZ number can be the card's serial, not the holder's ID number.
    result = decide(docv_result(), looked_up_number=looked_up)
    assert (result.result_code, result.result_text) == ("0814", "Provisional Enroll - Under Review")
    assert result.actions["Verify_ID_Number"] == "Under Review"
    assert "authority.id_number.no_match" in result.reasons


def test_number_formatting_does_not_matter() -> None:
    result = decide(docv_result(), looked_up_number=" b00-123 456 ")
    assert result.result_code == "0810"
    assert "authority.id_number.exact" in result.reasons


def test_dob_partial_match_goes_to_a_reviewer() -> None:
    # Same year and month, another day: perhaps a misread, perhaps not.
    record = AuthorityRecord(full_name="Joe Leo Doe", dob="2000-09-02", gender="M")
    result = decide(docv_result(), record)
    assert (result.result_code, result.result_text) == ("0814", "Provisional Enroll - Under Review")
    assert result.outcome is Outcome.PROVISIONAL and not result.is_final
    assert not result.enrols_selfie
    assert result.actions["Verify_ID_Number"] == "Under Review"
    assert result.actions["Human_Review_Document_Check"] == "Under Review"
    assert result.actions["Register_Selfie"] == "Provisionally Approved"
    assert "authority.dob.partial" in result.reasons


def test_name_partial_match_goes_to_a_reviewer() -> None:
    record = AuthorityRecord(first_name="Joe", last_name="Doe", dob="2000-09-20")  # no middle name
    result = decide(docv_result(), record)
    assert result.result_code == "0814"
    assert result.actions["Verify_ID_Number"] == "Under Review"
    assert "authority.name.partial" in result.reasons


def test_gender_contradicting_the_record_goes_to_a_reviewer() -> None:
    record = AuthorityRecord(full_name="Joe Leo Doe", dob="2000-09-20", gender="Female")
    result = decide(docv_result(), record)
    assert result.result_code == "0814"
    assert result.actions["Verify_ID_Number"] == "Under Review"
    assert "authority.gender.no_match" in result.reasons


def test_fields_nobody_can_compare_do_not_decide() -> None:
    docv = docv_result(id_fields={**ID_FIELDS, "DOB": "Not Available", "Gender": "Not Available"})
    record = AuthorityRecord(full_name="Joe Leo Doe")  # the authority holds no DOB either
    result = decide(docv, record, looked_up_number=None)
    assert result.result_code == "0810"
    assert result.actions["Verify_ID_Number"] == "Verified"
    assert result.reasons == [
        "authority.name.exact",
        "authority.dob.not_provided",
        "authority.gender.not_provided",
        "authority.id_number.unable_to_determine",
    ]


def test_record_without_a_dob_cannot_determine_it() -> None:
    result = decide(docv_result(), AuthorityRecord(full_name="Joe Leo Doe"))
    assert result.result_code == "0810"
    assert "authority.dob.unable_to_determine" in result.reasons


def test_sandbox_record_reports_the_comparison_without_deciding() -> None:
    result = decide(docv_result(), SANDBOX_RECORD, sandbox=True)
    assert (result.result_code, result.result_text) == ("0810", "Document Verified")
    assert result.actions["Verify_ID_Number"] == "Verified"
    assert result.enrols_selfie
    assert "authority.dob.no_match" in result.reasons  # the test record's 1990-01-01
    assert result.reasons[-1] == "product.sandbox_authority_record"


def test_the_same_contradiction_outside_the_sandbox_rejects() -> None:
    result = decide(docv_result(), SANDBOX_RECORD, sandbox=False)
    assert (result.result_code, result.result_text) == ("0811", MISMATCH_TEXT)


def test_expired_document_matching_the_record_keeps_its_attention() -> None:
    docv = docv_result(Docv.EXPIRED, reasons=("document.expired",))
    result = decide(docv)
    assert (result.result_code, result.result_text) == (
        "0817",
        "Approved with Attention - Document is Expired",
    )
    assert result.outcome is Outcome.APPROVED_WITH_ATTENTION
    assert result.actions["Verify_ID_Number"] == "Verified"
    assert result.enrols_selfie


def test_expired_document_with_a_partial_match_waits_for_a_reviewer() -> None:
    docv = docv_result(Docv.EXPIRED, reasons=("document.expired",))
    result = decide(docv, AuthorityRecord(full_name="Joe Doe", dob="2000-09-20"))
    assert result.result_code == "0814"
    assert result.reasons[0] == "document.expired"  # the reviewer's approval finds the attention again


def test_document_awaiting_review_still_awaits_it_when_the_record_matches() -> None:
    docv = docv_result(Docv.UNDER_REVIEW, actions={Action.VERIFY_DOCUMENT: ActionValue.UNDER_REVIEW})
    result = decide(docv)
    assert result.result_code == "0814" and not result.is_final
    assert result.actions["Verify_Document"] == "Under Review"
    assert result.actions["Verify_ID_Number"] == "Verified"
    assert result.actions["Human_Review_Document_Check"] == "Not Applicable"


def test_document_awaiting_review_is_rejected_when_the_record_contradicts_it() -> None:
    docv = docv_result(Docv.UNDER_REVIEW, actions={Action.VERIFY_DOCUMENT: ActionValue.UNDER_REVIEW})
    result = decide(docv, AuthorityRecord(full_name="Amaka Obi"))
    assert (result.result_code, result.result_text) == ("0811", MISMATCH_TEXT)
    assert result.is_final
    assert result.actions["Register_Selfie"] == "Rejected"


def test_enrolled_selfie_is_not_registered_again() -> None:
    result = decide(docv_result(enrolled_image=True))
    assert result.result_code == "0810"
    assert result.actions["Register_Selfie"] == "Not Applicable"
    assert not result.enrols_selfie


def test_provisional_result_survives_storage() -> None:
    result = decide(docv_result(), AuthorityRecord(full_name="Joe Leo Doe", dob="2000-09-02"))
    assert ProductResult.from_record(result.to_record()) == result


# From the engine's evidence, through Document Verification.


def real_docv(**document_options: object) -> ProductResult:
    evidence = docv_evidence(document(**document_options))  # type: ignore[arg-type]
    return document_verification.decide(
        evidence, sandbox=False, sandbox_result=None, use_enrolled_image=False
    )


def test_from_evidence_verified() -> None:
    docv = real_docv()
    assert docv.id_fields == ID_FIELDS
    result = decide(docv)
    assert result.result_code == "0810" and result.enrols_selfie


def test_from_evidence_expired() -> None:
    result = decide(real_docv(expiry=date(2024, 1, 1)))
    assert result.result_text == "Approved with Attention - Document is Expired"


def test_from_evidence_selfie_of_another_person() -> None:
    docv = real_docv(portrait_match=match(FaceOutcome.NO_MATCH))
    assert not edv.needs_lookup(docv)
    result = decide(docv, None, looked_up_number=None)
    assert result.result_text == "Unable to Verify Document - The selfie did not match the photo on document"


# The rate limit refused the look-up.


def test_rate_limited_look_up() -> None:
    docv = docv_result()
    result = edv.rate_limited(docv)
    assert_well_formed(result)
    assert result.product is Product.ENHANCED_DOCUMENT_VERIFICATION
    assert (result.result_code, result.result_text) == ("2222", "Error - ID number rate limited")
    assert result.outcome is Outcome.REJECTED and result.is_final
    assert result.actions["Verify_ID_Number"] == "Not Done"
    assert result.actions["Register_Selfie"] == "Rejected"
    assert not result.enrols_selfie
    assert result.id_fields == docv.id_fields
    assert result.reasons[-1] == "ratelimit.id_number"


def test_rate_limit_does_not_hide_a_document_rejection() -> None:
    docv = docv_result(Docv.REJECTED, reason_text=DocvRejection.WRONG_DOCUMENT_TYPE)
    result = edv.rate_limited(docv)
    assert (result.result_code, result.result_text) == (
        "0811",
        "Unable to Verify Document - A wrong document type was uploaded",
    )
    assert result.actions["Verify_ID_Number"] == "Not Done"


def test_the_documents_dates_are_reported_only_where_they_mean_something() -> None:
    # An issue date read as 1907 for a holder born in 1974 is no issue date at all.
    docv = real_docv(birth=date(1974, 8, 12), expiry=date(2017, 4, 15), issue_date="1907-04-16")
    result = decide(docv, AuthorityRecord(full_name="Joe Leo Doe", dob="1974-08-12", gender="M"))
    assert result.id_fields["IssuanceDate"] == "Not Available"
    assert (result.id_fields["DOB"], result.id_fields["ExpirationDate"]) == ("1974-08-12", "2017-04-15")
