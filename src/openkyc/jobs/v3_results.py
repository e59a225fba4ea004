"""A job's V3 outcome — ``(status, reason, message)`` — and its V3 callback body, both read from the
job's v1 result: one job model, two renderings of the same answer.

The V3 API (Smile ID's 2026 API) reports a finished job as ``clear``, ``attention``, ``block`` or
``error`` with a machine-readable ``reason`` and a human ``message``; the products here decide v1
results (ResultCode, ResultText, Actions, and the reasons behind the decision). :data:`TABLE` is
the one place that says how the first follows from the second. It is ordered, first match wins,
and every row is explicit: which products it applies to, which ResultCode and ResultText, an
optional condition on the result's Actions or reason codes, and the V3 status, reason and message.
``docs/v3.md`` prints it (:func:`table_markdown`; a test keeps the two equal).

Rules the rows follow:

* an approval (Outcome.APPROVED) is ``clear``, "Verification successful"; an approval with
  attention is ``attention``; a rejection is ``block``, except where nothing was judged about the
  person: an unusable or missing image, a system error, an ID authority out of reach, a number
  that is no valid ID number, a document that could not be classified. Those are ``error``: the
  job may be submitted again;
* a job that is not finished, *or whose result is provisional* (a human reviewer decides next),
  is ``processing``: V3 has no provisional result (its status is ``processing`` until the final
  one, and no callback is sent before it: :mod:`openkyc.jobs.results_out`). The provisional rows
  appear in the table for completeness; :func:`outcome` answers ``processing`` for a job in
  review before reading any row;
* reasons are the V3 vocabulary (:class:`V3Reason`: the spec's AML and address reasons, and the
  reasons Smile ID's V3 sandbox documentation shows for the identity products);
* a few V3 reasons name something no v1 row says: a high fraud risk, a locked account, an age
  requirement an ID look-up does not check. A result says those with a reason code among its
  reasons (:class:`Signal`); those rows come first, as the spec's ``high_risk`` overrides any
  other result.

A result's reason codes are its product decision's (``_decision.reasons``: the engine's and the
product's own) and, for results no product decides (Enhanced KYC, AML, address look-ups), the
private list ``_reasons``; neither leaves the server on the v1 wire.

The callback body (:func:`callback_payload`) is per product (:data:`PAYLOAD_BUILDERS`: lanes with
their own products register their builders there); the identity products share
:func:`verification_payload`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from openkyc.address.verify import AddressReason
from openkyc.job_types import JobType
from openkyc.jobs.models import ApiVersion, Job, JobState
from openkyc.jobs.status import image_url, signed_image_links, stored_image_key
from openkyc.products.catalogue import NOT_AVAILABLE, ActionValue, IdField
from openkyc.products.codes.biometric_kyc import BiometricKyc as Bkyc
from openkyc.products.codes.document_verification import DocumentVerification as Docv
from openkyc.products.codes.document_verification import DocvRejection, DocvUnverified
from openkyc.products.codes.enhanced_document_verification import EdvRejection
from openkyc.products.codes.enhanced_document_verification import EnhancedDocumentVerification as Edv
from openkyc.products.codes.fraud import FraudReported
from openkyc.products.codes.id_lookup import IdLookup
from openkyc.products.codes.rows import ResultEntry
from openkyc.products.codes.smart_selfie_authentication import SmartSelfieAuthentication as Auth
from openkyc.products.codes.smart_selfie_compare import SmartSelfieCompare as Compare
from openkyc.products.codes.smart_selfie_registration import SmartSelfieRegistration as Registration
from openkyc.runtime import Runtime


class V3Status(StrEnum):
    """A V3 job's status (``GET /v3/status``, callbacks)."""

    CLEAR = "clear"
    ATTENTION = "attention"
    BLOCK = "block"
    ERROR = "error"
    # Not finished, or waiting for a human reviewer (V3 has no provisional result).
    PROCESSING = "processing"


TERMINAL = frozenset({V3Status.CLEAR, V3Status.ATTENTION, V3Status.BLOCK, V3Status.ERROR})


class V3Reason(StrEnum):
    """V3 reason codes: the spec's (AML, address) and those Smile ID's V3 sandbox table shows."""

    IDENTIFIER_NOT_FOUND = "identifier_not_found"
    INVALID_ID_NUMBER = "invalid_id_number"
    SERVICE_UNAVAILABLE = "service_unavailable"
    FACE_VERIFICATION_FAILED = "face_verification_failed"
    SPOOF_DETECTED = "spoof_detected"
    IMAGE_UNAVAILABLE_OR_INVALID = "image_unavailable_or_invalid"
    INTERNAL_ERROR = "internal_error"
    DOCUMENT_CHECK_FAILED = "document_check_failed"
    UNSUPPORTED_DOCUMENT = "unsupported_document"
    DOCUMENT_COPY_DETECTED = "document_copy_detected"
    DOCUMENT_EXPIRED = "document_expired"
    DOCUMENT_UNCLASSIFIABLE = "document_unclassifiable"
    AGE_REQUIREMENT_NOT_MET = "age_requirement_not_met"
    HIGH_RISK = "high_risk"
    NAME_MISMATCH = "name_mismatch"
    ACCOUNT_LOCKED = "account_locked"
    AML_MATCH_FOUND = "aml_match_found"
    NEWS_MEDIA_MATCH = "news_media_match"
    INFORMATION_OUTDATED = "information_outdated"
    ADDRESS_OUT_OF_RANGE = "address_out_of_range"
    NO_ADDRESS_ON_RECORD = "no_address_on_record"


