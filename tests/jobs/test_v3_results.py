"""The V3 outcome table, the V3 callback body and where results are called back (v1 vs V3)."""

from __future__ import annotations

import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from openkyc import audit
from openkyc.address import verify as address
from openkyc.audit.models import AuditEvent
from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import transaction
from openkyc.engine.document.classify import DocumentKind
from openkyc.engine.evidence import Decision
from openkyc.engine.face.compare import FaceOutcome
from openkyc.idverification.enhanced_kyc import enhanced_kyc_result
from openkyc.idverification.lookup import LookupOutcome
from openkyc.idverification.request import parse_request
from openkyc.jobs import results_out, review, service
from openkyc.jobs.models import ApiVersion, Job, JobState
from openkyc.jobs.resend import NothingToResend, resend_result
from openkyc.jobs.v3_results import (
    BUILDER_MODULES,
    PAYLOAD_BUILDERS,
    TABLE,
    Signal,
    V3Outcome,
    V3Reason,
    V3Status,
    callback_payload,
    outcome,
    outcome_of_result,
    product_of,
    table_markdown,
)
from openkyc.partner_input import parse_partner_params
from openkyc.products import (
    CATALOGUE,
    Outcome,
    Product,
    ProductResult,
    biometric_kyc,
    document_verification,
    enhanced_document_verification,
    intake_failure,
    resolve_review,
    smart_selfie_authentication,
    smart_selfie_compare,
    smart_selfie_registration,
    v3_sandbox,
)
from openkyc.products.authority import (
    AuthorityRecord,
    AuthorityUnavailable,
    InvalidIdNumber,
    LookupFailure,
    RecordNotFound,
)
from openkyc.products.biometric_kyc import Reference
from openkyc.products.codes.document_verification import DocumentVerification as Docv
from openkyc.products.codes.fraud import FraudReported
from openkyc.products.codes.id_lookup import IdLookup
from openkyc.products.codes.rows import ResultEntry
from openkyc.products.codes.smart_selfie_authentication import SmartSelfieAuthentication as Auth
from openkyc.products.fraud import fraud_blocked
from openkyc.retention.scrub import scrub_result
from openkyc.runtime import Runtime
from tests.products.factories import document, liveness, match, selfie
from tests.products.factories import document_verification as docv_evidence
from tests.server import PartnerCreds

DOCS = Path(__file__).resolve().parents[2] / "docs" / "v3.md"

# The V3 product each v1 product's rows answer for (Residency answers with Document Verification's).
V3_NAMES: dict[Product, tuple[str, ...]] = {
    Product.SMART_SELFIE_AUTHENTICATION: ("smart_selfie_authentication",),
    Product.SMART_SELFIE_REGISTRATION: ("smart_selfie_registration",),
    Product.SMART_SELFIE_COMPARE: ("smart_selfie_compare",),
    Product.DOCUMENT_VERIFICATION: ("document_verification", "residency_document_verification"),
    Product.BIOMETRIC_KYC: ("biometric_kyc",),
    Product.ENHANCED_DOCUMENT_VERIFICATION: ("enhanced_document_verification",),
}
EXPECTED_STATUS = {
    Outcome.APPROVED: {V3Status.CLEAR},
    Outcome.APPROVED_WITH_ATTENTION: {V3Status.ATTENTION},
    Outcome.PROVISIONAL: {V3Status.PROCESSING},
    Outcome.REJECTED: {V3Status.BLOCK, V3Status.ERROR},
}
RECORD = AuthorityRecord(
    full_name="Ada Obi Eze",
    first_name="Ada",
    last_name="Eze",
    dob="1990-04-02",
    gender="F",
    photo=b"\xff\xd8",
)
IDS = {"country": "NG", "id_type": "NIN", "id_number": "12345678901"}


def stored(result: ProductResult) -> dict[str, Any]:
    """A product result as jobs.flows.publish_result stores it."""
    return {
        "SmileJobID": "0000000001",
        "PartnerParams": {"user_id": "u", "job_id": "j", "job_type": 1},
        **result.wire(),
        "Source": "WebAPI",
        "_success": result.approved,
        "_decision": result.to_record(),
    }


def v3(product: str, result: ProductResult | dict[str, Any]) -> V3Outcome:
    return outcome_of_result(product, stored(result) if isinstance(result, ProductResult) else result)


def said(answer: V3Outcome) -> tuple[str, str | None]:
    return answer.status.value, answer.reason


# -- Every documented row of every product is answered by a row of its own ----------------------


def _catalogue_cases() -> list[tuple[str, str, str, Outcome]]:
    cases = []
    for product, rows in CATALOGUE.items():
        for entry in rows:
            if entry.outcome is None:
                continue
            for text in entry.texts():
                for name in V3_NAMES[product]:
                    cases.append((name, entry.code, text, entry.outcome))
    return cases


