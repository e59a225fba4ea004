"""The V3 sandbox's identities, matching, sandbox_result codes and the results it forces."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from openkyc.job_types import JobType
from openkyc.products import v3_sandbox as sandbox
from openkyc.products.authority import AuthorityUnavailable, InvalidIdNumber, RecordNotFound
from openkyc.products.catalogue import ACTION_KEYS, Action, ActionValue, IdField, Product
from openkyc.products.codes.biometric_kyc import BiometricKyc
from openkyc.products.codes.document_verification import DocumentVerification, DocvRejection
from openkyc.products.codes.id_lookup import IdLookup
from openkyc.products.codes.rows import Outcome
from openkyc.products.codes.smart_selfie_authentication import SmartSelfieAuthentication
from openkyc.products.codes.smart_selfie_compare import SmartSelfieCompare
from openkyc.products.codes.smart_selfie_registration import SmartSelfieRegistration
from openkyc.products.result import ProductResult, build_result
from openkyc.products.v3_sandbox import Family, Scenario

JOB_TYPE = {family: job_type for job_type, family in sandbox.FAMILY_OF_JOB_TYPE.items()}


def details(last_name: str, given_names: str | None = None, email: str | None = None) -> dict[str, Any]:
    identity = next(i for i in sandbox.IDENTITIES if i.last_name == last_name)
    given = given_names or identity.given_names or "Sam"
    return {
        "given_names": given,
        "last_name": last_name,
        "email": email if email is not None else identity.email_for(given),
    }


def engine_result(product: Product, **extra: Any) -> ProductResult:
    """What the engine decided: an approval with every check passed (the forced row replaces it)."""
    entry = sandbox.IDENTITY_ROWS[None][next(f for f, p in sandbox.PRODUCT_OF_FAMILY.items() if p is product)]
    return build_result(
        product,
        entry.entry,
        actions=sandbox._PASSED[product],
        reasons=["engine.reason"],
        enrols_selfie=True,
        **extra,
    ).with_evidence({"checks": [{"path": "selfie", "decision": "pass"}]})


# -- The table ------------------------------------------------------------------------------------


def test_the_page_lists_seventeen_identities_with_its_emails() -> None:
    assert len(sandbox.IDENTITIES) == 17
    emails = {i.last_name: i.email_for(i.given_names or "Sam") for i in sandbox.IDENTITIES}
    assert emails["Clearwater"] == "amina.clearwater@example.com"
    assert emails["Forgeman"] == "ade.forgeman@example.com"
    assert emails["Missingley"] == "ifeanyi.missingley@example.com"
    assert emails["Lockhart"] == "sam.lockhart@example.com"
    assert len({i.last_name for i in sandbox.IDENTITIES}) == 17


@pytest.mark.parametrize("identity", sandbox.IDENTITIES, ids=lambda i: i.last_name)
def test_every_identity_has_a_row_for_each_product_it_is_listed_for(identity: sandbox.Identity) -> None:
    assert identity.families
    for family in identity.families:
        row = sandbox.IDENTITY_ROWS[identity.reason][family]
        assert row.entry in sandbox.rows_of(family) or row.entry.outcome is None
        verdict = sandbox.resolve(JOB_TYPE[family], details(identity.last_name))
        assert verdict is not None
        assert verdict.identity is identity
        assert verdict.evidence_reason == f"sandbox.v3_identity.{identity.last_name.lower()}"
        # What the row says happened agrees with the documented status.
        approved = verdict.entry.outcome in (Outcome.APPROVED, Outcome.APPROVED_WITH_ATTENTION)
        assert approved == (identity.status in ("clear", "attention")) or bool(verdict.signals)


def test_products_listed_per_identity_follow_the_page() -> None:
    by_name = {i.last_name: i.families for i in sandbox.IDENTITIES}
    assert by_name["Clearwater"] == frozenset(Family)
    assert by_name["Youngblood"] == {Family.ENHANCED_KYC}
    assert by_name["Lockhart"] == {Family.SMART_SELFIE_AUTHENTICATION}
    assert Family.SMART_SELFIE_REGISTRATION not in by_name["Twinley"]
    assert Family.ENHANCED_KYC not in by_name["Twinley"]
    assert by_name["Forgeman"] == {Family.DOCUMENT_VERIFICATION, Family.ENHANCED_DOCUMENT_VERIFICATION}
    assert by_name["Badnumber"] == {Family.ENHANCED_DOCUMENT_VERIFICATION}


@pytest.mark.parametrize("family", list(Family))
def test_every_result_row_of_every_family_says_what_happened(family: Family) -> None:
    for entry in sandbox.rows_of(family):
        for reason in entry.reasons or (None,):
            assert isinstance(sandbox.scenario_of(entry, reason), Scenario)


# -- Matching ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent",
    [
        {"given_names": "Amina Fatou", "last_name": "Clearwater", "email": "amina.clearwater@example.com"},
        {
            "given_names": "  amina   FATOU ",
            "last_name": "CLEARWATER ",
            "email": " Amina.Clearwater@Example.com",
        },
    ],
)
def test_an_identity_matches_on_names_and_email_whatever_the_case_and_spaces(sent: dict[str, Any]) -> None:
    identity = sandbox.match_identity(sent)
    assert identity is not None and identity.last_name == "Clearwater"


@pytest.mark.parametrize(
    "sent",
    [
        {"given_names": "Amina", "last_name": "Clearwater", "email": "amina.clearwater@example.com"},
        {"given_names": "Amina Fatou", "last_name": "Clearwater", "email": "amina@example.com"},
        {"given_names": "Amina Fatou", "last_name": "Clearwater", "phone_number": "+2348000000000"},
        {"given_names": "Amina Fatou", "last_name": "Clearwaters", "email": "amina.clearwaters@example.com"},
        {"given_names": "Amina Fatou", "last_name": "Clearwater", "email": None},
        {},
    ],
)
def test_anything_less_than_all_three_matches_nobody(sent: dict[str, Any]) -> None:
    assert sandbox.match_identity(sent) is None


def test_lockhart_matches_any_given_names_that_start_its_email() -> None:
    found = sandbox.match_identity(
        {"given_names": "Kemi Ade", "last_name": "Lockhart", "email": "kemi.lockhart@example.com"}
    )
    assert found is not None and found.reason == "account_locked"
    assert (
        sandbox.match_identity(
            {"given_names": "Kemi Ade", "last_name": "Lockhart", "email": "ade.lockhart@example.com"}
        )
        is None
    )


# -- Unrecognised identities -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "entry"),
    [
        (Family.ENHANCED_KYC, IdLookup.ID_NOT_FOUND),
        (Family.BIOMETRIC_KYC, IdLookup.ID_NOT_FOUND),
        (Family.ENHANCED_DOCUMENT_VERIFICATION, IdLookup.ID_NOT_FOUND),
        (Family.DOCUMENT_VERIFICATION, DocumentVerification.REJECTED),
        (Family.SMART_SELFIE_AUTHENTICATION, SmartSelfieAuthentication.MACHINE_FAIL_COMPARISON),
        (Family.SMART_SELFIE_COMPARE, SmartSelfieCompare.NO_FACE_MATCH),
        (Family.SMART_SELFIE_REGISTRATION, SmartSelfieRegistration.MACHINE_FAIL_SPOOF),
    ],
)
def test_an_unknown_person_is_rejected(family: Family, entry: Any) -> None:
    stranger = {"given_names": "Jo", "last_name": "Bloggs", "email": "jo.bloggs@example.com"}
    verdict = sandbox.resolve(JOB_TYPE[family], stranger)
    assert verdict is not None
    assert verdict.entry is entry
    assert verdict.entry.outcome is Outcome.REJECTED
    assert verdict.identity is None
    assert verdict.evidence_reason == "sandbox.v3_identity.unrecognised"


def test_an_identity_used_with_a_product_it_is_not_listed_for_is_unrecognised() -> None:
    verdict = sandbox.resolve(JobType.DOCUMENT_VERIFICATION, details("Ghostwell"))
    assert verdict is not None and verdict.identity is None
    assert verdict.entry is DocumentVerification.REJECTED
    assert verdict.reason_text == DocvRejection.SELFIE_MISMATCH


def test_products_without_identities_here_get_no_verdict() -> None:
    assert sandbox.resolve(JobType.AML, details("Clearwater")) is None
    assert sandbox.resolve(JobType.BUSINESS_VERIFICATION, details("Clearwater")) is None


# -- sandbox_result ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [840, "840", "0840", "840.0", " 840 ", 840.0])
def test_a_sandbox_result_is_read_as_a_code_however_it_is_written(value: Any) -> None:
    assert sandbox.sandbox_code(value) == 840


@pytest.mark.parametrize(
    "value", [None, "", "abc", "840.5", -1, True, float("nan"), "8 40", [840], "9" * 5000]
)
def test_anything_else_is_no_code(value: Any) -> None:
    assert sandbox.sandbox_code(value) is None


def test_known_sandbox_code_names_a_result_of_the_product() -> None:
    assert sandbox.known_sandbox_code("smart_selfie_registration", "840")
    assert sandbox.known_sandbox_code("registration", 840.0)
    assert sandbox.known_sandbox_code(JobType.SMART_SELFIE_AUTHENTICATION, "1220")
    assert sandbox.known_sandbox_code("enhanced_kyc", "1012")
    assert sandbox.known_sandbox_code("residency_document_verification", "817")
    # Biometric KYC's human rows are 121x: 1220 is authentication's.
    assert not sandbox.known_sandbox_code("biometric_kyc", "1220")
    # Request errors answer a request, never a job.
    assert not sandbox.known_sandbox_code("smart_selfie_authentication", "2207")
    assert not sandbox.known_sandbox_code("enhanced_kyc", "2222")
    assert not sandbox.known_sandbox_code("one_time_aml", "1031")
    assert not sandbox.known_sandbox_code("smart_selfie_registration", "banana")


def test_a_code_prefers_the_machine_row_then_the_current_one() -> None:
    assert sandbox.row_for_code(Family.SMART_SELFIE_REGISTRATION, 1) is SmartSelfieRegistration.DATA_INVALID
    assert sandbox.row_for_code(Family.BIOMETRIC_KYC, 811) is BiometricKyc.MACHINE_FAIL
    assert sandbox.row_for_code(Family.BIOMETRIC_KYC, 1210) is BiometricKyc.HUMAN_PASS
    assert sandbox.row_for_code(Family.DOCUMENT_VERIFICATION, 811) is DocumentVerification.REJECTED


def test_a_known_sandbox_result_wins_over_the_identity() -> None:
    verdict = sandbox.resolve(JobType.SMART_SELFIE_REGISTRATION, details("Masquero"), "840.0")
    assert verdict is not None
    assert verdict.entry is SmartSelfieRegistration.MACHINE_PASS
    assert verdict.evidence_reason == "sandbox.v3_sandbox_result.0840"
    assert verdict.identity is None


def test_an_unknown_sandbox_result_leaves_the_identity_to_decide() -> None:
    verdict = sandbox.resolve(JobType.SMART_SELFIE_REGISTRATION, details("Clearwater"), "1220")
    assert verdict is not None and verdict.entry is SmartSelfieRegistration.MACHINE_PASS
    assert verdict.identity is not None


def test_a_forced_row_taking_a_reason_gets_its_first() -> None:
    verdict = sandbox.resolve(JobType.DOCUMENT_VERIFICATION, details("Clearwater"), 811)
    assert verdict is not None
    assert verdict.reason_text == DocvRejection.SELFIE_MISMATCH
    assert verdict.scenario is Scenario.FACE_MISMATCH


# -- The look-up's answer -----------------------------------------------------------------------------


def test_the_look_up_answer_follows_the_verdict() -> None:
    found = sandbox.resolve(JobType.ENHANCED_KYC, details("Ghostwell"))
    down = sandbox.resolve(JobType.BIOMETRIC_KYC, details("Downsworth"))
    bad = sandbox.resolve(JobType.ENHANCED_DOCUMENT_VERIFICATION, details("Badnumber"))
    clear = sandbox.resolve(JobType.BIOMETRIC_KYC, details("Clearwater"))
    assert found is not None and isinstance(found.lookup_failure, RecordNotFound)
    assert down is not None and isinstance(down.lookup_failure, AuthorityUnavailable)
    assert bad is not None and isinstance(bad.lookup_failure, InvalidIdNumber)
    assert clear is not None and clear.lookup_failure is None


def test_a_record_holds_the_names_sent_and_an_age_that_agrees_with_the_verdict() -> None:
    today = date(2026, 10, 5)
    clear = sandbox.resolve(JobType.ENHANCED_KYC, details("Clearwater"))
    minor = sandbox.resolve(JobType.ENHANCED_KYC, details("Youngblood"))
    assert clear is not None and minor is not None
    record = sandbox.identity_record(clear, details("Clearwater"), today=today)
    assert (record.full_name, record.first_name, record.middle_name, record.last_name) == (
        "Amina Fatou Clearwater",
        "Amina",
        "Fatou",
        "Clearwater",
    )
    assert record.dob == sandbox.ADULT_DOB
    assert record.gender is None and record.photo is None
    young = sandbox.identity_record(minor, details("Youngblood"), today=today)
    assert young.dob == "2009-10-05"
    assert minor.signals == (sandbox.UNDER_AGE_SIGNAL,)
    leap = sandbox.identity_record(minor, details("Youngblood"), today=date(2028, 2, 29))
    assert leap.dob == "2011-02-28"


# -- The forced result -----------------------------------------------------------------------------


def test_a_forced_approval_registers_and_keeps_the_engines_decision_as_evidence() -> None:
    verdict = sandbox.resolve(JobType.SMART_SELFIE_REGISTRATION, details("Clearwater"))
    assert verdict is not None
    engine = build_result(
        Product.SMART_SELFIE_REGISTRATION,
        SmartSelfieRegistration.MACHINE_FAIL_SPOOF,
        actions={Action.LIVENESS_CHECK: ActionValue.FAILED, Action.REGISTER_SELFIE: ActionValue.REJECTED},
        reasons=["liveness.replay"],
        enrols_selfie=True,
    )
    result = sandbox.forced_result(verdict, engine)
    assert result.result_code == "0840" and result.approved and result.enrols_selfie
    assert result.reasons == ["sandbox.v3_identity.clearwater"]
    assert result.actions["Liveness_Check"] == "Passed"
    assert result.actions["Register_Selfie"] == "Approved"
    sandbox_evidence = result.evidence["sandbox"]
    assert sandbox_evidence["engine"] == {
        "result_code": "0841",
        "result_text": "Failed Enroll",
        "reasons": ["liveness.replay"],
    }
    assert sandbox_evidence["documented"] == {"status": "clear", "reason": None}


def test_a_forced_rejection_registers_nothing_and_says_which_check_failed() -> None:
    masquero = sandbox.resolve(JobType.BIOMETRIC_KYC, details("Masquero"))
    twinley = sandbox.resolve(JobType.BIOMETRIC_KYC, details("Twinley"))
    assert masquero is not None and twinley is not None
    spoof = sandbox.forced_result(masquero, engine_result(Product.BIOMETRIC_KYC))
    mismatch = sandbox.forced_result(twinley, engine_result(Product.BIOMETRIC_KYC))
    for result in (spoof, mismatch):
        assert result.result_code == "0811" and result.failed and not result.enrols_selfie
        assert result.actions["Register_Selfie"] == "Rejected"
    assert spoof.actions["Liveness_Check"] == "Failed"
    assert mismatch.actions["Liveness_Check"] == "Passed"


def test_a_failed_look_up_reports_no_personal_data() -> None:
    verdict = sandbox.resolve(JobType.BIOMETRIC_KYC, details("Ghostwell"))
    assert verdict is not None
    engine = engine_result(
        Product.BIOMETRIC_KYC,
        id_fields={
            IdField.COUNTRY: "NG",
            IdField.ID_NUMBER: "12345678901",
            IdField.FULL_NAME: "Fatima Bello",
        },
    )
    result = sandbox.forced_result(verdict, engine)
    assert result.result_code == "1013"
    assert result.id_fields == {"Country": "NG", "IDNumber": "12345678901", "FullName": "Not Available"}
    assert result.actions["Verify_ID_Number"] == "Not Verified"
    assert result.actions["Liveness_Check"] == "Not Applicable"


def test_a_locked_account_is_recorded_as_v1_answers_a_disabled_user() -> None:
    verdict = sandbox.resolve(JobType.SMART_SELFIE_AUTHENTICATION, details("Lockhart"))
    assert verdict is not None
    result = sandbox.forced_result(verdict, engine_result(Product.SMART_SELFIE_AUTHENTICATION))
    assert (result.result_code, result.result_text) == ("2207", "Error - Enrolled user is disabled")
    assert result.failed and result.is_final
    assert result.reasons == ["sandbox.v3_identity.lockhart", sandbox.ACCOUNT_LOCKED_SIGNAL]
    assert set(result.actions.values()) == {"Not Applicable"}


def test_checks_the_job_did_not_make_stay_not_applicable() -> None:
    verdict = sandbox.resolve(JobType.DOCUMENT_VERIFICATION, details("Clearwater"))
    assert verdict is not None
    actions = {**sandbox._PASSED[Product.DOCUMENT_VERIFICATION]}
    actions[Action.LIVENESS_CHECK] = ActionValue.NOT_APPLICABLE
    actions[Action.REGISTER_SELFIE] = ActionValue.NOT_APPLICABLE  # the enrolled selfie was reused
    engine = build_result(
        Product.DOCUMENT_VERIFICATION, DocumentVerification.VERIFIED, actions=actions, reasons=[]
    )
    result = sandbox.forced_result(verdict, engine)
    assert result.actions["Liveness_Check"] == "Not Applicable"
    assert result.actions["Register_Selfie"] == "Not Applicable"
    assert not result.enrols_selfie


def test_a_verdict_cannot_replace_another_products_result() -> None:
    verdict = sandbox.resolve(JobType.BIOMETRIC_KYC, details("Clearwater"))
    assert verdict is not None
    with pytest.raises(ValueError, match="cannot replace"):
        sandbox.forced_result(verdict, engine_result(Product.DOCUMENT_VERIFICATION))


@pytest.mark.parametrize("family", [f for f in Family if sandbox.PRODUCT_OF_FAMILY[f] is not None])
def test_every_row_a_code_can_force_builds_a_result_with_the_products_actions(family: Family) -> None:
    product = sandbox.PRODUCT_OF_FAMILY[family]
    assert product is not None
    for entry in sandbox.rows_of(family):
        verdict = sandbox.resolve(JOB_TYPE[family], details("Clearwater"), entry.code)
        assert verdict is not None and verdict.entry.code == entry.code
        result = sandbox.forced_result(verdict, engine_result(product))
        assert list(result.actions) == [key.value for key in ACTION_KEYS[product]]
        assert result.result_code == entry.code
        assert result.is_final == verdict.entry.is_final


def test_the_docs_print_the_table() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "v3.md"
    assert sandbox.table_markdown() in docs.read_text(encoding="utf-8")