class Signal(StrEnum):
    """Reason codes a result carries (``_decision.reasons`` or ``_reasons``) for a V3 reason that
    no v1 row names. Any reason code starting with :data:`FRAUD_PREFIX` counts as HIGH_RISK."""

    HIGH_RISK = "risk.high"
    ACCOUNT_LOCKED = "account.locked"
    UNDER_AGE = "age.under_minimum"


# The fraud reports' reason codes (``fraud.flagged_user``, ``fraud.flagged_face``, ...).
FRAUD_PREFIX = "fraud."


class V3Product(StrEnum):
    """V3 product names (the callbacks' ``product``, the token's ``product`` enum)."""

    ENHANCED_KYC = "enhanced_kyc"
    BASIC_KYC = "basic_kyc"
    BIOMETRIC_KYC = "biometric_kyc"
    DOCUMENT_VERIFICATION = "document_verification"
    ENHANCED_DOCUMENT_VERIFICATION = "enhanced_document_verification"
    RESIDENCY_DOCUMENT_VERIFICATION = "residency_document_verification"
    SMART_SELFIE_REGISTRATION = "smart_selfie_registration"
    SMART_SELFIE_AUTHENTICATION = "smart_selfie_authentication"
    SMART_SELFIE_COMPARE = "smart_selfie_compare"
    ONE_TIME_AML = "one_time_aml"
    AML_MONITORING = "aml_monitoring"
    AML_MONITORING_UPDATE = "aml_monitoring_update"
    ADDRESS_VERIFICATION = "address_verification"
    # v1-only job types (V3 has no entry for them); named so that any job has a product name.
    BUSINESS_VERIFICATION = "business_verification"
    UPDATE_PHOTO = "update_photo"
    COMPARE_USER_INFO = "compare_user_info"


# The V3 product of a job without a V3 request (a v1 job), by job type. Job type 5 is Enhanced
# and Basic KYC alike; V3 submits only Enhanced KYC. Residency Document Verification has no job
# type of its own: only its V3 request names it.
PRODUCT_BY_JOB_TYPE: dict[int, V3Product] = {
    JobType.BIOMETRIC_KYC: V3Product.BIOMETRIC_KYC,
    JobType.SMART_SELFIE_AUTHENTICATION: V3Product.SMART_SELFIE_AUTHENTICATION,
    JobType.SMART_SELFIE_COMPARE: V3Product.SMART_SELFIE_COMPARE,
    JobType.SMART_SELFIE_REGISTRATION: V3Product.SMART_SELFIE_REGISTRATION,
    JobType.ENHANCED_KYC: V3Product.ENHANCED_KYC,
    JobType.DOCUMENT_VERIFICATION: V3Product.DOCUMENT_VERIFICATION,
    JobType.BUSINESS_VERIFICATION: V3Product.BUSINESS_VERIFICATION,
    JobType.UPDATE_PHOTO: V3Product.UPDATE_PHOTO,
    JobType.COMPARE_USER_INFO: V3Product.COMPARE_USER_INFO,
    JobType.AML: V3Product.ONE_TIME_AML,
    JobType.ENHANCED_DOCUMENT_VERIFICATION: V3Product.ENHANCED_DOCUMENT_VERIFICATION,
    JobType.ADDRESS_VERIFICATION: V3Product.ADDRESS_VERIFICATION,
}


def product_of(job: Job) -> str:
    """The job's V3 product name: its V3 request's, else its job type's."""
    named = (job.v3_request or {}).get("product")
    if isinstance(named, str) and named:
        return named
    try:
        return PRODUCT_BY_JOB_TYPE[int(job.job_type)].value
    except (KeyError, ValueError):
        raise ValueError(f"job type {job.job_type!r} has no V3 product") from None


# -- The table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A test on a stored result beyond its code and text, with the words the docs print for it."""

    describe: str
    test: Callable[[Mapping[str, Any]], bool]


def reason_codes(result: Mapping[str, Any]) -> list[str]:
    """The reason codes behind a stored result: its product decision's, then its own ``_reasons``."""
    decision = result.get("_decision")
    found: list[str] = []
    if isinstance(decision, Mapping):
        found += [code for code in decision.get("reasons") or [] if isinstance(code, str)]
    found += [code for code in result.get("_reasons") or [] if isinstance(code, str)]
    return found


def has_reason(code: str) -> Condition:
    return Condition(f"reasons include `{code}`", lambda result: code in reason_codes(result))


def high_risk() -> Condition:
    def test(result: Mapping[str, Any]) -> bool:
        return any(code == Signal.HIGH_RISK or code.startswith(FRAUD_PREFIX) for code in reason_codes(result))

    return Condition(f"reasons include `{Signal.HIGH_RISK.value}` or a `{FRAUD_PREFIX}*` code", test)


def action_is(action: str, value: ActionValue) -> Condition:
    def test(result: Mapping[str, Any]) -> bool:
        actions = result.get("Actions")
        return isinstance(actions, Mapping) and actions.get(action) == value.value

    return Condition(f"Actions.{action} is `{value.value}`", test)


def either(*conditions: Condition) -> Condition:
    return Condition(
        " or ".join(c.describe for c in conditions), lambda result: any(c.test(result) for c in conditions)
    )


def succeeded() -> Condition:
    return Condition("the job succeeded (`_success`)", lambda result: result.get("_success") is True)