@pytest.mark.parametrize(("product", "code", "text", "v1_outcome"), _catalogue_cases())
def test_every_catalogue_row_has_its_own_row_with_a_status_its_outcome_allows(
    product: str, code: str, text: str, v1_outcome: Outcome
) -> None:
    answer = outcome_of_result(product, {"ResultCode": code, "ResultText": text, "Actions": {}})
    assert answer.row is not None and not answer.row.fallback
    assert answer.status in EXPECTED_STATUS[v1_outcome]
    assert (answer.reason is None) == (answer.status in (V3Status.CLEAR, V3Status.PROCESSING))
    assert answer.message


def test_the_id_lookup_and_aml_codes_have_rows_of_their_own() -> None:
    for entry in (IdLookup.VALIDATED, IdLookup.EXACT_MATCH, IdLookup.PARTIAL_MATCH):
        assert said(v3("enhanced_kyc", {"ResultCode": entry.code, "ResultText": entry.text})) == (
            "clear",
            None,
        )
    cases: dict[ResultEntry, tuple[str, str | None]] = {
        IdLookup.ID_NOT_FOUND: ("block", "identifier_not_found"),
        IdLookup.INVALID_ID_NUMBER: ("error", "invalid_id_number"),
        IdLookup.AUTHORITY_UNAVAILABLE: ("error", "service_unavailable"),
        IdLookup.RATE_LIMITED: ("error", "service_unavailable"),
        IdLookup.NO_MATCH: ("block", "name_mismatch"),
    }
    for entry, expected in cases.items():
        answer = v3("enhanced_kyc", {"ResultCode": entry.code, "ResultText": entry.text})
        assert said(answer) == expected and not answer.row.fallback  # type: ignore[union-attr]
    aml: dict[str, tuple[str, str | None]] = {
        "1031": ("clear", None),
        "1030": ("block", "aml_match_found"),
        "1023": ("block", "aml_match_found"),
        "1017": ("attention", "news_media_match"),
        "1015": ("error", "service_unavailable"),
    }
    for code, expected in aml.items():
        for product in ("one_time_aml", "aml_monitoring"):
            assert said(v3(product, {"ResultCode": code, "ResultText": "x"})) == expected
    assert v3("one_time_aml", {"ResultCode": "1031"}).message == "Screening completed: no matches found."
    assert v3("one_time_aml", {"ResultCode": "1015"}).message == "Error: external service unavailable."


def test_address_results() -> None:
    expected = {
        address.CLEAR: ("clear", None),
        address.OUTDATED: ("attention", "information_outdated"),
        address.OUT_OF_RANGE: ("block", "address_out_of_range"),
        address.NAME_MISMATCH: ("block", "name_mismatch"),
        address.NO_ADDRESS: ("block", "no_address_on_record"),
        address.NOT_FOUND: ("block", "identifier_not_found"),
        address.UNAVAILABLE: ("error", "service_unavailable"),
    }
    assert set(expected) == set(address.OUTCOMES)
    for found, answer in expected.items():
        result = address.Verdict(found, "sandbox").result()
        assert said(v3("address_verification", result)) == answer


def test_a_disabled_user_recorded_as_the_result_is_locked_out() -> None:
    for row in (Auth.USER_DISABLED, Auth.RE_ENROLMENT_REQUIRED):
        result = {"ResultCode": row.code, "ResultText": row.text, "IsFinalResult": "true"}
        assert said(v3("smart_selfie_authentication", result)) == ("block", "account_locked")


def test_the_table_uses_only_the_v3_vocabulary_and_every_row_is_reachable_in_order() -> None:
    assert {row.reason for row in TABLE if row.reason is not None} <= set(V3Reason)
    assert [row.fallback for row in TABLE][-2:] == [True, True]
    assert not any(row.fallback for row in TABLE[:-2])
    assert TABLE[-1].when is None  # the last row answers anything


def test_an_unknown_result_is_clear_only_when_the_job_succeeded() -> None:
    assert said(v3("enhanced_kyc", {"ResultCode": "9999", "_success": True})) == ("clear", None)
    assert said(v3("enhanced_kyc", {"ResultCode": "2213", "ResultText": "Error"})) == (
        "error",
        "internal_error",
    )


# -- Real results, made by the products' own decisions -------------------------------------------