ANY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Row:
    """One row of :data:`TABLE`. An empty ``products``, ``codes`` or ``texts`` matches any."""

    status: V3Status
    reason: V3Reason | None
    message: str
    products: frozenset[str] = ANY
    codes: frozenset[str] = ANY
    texts: frozenset[str] = ANY
    when: Condition | None = None
    # The row that gives a job no answer of its own (the last resort): the table's tests check
    # that every documented v1 row is matched before it.
    fallback: bool = False

    def matches(self, product: str, result: Mapping[str, Any]) -> bool:
        if self.products and product not in self.products:
            return False
        if self.codes and str(result.get("ResultCode")) not in self.codes:
            return False
        if self.texts and str(result.get("ResultText")) not in self.texts:
            return False
        return self.when is None or self.when.test(result)


# Messages: Smile ID's own where its V3 sandbox page prints one for the reason ("Verification
# successful", also for the attention of an expired or copied document; "Verification failed:
# Unable to validate ID - Not Found"; "Verification failed: Customer must be above 18"; "Error:
# verification could not be completed at this time"; "Error: document could not be classified";
# "Error: <image types> image(s) are unusable"; the spec's AML texts), in the same form where it
# prints none or only "Verification failed" (the rows then say what failed).
SUCCESS = "Verification successful"
PROCESSING_MESSAGE = "Job is still processing"
UNAVAILABLE_MESSAGE = "Error: external service unavailable."
MESSAGES: dict[V3Reason, str] = {
    V3Reason.IDENTIFIER_NOT_FOUND: "Verification failed: Unable to validate ID - Not Found",
    V3Reason.INVALID_ID_NUMBER: "Verification failed: invalid id number",
    V3Reason.SERVICE_UNAVAILABLE: UNAVAILABLE_MESSAGE,
    V3Reason.FACE_VERIFICATION_FAILED: "Verification failed: Face does not match",
    V3Reason.SPOOF_DETECTED: "Verification failed: Spoof detected",
    V3Reason.IMAGE_UNAVAILABLE_OR_INVALID: "Error: image(s) are unusable",
    V3Reason.INTERNAL_ERROR: "Error: verification could not be completed at this time",
    V3Reason.DOCUMENT_CHECK_FAILED: "Verification failed: Document check failed",
    V3Reason.UNSUPPORTED_DOCUMENT: "Verification failed: Unsupported document",
    V3Reason.DOCUMENT_COPY_DETECTED: SUCCESS,
    V3Reason.DOCUMENT_EXPIRED: SUCCESS,
    V3Reason.DOCUMENT_UNCLASSIFIABLE: "Error: document could not be classified",
    V3Reason.AGE_REQUIREMENT_NOT_MET: "Verification failed: Customer must be above 18",
    # The spec's text (its one-time AML high_risk example).
    V3Reason.HIGH_RISK: "Verification failed.",
    V3Reason.NAME_MISMATCH: "Verification failed: Name mismatch",
    V3Reason.ACCOUNT_LOCKED: "Verification failed: Account locked",
    V3Reason.AML_MATCH_FOUND: "Screening completed: potential matches identified.",
    V3Reason.NEWS_MEDIA_MATCH: "Screening completed: news media identified only.",
    V3Reason.INFORMATION_OUTDATED: SUCCESS,
    V3Reason.ADDRESS_OUT_OF_RANGE: "Verification failed: Address out of range",
    V3Reason.NO_ADDRESS_ON_RECORD: "Verification failed: No address on record",
}
SELFIE_UNUSABLE = "Error: selfie image(s) are unusable"
DOCUMENT_UNUSABLE = "Error: document image(s) are unusable"


def _texts(entries: Iterable[ResultEntry]) -> frozenset[str]:
    return frozenset(text for entry in entries for text in entry.texts())


def on(
    products: Iterable[str],
    entries: Iterable[ResultEntry],
    status: V3Status,
    reason: V3Reason | None = None,
    *,
    reason_text: str | None = None,
    when: Condition | None = None,
    message: str | None = None,
) -> Row:
    """A row for catalogue rows (their codes and every text they can take; with ``reason_text``,
    only the text with that reason filled in)."""
    entries = tuple(entries)
    if reason_text is not None:
        texts = frozenset(entry.text_with(reason_text) for entry in entries)
    else:
        texts = _texts(entries)
    if message is None:
        message = SUCCESS if reason is None else MESSAGES[reason]
    return Row(
        status,
        reason,
        message,
        products=frozenset(products),
        codes=frozenset(entry.code for entry in entries),
        texts=texts,
        when=when,
    )


def on_codes(
    products: Iterable[str],
    codes: Iterable[str],
    status: V3Status,
    reason: V3Reason | None = None,
    *,
    when: Condition | None = None,
    message: str | None = None,
) -> Row:
    """A row on result codes whatever their text (look-ups, AML, address)."""
    if message is None:
        message = SUCCESS if reason is None else MESSAGES[reason]
    return Row(status, reason, message, products=frozenset(products), codes=frozenset(codes), when=when)


P = V3Product
CLEAR, ATTENTION, BLOCK, ERROR, PROCESSING = (
    V3Status.CLEAR,
    V3Status.ATTENTION,
    V3Status.BLOCK,
    V3Status.ERROR,
    V3Status.PROCESSING,
)
R = V3Reason