def _docv(**kwargs: Any) -> ProductResult:
    person = kwargs.pop("person", None)
    return document_verification.decide(
        docv_evidence(document(**kwargs), person),
        sandbox=False,
        sandbox_result=None,
        use_enrolled_image=False,
    )


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({}, ("clear", None)),
        ({"expiry": date(2020, 1, 1)}, ("attention", "document_expired")),
        ({"photocopied": True}, ("attention", "document_copy_detected")),
        ({"portrait_match": match(FaceOutcome.NO_MATCH)}, ("block", "face_verification_failed")),
        ({"portrait_match": match(FaceOutcome.IDENTICAL_IMAGES)}, ("block", "spoof_detected")),
        ({"person": selfie(live=liveness(Decision.FAIL))}, ("block", "spoof_detected")),
        ({"birth": date(2012, 1, 1)}, ("block", "age_requirement_not_met")),
        ({"kind_matches": False}, ("block", "document_check_failed")),
        ({"portrait_found": False}, ("error", "image_unavailable_or_invalid")),
        ({"person": selfie(faces=0)}, ("error", "image_unavailable_or_invalid")),
    ],
)
def test_document_verification_results(case: dict[str, Any], expected: tuple[str, str | None]) -> None:
    result = _docv(**case)
    for product in (
        "document_verification",
        "enhanced_document_verification",
        "residency_document_verification",
    ):
        assert said(v3(product, result)) == expected


def test_an_unclassified_document_is_an_error_and_a_visa_unsupported() -> None:
    unknown = _docv(kind=DocumentKind.UNKNOWN, portrait_found=False, machine_zone=None)
    assert said(v3("document_verification", unknown)) == ("error", "document_unclassifiable")
    visa = _docv(kind=DocumentKind.VISA)
    assert said(v3("document_verification", visa)) == ("block", "unsupported_document")


def test_a_reviewers_document_rejections() -> None:
    provisional = _docv(consistency_codes=["document.mrz_invalid"])
    assert provisional.result_code == Docv.UNDER_REVIEW.code
    expected = {
        "potential_fraud": ("block", "document_check_failed"),
        "unreadable_document": ("error", "image_unavailable_or_invalid"),
        "cropped_document": ("error", "image_unavailable_or_invalid"),
        "unsupported_document": ("block", "unsupported_document"),
        "not_a_document": ("block", "unsupported_document"),
        "wrong_document_type": ("block", "document_check_failed"),
    }
    for reason, answer in expected.items():
        final = resolve_review(provisional, approve=False, reason=reason)
        assert said(v3("document_verification", final)) == answer
    assert said(v3("document_verification", resolve_review(provisional, approve=True, reason=None))) == (
        "clear",
        None,
    )


def _edv(docv: ProductResult, authority: AuthorityRecord | LookupFailure) -> ProductResult:
    return enhanced_document_verification.decide(
        docv, authority=authority, looked_up_number="B00123456", sandbox=False
    )


def test_enhanced_document_verification_against_the_authority() -> None:
    docv = _docv()
    contradicted = _edv(docv, AuthorityRecord(full_name="Someone Else Entirely", dob="2000-09-20"))
    assert said(v3("enhanced_document_verification", contradicted)) == ("block", "name_mismatch")
    born_elsewhen = _edv(docv, AuthorityRecord(full_name="Joe Leo Doe", dob="1971-01-01"))
    assert said(v3("enhanced_document_verification", born_elsewhen)) == ("block", "document_check_failed")
    for failure, expected in (
        (RecordNotFound("no"), ("block", "identifier_not_found")),
        (InvalidIdNumber("bad"), ("error", "invalid_id_number")),
        (AuthorityUnavailable("down"), ("error", "service_unavailable")),
    ):
        assert said(v3("enhanced_document_verification", _edv(docv, failure))) == expected
    limited = enhanced_document_verification.rate_limited(docv)
    assert said(v3("enhanced_document_verification", limited)) == ("error", "service_unavailable")


def _bkyc(evidence: Any, **kwargs: Any) -> ProductResult:
    return biometric_kyc.decide(
        evidence,
        RECORD,
        reference=Reference.AUTHORITY_PHOTO,
        sandbox=False,
        sandbox_result=None,
        **IDS,
        **kwargs,
    )