DOCUMENT_PRODUCTS = (
    P.DOCUMENT_VERIFICATION,
    P.ENHANCED_DOCUMENT_VERIFICATION,
    P.RESIDENCY_DOCUMENT_VERIFICATION,
)
AML_PRODUCTS = (P.ONE_TIME_AML, P.AML_MONITORING, P.AML_MONITORING_UPDATE)
# Every product whose look-up answers with the ID look-up's family (Business Verification's
# registry answers with the same codes, its own texts).
_REJECTION = Docv.REJECTED
_EDV_REJECTION = Edv.REJECTED
_NAME_NO_MATCH = "authority.name.no_match"

TABLE: tuple[Row, ...] = (
    # -- A job blocked by a fraud report (openkyc's own rows, every product): the spec's high_risk.
    on(
        ANY,
        [FraudReported.USER_FLAGGED],
        BLOCK,
        R.HIGH_RISK,
        message="Verification failed: User reported for fraud",
    ),
    on(
        ANY,
        [FraudReported.FACE_MATCH],
        BLOCK,
        R.HIGH_RISK,
        message="Verification failed: Face matches a user reported for fraud",
    ),
    # -- Signals: what no v1 row says; they override the rest (the spec: high_risk overrides).
    Row(BLOCK, R.HIGH_RISK, MESSAGES[R.HIGH_RISK], when=high_risk()),
    Row(BLOCK, R.ACCOUNT_LOCKED, MESSAGES[R.ACCOUNT_LOCKED], when=has_reason(Signal.ACCOUNT_LOCKED)),
    Row(
        BLOCK,
        R.AGE_REQUIREMENT_NOT_MET,
        MESSAGES[R.AGE_REQUIREMENT_NOT_MET],
        when=has_reason(Signal.UNDER_AGE),
    ),
    # -- Document Verification, Enhanced and Residency Document Verification.
    on(DOCUMENT_PRODUCTS, [Docv.VERIFIED], CLEAR),
    on(DOCUMENT_PRODUCTS, [Docv.EXPIRED], ATTENTION, R.DOCUMENT_EXPIRED),
    on(DOCUMENT_PRODUCTS, [Docv.PHOTOCOPIED], ATTENTION, R.DOCUMENT_COPY_DETECTED),
    on(
        DOCUMENT_PRODUCTS,
        [_REJECTION],
        BLOCK,
        R.FACE_VERIFICATION_FAILED,
        reason_text=DocvRejection.SELFIE_MISMATCH,
        message="Verification failed: Selfie does not match the document photo",
    ),
    on(DOCUMENT_PRODUCTS, [_REJECTION], BLOCK, R.SPOOF_DETECTED, reason_text=DocvRejection.LIVENESS),
    on(
        DOCUMENT_PRODUCTS,
        [_REJECTION],
        BLOCK,
        R.DOCUMENT_CHECK_FAILED,
        reason_text=DocvRejection.SECURITY_FEATURES,
        message="Verification failed: Document security features missing",
    ),
    on(
        DOCUMENT_PRODUCTS,
        [_REJECTION],
        BLOCK,
        R.DOCUMENT_CHECK_FAILED,
        reason_text=DocvRejection.INCONSISTENT,
        message="Verification failed: Document information inconsistent",
    ),
    on(
        DOCUMENT_PRODUCTS,
        [_REJECTION],
        BLOCK,
        R.DOCUMENT_CHECK_FAILED,
        reason_text=DocvRejection.WRONG_DOCUMENT_TYPE,
        message="Verification failed: Wrong document type",
    ),
    on(DOCUMENT_PRODUCTS, [_REJECTION], BLOCK, R.AGE_REQUIREMENT_NOT_MET, reason_text=DocvRejection.UNDER_18),
    on(
        DOCUMENT_PRODUCTS,
        [_EDV_REJECTION],
        BLOCK,
        R.NAME_MISMATCH,
        reason_text=EdvRejection.AUTHORITY_MISMATCH,
        when=has_reason(_NAME_NO_MATCH),
        message="Verification failed: Name does not match the ID authority record",
    ),
    on(
        DOCUMENT_PRODUCTS,
        [_EDV_REJECTION],
        BLOCK,
        R.DOCUMENT_CHECK_FAILED,
        reason_text=EdvRejection.AUTHORITY_MISMATCH,
        message="Verification failed: Document does not match the ID authority record",
    ),
    on(
        DOCUMENT_PRODUCTS,
        [Docv.UNVERIFIED],
        ERROR,
        R.DOCUMENT_UNCLASSIFIABLE,
        reason_text=DocvUnverified.NOT_CLASSIFIED,
    ),
    on(
        DOCUMENT_PRODUCTS,
        [Docv.UNVERIFIED],
        ERROR,
        R.IMAGE_UNAVAILABLE_OR_INVALID,
        reason_text=DocvUnverified.INVALID_DOCUMENT_IMAGE,
        message=DOCUMENT_UNUSABLE,
    ),
    on(
        DOCUMENT_PRODUCTS, [Docv.UNSUPPORTED_DOCUMENT, Docv.REVIEW_UNSUPPORTED], BLOCK, R.UNSUPPORTED_DOCUMENT
    ),
    on(
        DOCUMENT_PRODUCTS,
        [Docv.UNSUPPORTED_ID_TYPE],
        BLOCK,
        R.UNSUPPORTED_DOCUMENT,
        message="Verification failed: Unsupported ID type",
    ),
    on(
        DOCUMENT_PRODUCTS,
        [Docv.REVIEW_NOT_A_DOCUMENT],
        BLOCK,
        R.UNSUPPORTED_DOCUMENT,
        message="Verification failed: Not a document",
    ),
    on(
        DOCUMENT_PRODUCTS,
        [Docv.REVIEW_POTENTIAL_FRAUD],
        BLOCK,
        R.DOCUMENT_CHECK_FAILED,
        message="Verification failed: Potential fraud attempt on the document",
    ),
    on(
        DOCUMENT_PRODUCTS,
        [Docv.REVIEW_WRONG_TYPE],
        BLOCK,
        R.DOCUMENT_CHECK_FAILED,
        message="Verification failed: Wrong document type",
    ),
    on(
        DOCUMENT_PRODUCTS,
        [Docv.REVIEW_CROPPED, Docv.REVIEW_UNREADABLE],
        ERROR,
        R.IMAGE_UNAVAILABLE_OR_INVALID,
        message=DOCUMENT_UNUSABLE,
    ),
    on(DOCUMENT_PRODUCTS, [Docv.UNDER_REVIEW], PROCESSING, message=PROCESSING_MESSAGE),
    # -- Biometric KYC.
    on([P.BIOMETRIC_KYC], [Bkyc.MACHINE_PASS, Bkyc.HUMAN_PASS], CLEAR),
    on(
        [P.BIOMETRIC_KYC],
        [Bkyc.MACHINE_FAIL],
        BLOCK,
        R.SPOOF_DETECTED,
        when=either(action_is("Liveness_Check", ActionValue.FAILED), has_reason("face.identical_images")),
    ),
    on(
        [P.BIOMETRIC_KYC],
        [Bkyc.MACHINE_FAIL, Bkyc.HUMAN_FAIL_COMPARE],
        BLOCK,
        R.FACE_VERIFICATION_FAILED,
        message="Verification failed: Selfie does not match the ID photo",
    ),
    on([P.BIOMETRIC_KYC], [Bkyc.HUMAN_FAIL_SPOOF], BLOCK, R.SPOOF_DETECTED),
    on(
        [P.BIOMETRIC_KYC],
        [Bkyc.NO_FACE, Bkyc.POOR_QUALITY],
        ERROR,
        R.IMAGE_UNAVAILABLE_OR_INVALID,
        message=SELFIE_UNUSABLE,
    ),
    on(
        [P.BIOMETRIC_KYC],
        [Bkyc.NO_AUTHORITY_PHOTO],
        ERROR,
        R.IMAGE_UNAVAILABLE_OR_INVALID,
        message="Error: ID authority image(s) are unusable",
    ),
    on([P.BIOMETRIC_KYC], [Bkyc.UNDER_REVIEW], PROCESSING, message=PROCESSING_MESSAGE),
    # -- SmartSelfie Registration.
    on([P.SMART_SELFIE_REGISTRATION], [Registration.MACHINE_PASS, Registration.HUMAN_PASS], CLEAR),
    on(
        [P.SMART_SELFIE_REGISTRATION],
        [Registration.MACHINE_FAIL_SPOOF, Registration.HUMAN_FAIL_SPOOF],
        BLOCK,
        R.SPOOF_DETECTED,
    ),
    on(
        [P.SMART_SELFIE_REGISTRATION],
        [Registration.NO_FACE, Registration.POOR_QUALITY, Registration.HUMAN_FAIL_UNUSABLE],
        ERROR,
        R.IMAGE_UNAVAILABLE_OR_INVALID,
        message=SELFIE_UNUSABLE,
    ),
    on(
        [P.SMART_SELFIE_REGISTRATION],
        [Registration.PROVISIONAL_SPOOF, Registration.PENDING_SPOOF],
        PROCESSING,
        message=PROCESSING_MESSAGE,
    ),
    # -- SmartSelfie Authentication.
    on([P.SMART_SELFIE_AUTHENTICATION], [Auth.MACHINE_PASS, Auth.HUMAN_PASS], CLEAR),
    on(
        [P.SMART_SELFIE_AUTHENTICATION],
        [Auth.MACHINE_FAIL_COMPARISON, Auth.HUMAN_FAIL_COMPARE],
        BLOCK,
        R.FACE_VERIFICATION_FAILED,
        message="Verification failed: Selfie does not match the registered selfie",
    ),
    on(
        [P.SMART_SELFIE_AUTHENTICATION],
        [Auth.MACHINE_FAIL_SPOOF, Auth.HUMAN_FAIL_SPOOF],
        BLOCK,
        R.SPOOF_DETECTED,
    ),
    on(
        [P.SMART_SELFIE_AUTHENTICATION],
        [Auth.NO_FACE, Auth.POOR_QUALITY],
        ERROR,
        R.IMAGE_UNAVAILABLE_OR_INVALID,
        message=SELFIE_UNUSABLE,
    ),
    on(
        [P.SMART_SELFIE_AUTHENTICATION],
        [Auth.PURE_PROVISIONAL, Auth.PROVISIONAL_SPOOF, Auth.PROVISIONAL_COMPARE_UNSURE],
        PROCESSING,
        message=PROCESSING_MESSAGE,
    ),
    # A disabled user, or one flagged for re-enrolment, recorded as the job's result.
    on(
        [P.SMART_SELFIE_AUTHENTICATION],
        [Auth.USER_DISABLED, Auth.RE_ENROLMENT_REQUIRED],
        BLOCK,
        R.ACCOUNT_LOCKED,
    ),
    # -- SmartSelfie Compare.
    on([P.SMART_SELFIE_COMPARE], [Compare.FACE_MATCH], CLEAR),
    on(
        [P.SMART_SELFIE_COMPARE],
        [Compare.NO_FACE_MATCH],
        BLOCK,
        R.SPOOF_DETECTED,
        when=action_is("Liveness_Check", ActionValue.FAILED),
    ),
    on(
        [P.SMART_SELFIE_COMPARE],
        [Compare.NO_FACE_MATCH],
        BLOCK,
        R.FACE_VERIFICATION_FAILED,
        message="Verification failed: Selfie does not match the comparison image",
    ),
    on(
        [P.SMART_SELFIE_COMPARE],
        [Compare.IDENTICAL_IMAGES],
        BLOCK,
        R.SPOOF_DETECTED,
        message="Verification failed: The compared images are identical",
    ),
    on(
        [P.SMART_SELFIE_COMPARE],
        [Compare.NO_FACE_IN_SELFIE],
        ERROR,
        R.IMAGE_UNAVAILABLE_OR_INVALID,
        message=SELFIE_UNUSABLE,
    ),
    # -- AML screening (the spec's OneTimeAmlCallback: 1031 clear, 1030/1023 block, 1017 attention,
    # 1015 error, with its messages).
    on_codes(AML_PRODUCTS, ["1031"], CLEAR, message="Screening completed: no matches found."),
    on_codes(AML_PRODUCTS, ["1030", "1023"], BLOCK, R.AML_MATCH_FOUND),
    on_codes(AML_PRODUCTS, ["1017"], ATTENTION, R.NEWS_MEDIA_MATCH),
    on_codes(AML_PRODUCTS, ["1015"], ERROR, R.SERVICE_UNAVAILABLE),
    # -- Address verification (the spec: clear within 1 km of the record; NG records older than six
    # months need attention; the record's reasons otherwise).
    on_codes(
        [P.ADDRESS_VERIFICATION],
        ANY,
        ATTENTION,
        R.INFORMATION_OUTDATED,
        when=has_reason(AddressReason.OUTDATED),
    ),
    on_codes(
        [P.ADDRESS_VERIFICATION],
        ANY,
        BLOCK,
        R.ADDRESS_OUT_OF_RANGE,
        when=has_reason(AddressReason.OUT_OF_RANGE),
    ),
    on_codes(
        [P.ADDRESS_VERIFICATION], ANY, BLOCK, R.NAME_MISMATCH, when=has_reason(AddressReason.NAME_MISMATCH)
    ),
    on_codes(
        [P.ADDRESS_VERIFICATION], ANY, BLOCK, R.NO_ADDRESS_ON_RECORD, when=has_reason(AddressReason.NO_RECORD)
    ),
    on_codes(
        [P.ADDRESS_VERIFICATION],
        ["1015"],
        ERROR,
        R.SERVICE_UNAVAILABLE,
        message=UNAVAILABLE_MESSAGE,
    ),
    # -- ID look-ups, any product (Enhanced KYC; Biometric KYC's and Enhanced Document
    # Verification's look-up; Basic KYC; a business registry's look-up, which shares the codes).
    on_codes(ANY, [IdLookup.VALIDATED.code], CLEAR),
    on(ANY, [IdLookup.EXACT_MATCH, IdLookup.PARTIAL_MATCH], CLEAR),
    on(ANY, [IdLookup.NO_MATCH], BLOCK, R.NAME_MISMATCH),
    on_codes(ANY, [IdLookup.ID_NOT_FOUND.code], BLOCK, R.IDENTIFIER_NOT_FOUND),
    on_codes(ANY, [IdLookup.INVALID_ID_NUMBER.code], ERROR, R.INVALID_ID_NUMBER),
    on_codes(ANY, [IdLookup.AUTHORITY_UNAVAILABLE.code], ERROR, R.SERVICE_UNAVAILABLE),
    on(
        ANY,
        [IdLookup.RATE_LIMITED],
        ERROR,
        R.SERVICE_UNAVAILABLE,
        message="Error: ID number rate limited, no look-up was made",
    ),
    # -- Every table's general failures: nothing was judged about the person.
    on(ANY, [Docv.SELFIE_UNUSABLE], ERROR, R.IMAGE_UNAVAILABLE_OR_INVALID, message=SELFIE_UNUSABLE),
    on(
        ANY,
        [Docv.ID_CARD_NOT_PROVIDED, Docv.ID_CARD_UNUSABLE],
        ERROR,
        R.IMAGE_UNAVAILABLE_OR_INVALID,
        message=DOCUMENT_UNUSABLE,
    ),
    on(
        ANY,
        [Docv.DATA_INVALID, Docv.IMAGES_CORRUPT, Docv.ZIP_CORRUPT, Registration.UNZIP_FAILED],
        ERROR,
        R.IMAGE_UNAVAILABLE_OR_INVALID,
    ),
    on(ANY, [Docv.SYSTEM_ERROR, Registration.SYSTEM_ERROR_REQUEST], ERROR, R.INTERNAL_ERROR),
    # -- Last resort, for a result no row above knows (a request error recorded as a refused upload's
    # result, a code a later product adds): success is success, anything else was not verified.
    Row(CLEAR, None, SUCCESS, when=succeeded(), fallback=True),
    Row(ERROR, R.INTERNAL_ERROR, MESSAGES[R.INTERNAL_ERROR], fallback=True),
)