def test_biometric_kyc_results() -> None:
    assert said(v3("biometric_kyc", _bkyc(selfie(compared=match())))) == ("clear", None)
    assert said(v3("biometric_kyc", _bkyc(selfie(compared=match(FaceOutcome.NO_MATCH))))) == (
        "block",
        "face_verification_failed",
    )
    spoof = _bkyc(selfie(live=liveness(Decision.FAIL), compared=match()))
    assert spoof.actions["Liveness_Check"] == "Failed"
    assert said(v3("biometric_kyc", spoof)) == ("block", "spoof_detected")
    replayed = _bkyc(selfie(compared=match(FaceOutcome.IDENTICAL_IMAGES)))
    assert said(v3("biometric_kyc", replayed)) == ("block", "spoof_detected")
    assert said(v3("biometric_kyc", _bkyc(selfie(faces=0)))) == ("error", "image_unavailable_or_invalid")
    unsure = _bkyc(selfie(compared=match(FaceOutcome.UNSURE)))
    assert said(v3("biometric_kyc", unsure)) == ("processing", None)
    assert said(v3("biometric_kyc", resolve_review(unsure, approve=False, reason="spoof"))) == (
        "block",
        "spoof_detected",
    )
    assert said(v3("biometric_kyc", resolve_review(unsure, approve=False, reason="no_match"))) == (
        "block",
        "face_verification_failed",
    )
    forced_reject = biometric_kyc.decide(
        selfie(compared=match()),
        RECORD,
        reference=Reference.AUTHORITY_PHOTO,
        sandbox=True,
        sandbox_result="1",
        **IDS,
    )
    assert said(v3("biometric_kyc", forced_reject)) == ("block", "face_verification_failed")
    no_photo = biometric_kyc.decide(
        selfie(compared=None), RECORD, reference=Reference.NONE, sandbox=False, sandbox_result=None, **IDS
    )
    assert said(v3("biometric_kyc", no_photo)) == ("error", "image_unavailable_or_invalid")
    for failure, expected in (
        (RecordNotFound("no"), ("block", "identifier_not_found")),
        (InvalidIdNumber("bad"), ("error", "invalid_id_number")),
        (AuthorityUnavailable("down"), ("error", "service_unavailable")),
    ):
        assert said(v3("biometric_kyc", biometric_kyc.lookup_failed(failure, **IDS))) == expected
    assert said(v3("biometric_kyc", biometric_kyc.rate_limited(**IDS))) == ("error", "service_unavailable")


def test_smart_selfie_results() -> None:
    registration = "smart_selfie_registration"
    assert said(v3(registration, smart_selfie_registration.decide(selfie(), sandbox_result=None))) == (
        "clear",
        None,
    )
    spoof = smart_selfie_registration.decide(selfie(live=liveness(Decision.FAIL)), sandbox_result=None)
    assert said(v3(registration, spoof)) == ("block", "spoof_detected")
    unsure = smart_selfie_registration.decide(selfie(live=liveness(Decision.REVIEW)), sandbox_result=None)
    assert said(v3(registration, unsure)) == ("processing", None)
    assert said(v3(registration, resolve_review(unsure, approve=False, reason="image_unusable"))) == (
        "error",
        "image_unavailable_or_invalid",
    )

    authentication = "smart_selfie_authentication"
    passed = smart_selfie_authentication.decide(selfie(compared=match()), sandbox_result=None)
    assert said(v3(authentication, passed)) == ("clear", None)
    other = smart_selfie_authentication.decide(
        selfie(compared=match(FaceOutcome.NO_MATCH)), sandbox_result=None
    )
    assert said(v3(authentication, other)) == ("block", "face_verification_failed")
    poor = smart_selfie_authentication.decide(selfie(faces=0), sandbox_result=None)
    assert said(v3(authentication, poor)) == ("error", "image_unavailable_or_invalid")

    compare = "smart_selfie_compare"
    assert said(v3(compare, smart_selfie_compare.decide(selfie(compared=match()), sandbox_result=None))) == (
        "clear",
        None,
    )
    mismatch = smart_selfie_compare.decide(selfie(compared=match(FaceOutcome.NO_MATCH)), sandbox_result=None)
    assert said(v3(compare, mismatch)) == ("block", "face_verification_failed")
    not_live = smart_selfie_compare.decide(
        selfie(live=liveness(Decision.FAIL), compared=match()), sandbox_result=None
    )
    assert not_live.result_code == "0841"
    assert said(v3(compare, not_live)) == ("block", "spoof_detected")
    identical = smart_selfie_compare.decide(
        selfie(compared=match(FaceOutcome.IDENTICAL_IMAGES)), sandbox_result=None
    )
    assert said(v3(compare, identical)) == ("block", "spoof_detected")


def test_intake_failures_are_errors() -> None:
    for job_type in (1, 2, 4, 6, 11):
        system = intake_failure(job_type, code=Docv.SYSTEM_ERROR.code, text=Docv.SYSTEM_ERROR.text)
        product = product_of(_job(job_type=job_type))
        assert said(v3(product, system)) == ("error", "internal_error")
        invalid = intake_failure(job_type, code=Docv.DATA_INVALID.code, text=Docv.DATA_INVALID.text)
        assert said(v3(product, invalid)) == ("error", "image_unavailable_or_invalid")
    # An interrupted look-up (jobs.flows._fail_interrupted_lookup) is closed as a 2201 System Error.
    assert said(v3("enhanced_kyc", {"ResultCode": "2201", "ResultText": "System Error"})) == (
        "error",
        "internal_error",
    )


def test_enhanced_kyc_results() -> None:
    request = parse_request(
        {"partner_params": {"user_id": "u", "job_id": "j", "job_type": 5}, **IDS, "callback_url": None}
    )
    found, success = enhanced_kyc_result(request, LookupOutcome(record=RECORD))
    assert said(v3("enhanced_kyc", {**found, "_success": success})) == ("clear", None)
    missing, success = enhanced_kyc_result(request, LookupOutcome(failure=RecordNotFound("no")))
    answer = v3("enhanced_kyc", {**missing, "_success": success})
    assert said(answer) == ("block", "identifier_not_found")
    assert answer.message == "Verification failed: Unable to validate ID - Not Found"


def test_fraud_and_the_signals_override_the_products_answer() -> None:
    passed = _bkyc(selfie(compared=match()))
    for face_match, row in ((False, FraudReported.USER_FLAGGED), (True, FraudReported.FACE_MATCH)):
        blocked = fraud_blocked(passed, face_match=face_match, record={"score": 0.9})
        assert blocked.result_code == row.code
        assert said(v3("biometric_kyc", blocked)) == ("block", "high_risk")
    clear = {**stored(passed)}
    for signal, expected in (
        (Signal.HIGH_RISK, ("block", "high_risk")),
        ("fraud.anything", ("block", "high_risk")),
        (Signal.ACCOUNT_LOCKED, ("block", "account_locked")),
        (Signal.UNDER_AGE, ("block", "age_requirement_not_met")),
    ):
        assert said(v3("biometric_kyc", {**clear, "_reasons": [str(signal)]})) == expected
        # Enhanced KYC's results have no product decision: the private _reasons carry the signal.
        assert said(v3("enhanced_kyc", {"ResultCode": "1012", "_reasons": [str(signal)]})) == expected
    assert (
        v3("enhanced_kyc", {"ResultCode": "1012", "_reasons": ["risk.high"]}).message
        == "Verification failed."
    )


def test_a_purged_result_keeps_its_v3_outcome() -> None:
    results = [
        ("biometric_kyc", stored(_bkyc(selfie(live=liveness(Decision.FAIL), compared=match())))),
        ("biometric_kyc", stored(_bkyc(selfie(compared=match(FaceOutcome.IDENTICAL_IMAGES))))),
        ("enhanced_document_verification", stored(_edv(_docv(), AuthorityRecord(full_name="Someone Else")))),
        (
            "enhanced_kyc",
            {"ResultCode": "1012", "ResultText": "ID Number Validated", "_reasons": ["risk.high"]},
        ),
        (
            "address_verification",
            {"ResultCode": "1022", "ResultText": "x", "_reasons": ["address.out_of_range"]},
        ),
    ]
    for product, result in results:
        before = v3(product, result)
        assert before.reason is not None
        assert v3(product, scrub_result(result)) == before


def test_the_sandbox_sends_the_signals_this_table_reads() -> None:
    # products sit below jobs, so the sandbox spells the codes itself: they must stay these.
    assert v3_sandbox.HIGH_RISK_SIGNAL == Signal.HIGH_RISK
    assert v3_sandbox.ACCOUNT_LOCKED_SIGNAL == Signal.ACCOUNT_LOCKED
    assert v3_sandbox.UNDER_AGE_SIGNAL == Signal.UNDER_AGE


# -- The job: its product and its outcome while it is processed or reviewed -----------------------


def _job(**overrides: Any) -> Job:
    fields: dict[str, Any] = {
        "smile_job_id": "0000000042",
        "partner_id": "1",
        "environment": "sandbox",
        "api_key_id": "k",
        "user_id": "user_01h2xcejqtf2nbrexx3vqjhp41",
        "job_id": "job_01h2xcejqtf2nbrexx3vqjhp41",
        "job_type": 1,
        "partner_params": {
            "user_id": "user_01h2xcejqtf2nbrexx3vqjhp41",
            "job_id": "job_01h2xcejqtf2nbrexx3vqjhp41",
            "job_type": 1,
            "_sandbox_v3": "1",
            "sandbox_result": "1220",
            "crm_ref": "A-17",
        },
        "state": JobState.COMPLETE,
        "inputs": {},
        "api_version": ApiVersion.V3,
        "v3_request": {
            "product": "biometric_kyc",
            "user_details": {"given_names": "Ada", "last_name": "Eze", "email": "ada.eze@example.com"},
            "consent": {"granted": True, "granted_at": "2026-03-10T12:00:00.000Z"},
            "metadata": [{"name": "channel", "value": "app"}],
        },
        "created_at": datetime(2026, 3, 10, 12, 0, 0, 123456, tzinfo=UTC).replace(
            tzinfo=None
        ),  # as SQLite gives it
        "completed_at": datetime(2026, 3, 10, 12, 0, 5, 7000, tzinfo=UTC),
    }
    fields.update(overrides)
    return Job(**fields)


def test_product_of_a_job() -> None:
    assert product_of(_job()) == "biometric_kyc"
    assert product_of(_job(v3_request={"product": "residency_document_verification"}, job_type=6)) == (
        "residency_document_verification"
    )
    names = {1: "biometric_kyc", 2: "smart_selfie_authentication", 3: "smart_selfie_compare"}
    names |= {4: "smart_selfie_registration", 5: "enhanced_kyc", 6: "document_verification"}
    names |= {10: "one_time_aml", 11: "enhanced_document_verification", 12: "address_verification"}
    for job_type, name in names.items():
        assert product_of(_job(v3_request=None, job_type=job_type)) == name
    with pytest.raises(ValueError, match="no V3 product"):
        product_of(_job(v3_request=None, job_type=99))