@dataclass(frozen=True)
class V3Outcome:
    """A job's V3 status, reason (None when clear or processing) and message."""

    status: V3Status
    reason: str | None
    message: str
    # The row that gave it (None: the job is not finished, or waits for a reviewer).
    row: Row | None = field(default=None, compare=False)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


PROCESSING_OUTCOME = V3Outcome(V3Status.PROCESSING, None, PROCESSING_MESSAGE)
FINISHED_STATES = frozenset({JobState.COMPLETE, JobState.FAILED})


def outcome_of_result(product: str, result: Mapping[str, Any]) -> V3Outcome:
    """The V3 outcome a final stored v1 ``result`` of ``product`` gives: the first row that matches."""
    for row in TABLE:
        if row.matches(product, result):
            reason = row.reason.value if row.reason is not None else None
            return V3Outcome(row.status, reason, row.message, row)
    raise AssertionError("the table's last row matches every result")


def outcome(job: Job) -> V3Outcome:
    """The job's V3 outcome: ``processing`` until its result is final, then the table's answer."""
    if job.state not in FINISHED_STATES or not job.result:
        return PROCESSING_OUTCOME
    return outcome_of_result(product_of(job), job.result)


def is_v3(job: Job) -> bool:
    return job.api_version == ApiVersion.V3