def test_a_job_is_processing_until_its_result_is_final() -> None:
    passed = stored(_bkyc(selfie(compared=match())))
    for state in (JobState.AWAITING_UPLOAD, JobState.QUEUED, JobState.PROCESSING):
        assert outcome(_job(state=state, result=None)).status is V3Status.PROCESSING
    unsure = stored(_bkyc(selfie(compared=match(FaceOutcome.UNSURE))))
    waiting = outcome(_job(state=JobState.REVIEW, result=unsure))
    assert (waiting.status, waiting.reason, waiting.message) == (
        "processing",
        None,
        "Job is still processing",
    )
    assert not waiting.terminal
    done = outcome(_job(state=JobState.COMPLETE, result=passed))
    assert (done.status, done.reason, done.message, done.terminal) == (
        "clear",
        None,
        "Verification successful",
        True,
    )


# -- The callback body ---------------------------------------------------------------------------

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_the_callback_body_of_a_clear_job(runtime: Runtime) -> None:
    result = stored(_bkyc(selfie(compared=match())))
    body = callback_payload(runtime, _job(result=result))
    assert list(body)[:15] == [
        "job_id",
        "user_id",
        "status",
        "message",
        "reason",
        "product",
        "partner_params",
        "created_at",
        "completed_at",
        "user_provided_info",
        "consent",
        "metadata",
        "kyc_receipt",
        "antifraud",
        "device_signals",
    ]
    assert body["job_id"] == "job_01h2xcejqtf2nbrexx3vqjhp41"
    assert body["user_id"] == "user_01h2xcejqtf2nbrexx3vqjhp41"
    assert (body["status"], body["reason"], body["message"]) == ("clear", None, "Verification successful")
    assert body["product"] == "biometric_kyc"
    assert body["partner_params"] == {"crm_ref": "A-17"}  # the transport keys stripped
    assert (
        body["created_at"] == "2026-03-10T12:00:00.123Z"
        and body["completed_at"] == "2026-03-10T12:00:05.007Z"
    )
    assert ISO_MS.match(body["created_at"]) and ISO_MS.match(body["completed_at"])
    assert body["user_provided_info"] == {
        "given_names": "Ada",
        "last_name": "Eze",
        "email": "ada.eze@example.com",
        "phone_number": None,
    }
    assert body["consent"] == {"granted": True, "granted_at": "2026-03-10T12:00:00.000Z"}
    assert body["metadata"] == [{"name": "channel", "value": "app"}]
    assert body["kyc_receipt"] is None and body["antifraud"] is None and body["device_signals"] is None
    # The same facts as the v1 result: its ID fields under V3 names ("Not Available" is null).
    assert body["id_fields"]["full_name"] == result["FullName"] == "Ada Obi Eze"
    assert body["id_fields"]["id_number"] == result["IDNumber"] == "12345678901"
    assert body["id_fields"]["country"] == "NG" and body["id_fields"]["id_type"] == "NIN"
    assert body["id_fields"]["dob"] == "1990-04-02" and body["id_fields"]["gender"] == "F"
    assert body["id_fields"]["address"] is None and result["Address"] == "Not Available"
    # The evidence: the v1 code it came from, the checks made, the reasons.
    assert body["evidence"]["result_code"] == "0810" and body["evidence"]["result_text"] == "Enroll User"
    assert body["evidence"]["actions"]["liveness_check"] == "Passed"
    assert "Not Applicable" not in body["evidence"]["actions"].values()
    assert body["evidence"]["reasons"] == result["_decision"]["reasons"]
    assert body["image_links"] is None  # no stored images (and no public address)
    assert not any(key.startswith("_") for key in body)


def test_the_callback_body_of_a_failed_job_keeps_no_id_fields(runtime: Runtime) -> None:
    failed = stored(_bkyc(selfie(compared=match(FaceOutcome.NO_MATCH))))
    body = callback_payload(runtime, _job(result=failed, partner_params={"job_id": "j", "user_id": "u"}))
    assert (body["status"], body["reason"]) == ("block", "face_verification_failed")
    assert body["message"] == "Verification failed: Selfie does not match the ID photo"
    assert body["id_fields"] is None
    assert body["partner_params"] is None  # nothing of the partner's own left
    assert "face.no_match" in body["evidence"]["reasons"]