# -- The table as the docs print it --------------------------------------------------------------


def _cell(values: frozenset[str], *, quote: bool = True) -> str:
    if not values:
        return "any"
    return ", ".join(f"`{value}`" if quote else value for value in sorted(values))


def table_markdown() -> str:
    """:data:`TABLE` as a Markdown table (``docs/v3.md`` holds this very text)."""
    lines = [
        "| # | Products | ResultCode | ResultText | And | V3 status | V3 reason | Message |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for number, row in enumerate(TABLE, start=1):
        texts = "any" if not row.texts else "<br>".join(f"{text}" for text in sorted(row.texts))
        lines.append(
            "| "
            + " | ".join(
                [
                    str(number),
                    _cell(row.products),
                    _cell(row.codes),
                    texts.replace("|", "\\|"),
                    row.when.describe if row.when is not None else "",
                    f"`{row.status.value}`",
                    f"`{row.reason.value}`" if row.reason is not None else "null",
                    row.message,
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


# -- The callback body ---------------------------------------------------------------------------

# partner_params keys that are transport, not the partner's (the spec strips them).
INTERNAL_PARTNER_PARAMS = frozenset({"job_id", "job_type", "user_id", "_sandbox_v3", "sandbox_result"})
# Where delivery puts the signed receipt link, made afresh for every attempt.
KYC_RECEIPT = "kyc_receipt"

# The v1 result's ID fields under their V3 names (the order of Smile ID's V3 DocV example first).
ID_FIELDS: tuple[tuple[str, str], ...] = (
    ("first_name", "FirstName"),
    ("other_names", "MiddleName"),
    ("last_name", "LastName"),
    ("full_name", IdField.FULL_NAME.value),
    ("id_number", IdField.ID_NUMBER.value),
    ("country", IdField.COUNTRY.value),
    ("id_type", IdField.ID_TYPE.value),
    ("dob", IdField.DOB.value),
    ("gender", IdField.GENDER.value),
    ("expiration_date", IdField.EXPIRATION_DATE.value),
    ("issuance_date", IdField.ISSUANCE_DATE.value),
    ("secondary_id_number", IdField.SECONDARY_ID_NUMBER.value),
    ("phone_number", IdField.PHONE_NUMBER.value),
    ("phone_number2", IdField.PHONE_NUMBER_2.value),
    ("address", IdField.ADDRESS.value),
)
USER_DETAILS = ("given_names", "last_name", "email", "phone_number")


def iso_ms(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as the V3 API writes times (a naive time, as
    SQLite gives them back, is UTC)."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def partner_params_of(job: Job) -> dict[str, Any] | None:
    """The partner's own partner_params (transport keys stripped); None when none are left."""
    own = {
        key: value for key, value in (job.partner_params or {}).items() if key not in INTERNAL_PARTNER_PARAMS
    }
    return own or None


def user_provided_info(job: Job) -> dict[str, Any] | None:
    """What the V3 request's user_details said (each of the four keys, null when not given)."""
    details = (job.v3_request or {}).get("user_details")
    if not isinstance(details, Mapping):
        return None
    return {key: details.get(key) for key in USER_DETAILS}


def id_fields(result: Mapping[str, Any]) -> dict[str, str | None]:
    """The v1 result's ID fields under V3 names; null where the v1 result has none or "Not Available"."""
    fields: dict[str, str | None] = {}
    for v3_name, v1_name in ID_FIELDS:
        value = result.get(v1_name)
        fields[v3_name] = value if isinstance(value, str) and value and value != NOT_AVAILABLE else None
    return fields


def evidence(result: Mapping[str, Any]) -> dict[str, Any]:
    """What the answer rests on, compactly: the v1 code and text it was derived from, the checks
    that were made (Actions, lower-case, without "Not Applicable") and the reason codes."""
    actions = result.get("Actions")
    made = {
        str(key).lower(): value
        for key, value in (actions.items() if isinstance(actions, Mapping) else ())
        if value != ActionValue.NOT_APPLICABLE.value
    }
    found: dict[str, Any] = {
        "result_code": result.get("ResultCode"),
        "result_text": result.get("ResultText"),
        "actions": made,
        "reasons": list(dict.fromkeys(reason_codes(result))),
    }
    if isinstance(result.get("ConfidenceValue"), str):
        found["confidence_value"] = result["ConfidenceValue"]
    return found


def image_links(runtime: Runtime, job: Job) -> dict[str, str] | None:
    """Expiring links to the job's stored images (``image_link_ttl``; a replay signs fresh ones);
    None when it stored none or the server's public address is unknown."""
    base_url = (runtime.settings.public_base_url or runtime.served_at).rstrip("/")
    stored = (job.inputs or {}).get("images")
    if not base_url or not isinstance(stored, Mapping) or not stored:
        return None
    links = signed_image_links(
        job,
        base_url=base_url,
        links=runtime.links,
        expires=datetime.now(UTC) + runtime.settings.image_link_ttl,
    )
    return None if "error" in links else links


def common_fields(job: Job, answer: V3Outcome | None = None) -> dict[str, Any]:
    """The fields every V3 callback body has, in this order (builders add their product's)."""
    answer = answer or outcome(job)
    request = job.v3_request or {}
    return {
        "job_id": job.job_id,
        "user_id": job.user_id,
        "status": answer.status.value,
        "message": answer.message,
        "reason": answer.reason,
        "product": product_of(job),
        "partner_params": partner_params_of(job),
        "created_at": iso_ms(job.created_at),
        "completed_at": iso_ms(job.completed_at) if job.completed_at is not None else None,
        "user_provided_info": user_provided_info(job),
        "consent": request.get("consent"),
        "metadata": request.get("metadata") or [],
        KYC_RECEIPT: None,
        "antifraud": None,
        "device_signals": None,
    }


def verification_payload(runtime: Runtime, job: Job) -> dict[str, Any]:
    """The callback body of the identity products (Enhanced KYC, Biometric KYC, the document
    verifications, SmartSelfie): the common fields, the ID fields on success (null otherwise, as
    the spec suppresses them on a failed outcome), the evidence and the image links."""
    answer = outcome(job)
    result = job.result or {}
    body = common_fields(job, answer)
    body["id_fields"] = id_fields(result) if answer.status in (V3Status.CLEAR, V3Status.ATTENTION) else None
    body["evidence"] = evidence(result)
    body["image_links"] = image_links(runtime, job)
    return body


# Read from a result for Residency Document Verification: what was read from the visa page, as the
# spec's AdditionalDocument objects (the product that reads it stores them under this key).
ADDITIONAL_DOCUMENTS = "_additional_documents"


def residency_payload(runtime: Runtime, job: Job) -> dict[str, Any]:
    """Document Verification's body and ``additional_documents``: populated only when clear or
    attention, else present and empty (the spec). What was read from the visa when a product read
    it; else the visa kept with the job (v3.documents) as its image link alone: nothing is read
    from it, so no other field is claimed."""
    body = verification_payload(runtime, job)
    read = (job.result or {}).get(ADDITIONAL_DOCUMENTS)
    documents: list[Any] = []
    if body["status"] in (V3Status.CLEAR, V3Status.ATTENTION):
        if isinstance(read, list):
            documents = list(read)
        elif (visa := visa_link(runtime, job)) is not None:
            documents = [{"image_link": visa}]
    body["additional_documents"] = documents
    return body


VISA = "visa"  # the image kind a residency job's visa is kept under (jobs.status.stored_images)


def visa_link(runtime: Runtime, job: Job) -> str | None:
    """An expiring link to the visa kept with a residency job; None when none is kept or the
    server's public address is unknown."""
    base_url = (runtime.settings.public_base_url or runtime.served_at).rstrip("/")
    if not base_url or stored_image_key(job, VISA) is None:
        return None
    expires = datetime.now(UTC) + runtime.settings.image_link_ttl
    return image_url(job.smile_job_id, VISA, base_url=base_url, links=runtime.links, expires=expires)


PayloadBuilder = Callable[[Runtime, Job], dict[str, Any]]

# The callback body of each V3 product. The AML and address products register their own (their
# bodies are the spec's OneTimeAmlCallback and its address counterpart) from the modules below,
# which import this one: callback_payload imports a product's module on first use, so a process
# that never loaded it (a worker, a CLI) still builds that product's body.
BUILDER_MODULES: dict[str, str] = {
    P.ONE_TIME_AML: "openkyc.jobs.v3_aml",
    P.AML_MONITORING: "openkyc.jobs.v3_aml",
    P.ADDRESS_VERIFICATION: "openkyc.jobs.v3_address",
}
PAYLOAD_BUILDERS: dict[str, PayloadBuilder] = {
    P.ENHANCED_KYC: verification_payload,
    P.BASIC_KYC: verification_payload,
    P.BIOMETRIC_KYC: verification_payload,
    P.DOCUMENT_VERIFICATION: verification_payload,
    P.ENHANCED_DOCUMENT_VERIFICATION: verification_payload,
    P.RESIDENCY_DOCUMENT_VERIFICATION: residency_payload,
    P.SMART_SELFIE_REGISTRATION: verification_payload,
    P.SMART_SELFIE_AUTHENTICATION: verification_payload,
    P.SMART_SELFIE_COMPARE: verification_payload,
}


def callback_payload(runtime: Runtime, job: Job) -> dict[str, Any]:
    """The V3 callback body of a finished ``job`` (also the body replay sends and /sync answers).

    ``kyc_receipt`` is null here: delivery signs the link for each attempt. A product without a
    builder of its own gets the common fields and the evidence."""
    product = product_of(job)
    if product not in PAYLOAD_BUILDERS and product in BUILDER_MODULES:
        importlib.import_module(BUILDER_MODULES[product])  # registers the product's builder
    builder = PAYLOAD_BUILDERS.get(product)
    if builder is not None:
        return builder(runtime, job)
    body = common_fields(job)
    body["evidence"] = evidence(job.result or {})
    return body