def test_image_links_are_signed_for_the_stored_images(runtime: Runtime) -> None:
    runtime.served_at = "https://kyc.example.com"
    job = _job(result=stored(_bkyc(selfie(compared=match()))), inputs={"images": {"selfie": "jobs/x/selfie"}})
    links = callback_payload(runtime, job)["image_links"]
    assert list(links) == ["selfie_image"]
    assert links["selfie_image"].startswith("https://kyc.example.com/v1/images/0000000042/selfie?expires=")


def test_residency_adds_additional_documents_on_success_only(runtime: Runtime) -> None:
    read = [{"full_name": "John D.", "id_number": "A000000X"}]
    request = {"product": "residency_document_verification"}
    clear = {**stored(_docv()), "_additional_documents": read}
    body = callback_payload(runtime, _job(job_type=6, v3_request=request, result=clear))
    assert body["product"] == "residency_document_verification" and body["additional_documents"] == read
    blocked = {**stored(_docv(kind_matches=False)), "_additional_documents": read}
    body = callback_payload(runtime, _job(job_type=6, v3_request=request, result=blocked))
    assert body["status"] == "block" and body["additional_documents"] == []
    body = callback_payload(runtime, _job(job_type=6, v3_request=request, result=stored(_docv())))
    assert body["additional_documents"] == []  # nothing was read from the visa
    assert "additional_documents" not in callback_payload(
        runtime, _job(job_type=6, v3_request=None, result=clear)
    )


def test_a_product_registers_its_own_builder(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    def address(runtime: Runtime, job: Job) -> dict[str, Any]:
        return {"product": product_of(job), "address": "12 Test Road"}

    monkeypatch.setitem(PAYLOAD_BUILDERS, "address_verification", address)
    job = _job(job_type=12, v3_request={"product": "address_verification"}, result={"ResultCode": "1012"})
    assert callback_payload(runtime, job) == {"product": "address_verification", "address": "12 Test Road"}
    # Without one, a product gets the common fields and the evidence.
    monkeypatch.delitem(PAYLOAD_BUILDERS, "address_verification")
    monkeypatch.delitem(BUILDER_MODULES, "address_verification")
    body = callback_payload(runtime, _job(job_type=12, v3_request={"product": "address_verification"}))
    assert body["product"] == "address_verification" and "evidence" in body and "id_fields" not in body


@pytest.mark.parametrize(
    ("product", "job_type", "field"),
    [("address_verification", 12, "address_check"), ("one_time_aml", 10, "people")],
)
def test_a_process_that_never_loaded_a_products_module_builds_its_body(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, product: str, job_type: int, field: str
) -> None:
    """A worker or CLI that never imported the AML or address modules (their builders register on
    import) still builds their bodies: the module is imported on first use."""
    monkeypatch.delitem(PAYLOAD_BUILDERS, product, raising=False)
    for module in {"openkyc.jobs.v3_aml", "openkyc.jobs.v3_address"}:
        monkeypatch.delitem(sys.modules, module, raising=False)
    body = callback_payload(runtime, _job(job_type=job_type, v3_request={"product": product}, result={}))
    assert body["product"] == product and field in body


# -- Where results are called back --------------------------------------------------------------

CALLBACK = "https://partner.example/callbacks"


def _stored_job(runtime: Runtime, partner: PartnerCreds, *, version: str, job_id: str) -> str:
    params = parse_partner_params({"user_id": "user-1", "job_id": job_id, "job_type": 4, "crm_ref": "A-17"})
    with transaction(runtime.sessions) as session:
        job = service.create_sync_job(
            db_session=session,
            partner_id=partner.partner_id,
            environment="sandbox",
            api_key_id="k",
            params=params,
            callback_url=CALLBACK,
        )
        job.api_version = version
        if version == ApiVersion.V3:
            job.v3_request = {"product": "smart_selfie_registration", "user_details": {"given_names": "Ada"}}
        return job.smile_job_id


def _publish(runtime: Runtime, smile_job_id: str, result: ProductResult) -> CallbackDelivery | None:
    """Record ``result`` and call it back, as jobs.flows.publish_result does."""
    with transaction(runtime.sessions) as session:
        job = service.get_job(db_session=session, smile_job_id=smile_job_id)
        body: dict[str, Any] = {"SmileJobID": smile_job_id, "PartnerParams": job.partner_params}
        body |= {**result.wire(), "_success": result.approved, "_decision": result.to_record()}
        service.record_result(
            db_session=session, job=job, result=body, final=result.is_final, failed=result.failed
        )
        delivery = results_out.schedule_result(runtime, db_session=session, job=job, result=body)
        if delivery is not None:
            session.expunge(delivery)
        return delivery


def _deliveries(runtime: Runtime, smile_job_id: str) -> list[CallbackDelivery]:
    with transaction(runtime.sessions) as session:
        found = list(
            session.query(CallbackDelivery)
            .filter(CallbackDelivery.smile_job_id == smile_job_id)
            .order_by(CallbackDelivery.id)
        )
        for delivery in found:
            session.expunge(delivery)
        return found


def test_a_v1_job_is_called_back_as_before(runtime: Runtime, partner: PartnerCreds) -> None:
    smile_job_id = _stored_job(runtime, partner, version=ApiVersion.V1, job_id="v1-job")
    delivery = _publish(
        runtime, smile_job_id, smart_selfie_registration.decide(selfie(), sandbox_result=None)
    )
    assert delivery is not None and delivery.wire == "v1" and delivery.url == CALLBACK
    assert delivery.payload["ResultCode"] == "0840" and delivery.payload["SmileJobID"] == smile_job_id
    assert delivery.payload["PartnerParams"]["crm_ref"] == "A-17"
    assert not any(key.startswith("_") for key in delivery.payload)
    # A provisional v1 result is called back too, then the reviewer's.
    provisional_id = _stored_job(runtime, partner, version=ApiVersion.V1, job_id="v1-review")
    unsure = smart_selfie_registration.decide(selfie(live=liveness(Decision.REVIEW)), sandbox_result=None)
    assert _publish(runtime, provisional_id, unsure) is not None
    review.resolve(runtime, provisional_id, approve=True, reason=None)
    assert [d.payload["ResultCode"] for d in _deliveries(runtime, provisional_id)] == ["0844", "1240"]


def test_a_v3_job_is_called_back_with_its_v3_body(runtime: Runtime, partner: PartnerCreds) -> None:
    smile_job_id = _stored_job(
        runtime, partner, version=ApiVersion.V3, job_id="job_01h2xcejqtf2nbrexx3vqjhp41"
    )
    delivery = _publish(
        runtime, smile_job_id, smart_selfie_registration.decide(selfie(), sandbox_result=None)
    )
    assert delivery is not None and delivery.wire == "v3" and delivery.url == CALLBACK
    body = delivery.payload
    assert (body["status"], body["reason"], body["product"]) == ("clear", None, "smart_selfie_registration")
    assert body["job_id"] == "job_01h2xcejqtf2nbrexx3vqjhp41" and body["user_id"] == "user-1"
    assert body["partner_params"] == {"crm_ref": "A-17"}
    assert "ResultCode" not in body and body["evidence"]["result_code"] == "0840"


def test_a_v3_job_under_review_is_called_back_once_decided(runtime: Runtime, partner: PartnerCreds) -> None:
    smile_job_id = _stored_job(
        runtime, partner, version=ApiVersion.V3, job_id="job_01h2xcejqtf2nbrexx3vqjhp42"
    )
    unsure = smart_selfie_registration.decide(selfie(live=liveness(Decision.REVIEW)), sandbox_result=None)
    assert _publish(runtime, smile_job_id, unsure) is None  # no provisional callback in V3
    assert _deliveries(runtime, smile_job_id) == []
    actor = audit.Actor(audit.ActorType.PORTAL_USER, "m-1")
    with pytest.raises(NothingToResend, match="reviewer"):
        resend_result(runtime, smile_job_id=smile_job_id, partner_id=partner.partner_id, actor=actor)

    review.resolve(runtime, smile_job_id, approve=False, reason="spoof")
    (final,) = _deliveries(runtime, smile_job_id)
    assert final.wire == "v3"
    assert (final.payload["status"], final.payload["reason"]) == ("block", "spoof_detected")
    assert final.payload["evidence"]["result_code"] == "1242"

    # The portal's "Resend callback" sends the V3 body again, audited.
    resend_result(runtime, smile_job_id=smile_job_id, partner_id=partner.partner_id, actor=actor)
    first, again = _deliveries(runtime, smile_job_id)
    assert again.wire == "v3" and again.payload == first.payload
    with transaction(runtime.sessions) as session:
        events = session.query(AuditEvent).filter(AuditEvent.action == "callback.resent").all()
        assert [event.target_id for event in events] == [smile_job_id]


def test_replay_may_send_the_v3_body_elsewhere(runtime: Runtime, partner: PartnerCreds) -> None:
    smile_job_id = _stored_job(
        runtime, partner, version=ApiVersion.V3, job_id="job_01h2xcejqtf2nbrexx3vqjhp43"
    )
    _publish(runtime, smile_job_id, smart_selfie_registration.decide(selfie(), sandbox_result=None))
    with transaction(runtime.sessions) as session:
        job = service.get_job(db_session=session, smile_job_id=smile_job_id)
        delivery = results_out.schedule_v3(
            runtime, db_session=session, job=job, url="https://other.example/cb"
        )
        assert delivery is not None and delivery.url == "https://other.example/cb" and delivery.wire == "v3"


# -- The docs ------------------------------------------------------------------------------------


def test_the_docs_print_the_table() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert "## Results: how a V3 status and reason are derived" in text
    assert table_markdown() in text, (
        "docs/v3.md's table differs from jobs.v3_results.TABLE: paste table_markdown()"
    )
