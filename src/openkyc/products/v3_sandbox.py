"""The V3 sandbox: Smile ID's test identities and the numeric ``sandbox_result``, as v1 result rows.

Smile ID's V3 sandbox decides nothing on evidence: the official SDKs' READMEs say a non-production
job is matched on ``user_details`` (given_names + last_name + email) against documented test
identities, and that an unrecognised identity "resolves to block"; a numeric ``sandbox_result``
(``840``, ``"1220"``, ``"840.0"``) forces a result code. The identities and the outcome each one
gives per product are quoted from Smile ID's "Testing in sandbox" page
(``../shared/spec/smileid-v3/notes.md`` §9).

openkyc answers V3 from the same job pipeline and v1 results as everything else, and derives a V3
status and reason from a v1 result by one mapping table (:mod:`openkyc.jobs.v3_results`). So an
identity here does not answer with a V3 status: it picks the v1 result row (a :class:`Verdict`)
whose mapping gives the status and reason Smile ID documents for it, and :func:`forced_result`
builds the job's result from that row, with Actions that tell the same story, and the reason
``sandbox.v3_identity.<last_name>`` (or ``sandbox.v3_sandbox_result.<code>``) so that no reviewer
mistakes it for the engine's decision.

Pure: no database, no HTTP. Only V3 sandbox jobs come here (:mod:`openkyc.jobs.v3_sandbox`);
production jobs and v1 sandbox jobs (``partner_params.sandbox_result`` 0/1/2,
:mod:`openkyc.products.sandbox`) are decided by the engine as before.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from openkyc.job_types import JobType
from openkyc.products.authority import (
    AuthorityRecord,
    AuthorityUnavailable,
    InvalidIdNumber,
    LookupFailure,
    RecordNotFound,
)
from openkyc.products.catalogue import (
    ACTION_KEYS,
    CATALOGUE,
    NOT_AVAILABLE,
    RESULT_TYPES,
    Action,
    ActionValue,
    IdField,
    Product,
)
from openkyc.products.codes.biometric_kyc import BiometricKyc
from openkyc.products.codes.document_verification import DocumentVerification, DocvRejection, DocvUnverified
from openkyc.products.codes.enhanced_document_verification import EdvRejection, EnhancedDocumentVerification
from openkyc.products.codes.fraud import FraudReported
from openkyc.products.codes.id_lookup import IdLookup
from openkyc.products.codes.rows import Outcome, ResultEntry
from openkyc.products.codes.smart_selfie_authentication import SmartSelfieAuthentication
from openkyc.products.codes.smart_selfie_compare import SmartSelfieCompare
from openkyc.products.codes.smart_selfie_registration import SmartSelfieRegistration
from openkyc.products.result import ProductResult, build_result, make_actions

IDENTITY_REASON = "sandbox.v3_identity"
SANDBOX_RESULT_REASON = "sandbox.v3_sandbox_result"
# Where a V3 job keeps the ``sandbox_result`` it was sent (jobs.v3_request, beside user_details).
SANDBOX_RESULT_KEY = "sandbox_result"


class Family(StrEnum):
    """The V3 products the sandbox page gives identities for, by the job type each runs as."""

    ENHANCED_KYC = "enhanced_kyc"
    BIOMETRIC_KYC = "biometric_kyc"
    DOCUMENT_VERIFICATION = "document_verification"
    ENHANCED_DOCUMENT_VERIFICATION = "enhanced_document_verification"
    SMART_SELFIE_REGISTRATION = "smart_selfie_registration"
    SMART_SELFIE_AUTHENTICATION = "smart_selfie_authentication"
    SMART_SELFIE_COMPARE = "smart_selfie_compare"


# A V3 job runs as one of these job types (residency document verification as Document
# Verification); V3 products of other job types (AML, address) have sandboxes of their own.
FAMILY_OF_JOB_TYPE: dict[int, Family] = {
    JobType.ENHANCED_KYC: Family.ENHANCED_KYC,
    JobType.BIOMETRIC_KYC: Family.BIOMETRIC_KYC,
    JobType.DOCUMENT_VERIFICATION: Family.DOCUMENT_VERIFICATION,
    JobType.ENHANCED_DOCUMENT_VERIFICATION: Family.ENHANCED_DOCUMENT_VERIFICATION,
    JobType.SMART_SELFIE_REGISTRATION: Family.SMART_SELFIE_REGISTRATION,
    JobType.SMART_SELFIE_AUTHENTICATION: Family.SMART_SELFIE_AUTHENTICATION,
    JobType.SMART_SELFIE_COMPARE: Family.SMART_SELFIE_COMPARE,
}

# The v1 product whose result rows a family answers with; Enhanced KYC answers with the ID
# look-up's rows (openkyc.idverification builds its result), which no Product decides.
PRODUCT_OF_FAMILY: dict[Family, Product | None] = {
    Family.ENHANCED_KYC: None,
    Family.BIOMETRIC_KYC: Product.BIOMETRIC_KYC,
    Family.DOCUMENT_VERIFICATION: Product.DOCUMENT_VERIFICATION,
    Family.ENHANCED_DOCUMENT_VERIFICATION: Product.ENHANCED_DOCUMENT_VERIFICATION,
    Family.SMART_SELFIE_REGISTRATION: Product.SMART_SELFIE_REGISTRATION,
    Family.SMART_SELFIE_AUTHENTICATION: Product.SMART_SELFIE_AUTHENTICATION,
    Family.SMART_SELFIE_COMPARE: Product.SMART_SELFIE_COMPARE,
}

# Enhanced KYC's results: the look-up's own (its rate limit answers the request with 429, never a job).
ENHANCED_KYC_ROWS: tuple[ResultEntry, ...] = (
    IdLookup.VALIDATED,
    IdLookup.ID_NOT_FOUND,
    IdLookup.INVALID_ID_NUMBER,
    IdLookup.AUTHORITY_UNAVAILABLE,
)


def rows_of(family: Family) -> tuple[ResultEntry, ...]:
    """The job-result rows a family may answer with (request errors excluded)."""
    product = PRODUCT_OF_FAMILY[family]
    rows = ENHANCED_KYC_ROWS if product is None else CATALOGUE[product]
    return tuple(row for row in rows if row.outcome is not None)


class Scenario(StrEnum):
    """What a forced result says happened: its Actions, and what the ID look-up answers."""

    PASSED = "passed"
    ATTENTION = "attention"  # approved, with something for the partner to look at (0817)
    UNDER_REVIEW = "under_review"  # a reviewer compares (or checks the document)
    SUSPECTED_SPOOF = "suspected_spoof"  # a reviewer checks the liveness
    NOT_PROCESSED = "not_processed"  # 0001 / 0903: nothing was judged
    ID_NOT_FOUND = "id_not_found"
    ID_INVALID = "id_invalid"
    AUTHORITY_UNAVAILABLE = "authority_unavailable"
    RATE_LIMITED = "rate_limited"
    SELFIE_UNUSABLE = "selfie_unusable"
    SPOOF = "spoof"
    FACE_MISMATCH = "face_mismatch"
    DOCUMENT_UNUSABLE = "document_unusable"  # not a document this can verify (0812, 0816, 1014, ...)
    DOCUMENT_INVALID = "document_invalid"  # a document that fails its checks (0811)
    RISK = "risk"  # the checks passed; the person is rejected (a fraud report, a high risk)


@dataclass(frozen=True)
class Identity:
    """One documented test identity and the outcome Smile ID documents for it."""

    # None: any given names (the page names none).
    given_names: str | None
    last_name: str
    status: str  # the V3 status: clear | attention | block | error
    reason: str | None  # the V3 reason (None when clear)
    families: frozenset[Family]
    message: str

    def email_for(self, given_names: str) -> str:
        """``<first given name>.<last name>@example.com``, lower case (the page's pattern); the
        given names are the identity's own, or ``given_names`` where the page names none."""
        words = (self.given_names or given_names).split()
        first = words[0] if words else ""
        return f"{first}.{self.last_name}@example.com".lower()

    @property
    def key(self) -> str:
        """The identity's name in reasons: its last name, lower case."""
        return self.last_name.lower()


_EKYC = frozenset({Family.ENHANCED_KYC})
_BIOMETRIC = frozenset({Family.BIOMETRIC_KYC})
_SELFIE = frozenset(
    {Family.SMART_SELFIE_REGISTRATION, Family.SMART_SELFIE_AUTHENTICATION, Family.SMART_SELFIE_COMPARE}
)
_DOCUMENTS = frozenset({Family.DOCUMENT_VERIFICATION, Family.ENHANCED_DOCUMENT_VERIFICATION})
_EDV = frozenset({Family.ENHANCED_DOCUMENT_VERIFICATION})
_AUTH = frozenset({Family.SMART_SELFIE_AUTHENTICATION})

# The page's identities, with the products it lists each under and the message it shows (the V3
# mapping writes its own messages; these say what the page meant). Enhanced Document Verification
# lists only its two; it is a Document Verification with a look-up, so Document Verification's
# identities are its too (else nothing would clear there). The SmartSelfie products "reuse" seven,
# Lockhart for authentication only; the page gives Lockhart no given names, so any given names
# whose first word starts the email (``<given1>.lockhart@example.com``) match it.
IDENTITIES: tuple[Identity, ...] = (
    Identity(
        "Amina Fatou",
        "Clearwater",
        "clear",
        None,
        _EKYC | _BIOMETRIC | _DOCUMENTS | _SELFIE,
        "Verification successful",
    ),
    Identity(
        "Rashid Omar",
        "Dangerfield",
        "block",
        "high_risk",
        _EKYC | _BIOMETRIC | _SELFIE,
        "Verification failed",
    ),
    Identity(
        "Fatima Bello",
        "Ghostwell",
        "block",
        "identifier_not_found",
        _EKYC | _BIOMETRIC,
        "Verification failed: Unable to validate ID - Not Found",
    ),
    Identity(
        "Aisha Lawal",
        "Youngblood",
        "block",
        "age_requirement_not_met",
        _EKYC,
        "Verification failed: Customer must be above 18",
    ),
    Identity(
        "Ngozi Ifeoma",
        "Downsworth",
        "error",
        "service_unavailable",
        _EKYC | _BIOMETRIC,
        "Error: external service unavailable",
    ),
    Identity(
        "Obinna Chukwu",
        "Twinley",
        "block",
        "face_verification_failed",
        _BIOMETRIC | _SELFIE - {Family.SMART_SELFIE_REGISTRATION},
        "Verification failed",
    ),
    Identity(
        "Taiwo Adeyemi", "Masquero", "block", "spoof_detected", _BIOMETRIC | _SELFIE, "Verification failed"
    ),
    Identity(
        "Kofi Mensah",
        "Blurton",
        "error",
        "image_unavailable_or_invalid",
        _BIOMETRIC | _SELFIE,
        "Error: <image_type_list> image(s) are unusable",
    ),
    Identity(
        "Chidinma Obi",
        "Glitchford",
        "error",
        "internal_error",
        _BIOMETRIC | _SELFIE,
        "Error: verification could not be completed at this time",
    ),
    Identity("Ade Ogundimu", "Forgeman", "block", "document_check_failed", _DOCUMENTS, "Verification failed"),
    Identity(
        "Olumide Fashola", "Oddpaper", "block", "unsupported_document", _DOCUMENTS, "Verification failed"
    ),
    Identity(
        "Adaeze Nnamdi",
        "Xeroxley",
        "attention",
        "document_copy_detected",
        _DOCUMENTS,
        "Verification successful",
    ),
    Identity(
        "Tunde Bakare", "Oldfield", "attention", "document_expired", _DOCUMENTS, "Verification successful"
    ),
    Identity(
        "Segun Olawale",
        "Puzzleton",
        "error",
        "document_unclassifiable",
        _DOCUMENTS,
        "Error: document could not be classified",
    ),
    Identity(
        "Ifeanyi Okeke",
        "Missingley",
        "block",
        "identifier_not_found",
        _EDV,
        "Verification failed: ID number not found",
    ),
    Identity(
        "Wale Oladipo",
        "Badnumber",
        "error",
        "invalid_id_number",
        _EDV,
        "Verification failed: invalid id number",
    ),
    Identity(None, "Lockhart", "block", "account_locked", _AUTH, "Verification failed"),
)


def _normalised(value: Any) -> str:
    """A name or email as compared: trimmed, inner spaces collapsed, case-folded."""
    return " ".join(value.split()).casefold() if isinstance(value, str) else ""


def match_identity(user_details: Mapping[str, Any] | None) -> Identity | None:
    """The test identity ``user_details`` names (given_names + last_name + email, case-insensitive,
    trimmed), else None. An email is required: a phone number alone matches nobody."""
    if not user_details:
        return None
    given = _normalised(user_details.get("given_names"))
    last = _normalised(user_details.get("last_name"))
    email = _normalised(user_details.get("email"))
    if not (given and last and email):
        return None
    for identity in IDENTITIES:
        if last != identity.last_name.casefold():
            continue
        if identity.given_names is not None and given != _normalised(identity.given_names):
            continue
        if email == identity.email_for(given):
            return identity
    return None


# A V3 product's name (as the entry endpoints and token scopes spell it) -> its family.
_FAMILY_NAMES: dict[str, Family] = {
    **{family.value: family for family in Family},
    "registration": Family.SMART_SELFIE_REGISTRATION,
    "authentication": Family.SMART_SELFIE_AUTHENTICATION,
    "compare": Family.SMART_SELFIE_COMPARE,
    "residency_document_verification": Family.DOCUMENT_VERIFICATION,
}


def family_of(product: str | int) -> Family | None:
    """The family of a job type, or of a V3 product name; None for products without identities here."""
    if isinstance(product, int):
        return FAMILY_OF_JOB_TYPE.get(product)
    return _FAMILY_NAMES.get(product.strip().lower())


# At most 8 digits: result codes have 4, and int() refuses a string of thousands of digits.
_INTEGRAL = re.compile(r"^\d{1,8}(?:\.0{0,8})?$")


def sandbox_code(value: Any) -> int | None:
    """A ``sandbox_result`` as a result code number: ``840``, ``"840"``, ``"0840"`` and ``"840.0"``
    (the Python SDK sends ``str(float)``) are all 840; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value >= 0 and value.is_integer() else None
    if isinstance(value, str) and _INTEGRAL.match(value.strip()):
        return int(value.strip().split(".")[0])
    return None


def row_for_code(family: Family, value: Any) -> ResultEntry | None:
    """The row a ``sandbox_result`` forces for ``family``: of the family's job-result rows with that
    code, a machine's before a reviewer's, a current one before a deprecated one, the first in the
    table's order; None when the family has none (or ``value`` is no code)."""
    code = sandbox_code(value)
    if code is None:
        return None
    rows = [row for row in rows_of(family) if int(row.code) == code]
    if not rows:
        return None
    return min(rows, key=lambda row: (row.human_review, row.deprecated, rows.index(row)))


def known_sandbox_code(product: str | int, value: Any) -> bool:
    """Whether ``sandbox_result`` ``value`` names a result of ``product`` (a V3 product name or a job
    type): for the entry endpoints, which refuse a code the product cannot answer with."""
    family = family_of(product)
    return family is not None and row_for_code(family, value) is not None


_SSR = SmartSelfieRegistration
_SSA = SmartSelfieAuthentication
_SSC = SmartSelfieCompare
_BKYC = BiometricKyc
_DOCV = DocumentVerification

# What each rejecting row says happened (rows taking a reason: per reason, below). Every rejecting
# row of every family is here (tests check it), so a forced row's Actions tell its story.
_REJECTIONS: dict[ResultEntry, Scenario] = {
    # The ID look-up's failures (Enhanced KYC, Biometric KYC, Enhanced Document Verification).
    IdLookup.ID_NOT_FOUND: Scenario.ID_NOT_FOUND,
    IdLookup.INVALID_ID_NUMBER: Scenario.ID_INVALID,
    IdLookup.AUTHORITY_UNAVAILABLE: Scenario.AUTHORITY_UNAVAILABLE,
    IdLookup.RATE_LIMITED: Scenario.RATE_LIMITED,
    # openkyc's rows for a fraud report (every product's table).
    FraudReported.USER_FLAGGED: Scenario.RISK,
    FraudReported.FACE_MATCH: Scenario.RISK,
    # Authenticating a disabled user: the request's answer, recorded as the job's (nothing checked).
    SmartSelfieAuthentication.USER_DISABLED: Scenario.NOT_PROCESSED,
    # SmartSelfie Registration.
    _SSR.DATA_INVALID: Scenario.NOT_PROCESSED,
    _SSR.UNZIP_FAILED: Scenario.NOT_PROCESSED,
    _SSR.SYSTEM_ERROR: Scenario.NOT_PROCESSED,
    _SSR.MACHINE_FAIL_SPOOF: Scenario.SPOOF,
    _SSR.NO_FACE: Scenario.SELFIE_UNUSABLE,
    _SSR.POOR_QUALITY: Scenario.SELFIE_UNUSABLE,
    _SSR.HUMAN_FAIL_UNUSABLE: Scenario.SELFIE_UNUSABLE,
    _SSR.HUMAN_FAIL_SPOOF: Scenario.SPOOF,
    # SmartSelfie Authentication.
    _SSA.DATA_INVALID: Scenario.NOT_PROCESSED,
    _SSA.UNZIP_FAILED: Scenario.NOT_PROCESSED,
    _SSA.SYSTEM_ERROR: Scenario.NOT_PROCESSED,
    _SSA.MACHINE_FAIL_COMPARISON: Scenario.FACE_MISMATCH,
    _SSA.MACHINE_FAIL_SPOOF: Scenario.SPOOF,
    _SSA.NO_FACE: Scenario.SELFIE_UNUSABLE,
    _SSA.POOR_QUALITY: Scenario.SELFIE_UNUSABLE,
    _SSA.HUMAN_FAIL_COMPARE: Scenario.FACE_MISMATCH,
    _SSA.HUMAN_FAIL_SPOOF: Scenario.SPOOF,
    # SmartSelfie Compare.
    _SSC.DATA_INVALID: Scenario.NOT_PROCESSED,
    _SSC.SYSTEM_ERROR: Scenario.NOT_PROCESSED,
    _SSC.NO_FACE_MATCH: Scenario.FACE_MISMATCH,
    _SSC.IDENTICAL_IMAGES: Scenario.SPOOF,  # the same photo twice: a replay, not a capture
    _SSC.NO_FACE_IN_SELFIE: Scenario.SELFIE_UNUSABLE,
    # Biometric KYC.
    _BKYC.DATA_INVALID: Scenario.NOT_PROCESSED,
    _BKYC.IMAGES_CORRUPT: Scenario.SELFIE_UNUSABLE,
    _BKYC.UNZIP_FAILED: Scenario.NOT_PROCESSED,
    _BKYC.SYSTEM_ERROR: Scenario.NOT_PROCESSED,
    _BKYC.NO_AUTHORITY_PHOTO: Scenario.NOT_PROCESSED,
    _BKYC.MACHINE_FAIL: Scenario.FACE_MISMATCH,
    _BKYC.NO_FACE: Scenario.SELFIE_UNUSABLE,
    _BKYC.POOR_QUALITY: Scenario.SELFIE_UNUSABLE,
    _BKYC.HUMAN_FAIL_COMPARE: Scenario.FACE_MISMATCH,
    _BKYC.HUMAN_FAIL_SPOOF: Scenario.SPOOF,
    # Document Verification (and Enhanced Document Verification, which shares its rows).
    _DOCV.DATA_INVALID: Scenario.NOT_PROCESSED,
    _DOCV.IMAGES_CORRUPT: Scenario.NOT_PROCESSED,
    _DOCV.ID_CARD_NOT_PROVIDED: Scenario.DOCUMENT_UNUSABLE,
    _DOCV.SELFIE_UNUSABLE: Scenario.SELFIE_UNUSABLE,
    _DOCV.ID_CARD_UNUSABLE: Scenario.DOCUMENT_UNUSABLE,
    _DOCV.SYSTEM_ERROR: Scenario.NOT_PROCESSED,
    _DOCV.ZIP_CORRUPT: Scenario.NOT_PROCESSED,
    _DOCV.UNSUPPORTED_DOCUMENT: Scenario.DOCUMENT_UNUSABLE,
    _DOCV.UNSUPPORTED_ID_TYPE: Scenario.DOCUMENT_UNUSABLE,
    _DOCV.REVIEW_CROPPED: Scenario.DOCUMENT_UNUSABLE,
    _DOCV.REVIEW_NOT_A_DOCUMENT: Scenario.DOCUMENT_UNUSABLE,
    _DOCV.REVIEW_POTENTIAL_FRAUD: Scenario.DOCUMENT_INVALID,
    _DOCV.REVIEW_UNREADABLE: Scenario.DOCUMENT_UNUSABLE,
    _DOCV.REVIEW_UNSUPPORTED: Scenario.DOCUMENT_UNUSABLE,
    _DOCV.REVIEW_WRONG_TYPE: Scenario.DOCUMENT_INVALID,
}

# 0811's reasons (Document Verification's, and Enhanced Document Verification's one more).
_DOCUMENT_REJECTIONS: dict[str, Scenario] = {
    DocvRejection.SELFIE_MISMATCH: Scenario.FACE_MISMATCH,
    DocvRejection.LIVENESS: Scenario.SPOOF,
    DocvRejection.SECURITY_FEATURES: Scenario.DOCUMENT_INVALID,
    DocvRejection.INCONSISTENT: Scenario.DOCUMENT_INVALID,
    DocvRejection.WRONG_DOCUMENT_TYPE: Scenario.DOCUMENT_INVALID,
    DocvRejection.UNDER_18: Scenario.DOCUMENT_INVALID,
    EdvRejection.AUTHORITY_MISMATCH: Scenario.DOCUMENT_INVALID,
    # 0812's.
    DocvUnverified.NOT_CLASSIFIED: Scenario.DOCUMENT_UNUSABLE,
    DocvUnverified.INVALID_DOCUMENT_IMAGE: Scenario.DOCUMENT_UNUSABLE,
}

# The provisional rows that wait on a reviewer for a possible spoof (the others wait on a comparison
# or on the document).
_SPOOF_REVIEWS = frozenset({_SSR.PROVISIONAL_SPOOF, _SSR.PENDING_SPOOF, _SSA.PROVISIONAL_SPOOF})


def scenario_of(entry: ResultEntry, reason_text: str | None = None) -> Scenario:
    """What ``entry`` (with ``reason_text`` for a row taking one) says happened."""
    if entry.outcome is Outcome.APPROVED:
        return Scenario.PASSED
    if entry.outcome is Outcome.APPROVED_WITH_ATTENTION:
        return Scenario.ATTENTION
    if entry.outcome is Outcome.PROVISIONAL:
        return Scenario.SUSPECTED_SPOOF if entry in _SPOOF_REVIEWS else Scenario.UNDER_REVIEW
    if entry.takes_reason:
        if reason_text is None:
            raise ValueError(f"{entry.code} {entry.text!r} needs a reason")
        return _DOCUMENT_REJECTIONS[reason_text]
    if entry in _REJECTIONS:
        return _REJECTIONS[entry]
    raise ValueError(f"{entry.code} {entry.text!r} has no sandbox scenario")


# The checks each product makes, as its Actions report them when all pass (compare keys: the
# comparison was made; the row says what it found, as the products' own results do).
_PASSED: dict[Product, dict[Action, ActionValue]] = {
    Product.SMART_SELFIE_REGISTRATION: {
        Action.LIVENESS_CHECK: ActionValue.PASSED,
        Action.SELFIE_CHECK: ActionValue.PASSED,
        Action.REGISTER_SELFIE: ActionValue.APPROVED,
        Action.SELFIE_PROVIDED: ActionValue.PASSED,
    },
    Product.SMART_SELFIE_AUTHENTICATION: {
        Action.LIVENESS_CHECK: ActionValue.PASSED,
        Action.SELFIE_CHECK: ActionValue.PASSED,
        Action.SELFIE_PROVIDED: ActionValue.PASSED,
        Action.SELFIE_TO_REGISTERED_SELFIE_COMPARE: ActionValue.COMPLETED,
    },
    Product.SMART_SELFIE_COMPARE: {
        Action.LIVENESS_CHECK: ActionValue.PASSED,
        Action.SELFIE_CHECK: ActionValue.PASSED,
        Action.REGISTER_SELFIE: ActionValue.APPROVED,
        Action.SELFIE_PROVIDED: ActionValue.PASSED,
    },
    Product.BIOMETRIC_KYC: {
        Action.LIVENESS_CHECK: ActionValue.PASSED,
        Action.REGISTER_SELFIE: ActionValue.APPROVED,
        Action.SELFIE_PROVIDED: ActionValue.PASSED,
        Action.VERIFY_ID_NUMBER: ActionValue.VERIFIED,
        Action.RETURN_PERSONAL_INFO: ActionValue.RETURNED,
        Action.SELFIE_TO_ID_AUTHORITY_COMPARE: ActionValue.COMPLETED,
    },
    Product.DOCUMENT_VERIFICATION: {
        Action.DOCUMENT_CHECK: ActionValue.PASSED,
        Action.LIVENESS_CHECK: ActionValue.PASSED,
        Action.REGISTER_SELFIE: ActionValue.APPROVED,
        Action.RETURN_PERSONAL_INFO: ActionValue.RETURNED,
        Action.SELFIE_TO_ID_CARD_COMPARE: ActionValue.COMPLETED,
        Action.VERIFY_DOCUMENT: ActionValue.PASSED,
    },
    Product.ENHANCED_DOCUMENT_VERIFICATION: {
        Action.DOCUMENT_CHECK: ActionValue.PASSED,
        Action.LIVENESS_CHECK: ActionValue.PASSED,
        Action.REGISTER_SELFIE: ActionValue.APPROVED,
        Action.RETURN_PERSONAL_INFO: ActionValue.RETURNED,
        Action.SELFIE_TO_ID_CARD_COMPARE: ActionValue.COMPLETED,
        Action.VERIFY_DOCUMENT: ActionValue.PASSED,
        Action.VERIFY_ID_NUMBER: ActionValue.VERIFIED,
    },
}

_COMPARISONS = (
    Action.SELFIE_TO_REGISTERED_SELFIE_COMPARE,
    Action.SELFIE_TO_ID_AUTHORITY_COMPARE,
    Action.SELFIE_TO_ID_CARD_COMPARE,
)
_LIVENESS = (Action.LIVENESS_CHECK, Action.SELFIE_CHECK)
_LOOKUP_VALUES = {
    Scenario.ID_NOT_FOUND: ActionValue.NOT_VERIFIED,
    Scenario.ID_INVALID: ActionValue.NOT_VERIFIED,
    Scenario.AUTHORITY_UNAVAILABLE: ActionValue.ISSUER_UNAVAILABLE,
    Scenario.RATE_LIMITED: ActionValue.NOT_DONE,
}
# Checks a job may not have made at all, whatever its row (no liveness frames sent, the enrolled
# selfie used): where the engine's own result reports them "Not Applicable", so does the forced one.
_OPTIONAL_CHECKS = (Action.LIVENESS_CHECK, Action.SELFIE_CHECK, Action.REGISTER_SELFIE)
_PASSING = frozenset({ActionValue.PASSED, ActionValue.APPROVED})


def forced_actions(
    product: Product,
    entry: ResultEntry,
    scenario: Scenario,
    *,
    engine: Mapping[str, str] | None = None,
) -> dict[Action, ActionValue]:
    """The Actions of ``product``'s ``entry`` when ``scenario`` happened: every check passed but
    the one that failed (or waits for a reviewer).

    ``engine``: the Actions of the engine's own result for the job, which says what the job did not
    check (see _OPTIONAL_CHECKS): such a check is "Not Applicable" rather than passed."""
    values = dict(_PASSED[product])
    if scenario is Scenario.NOT_PROCESSED:
        values = {}
    elif scenario in _LOOKUP_VALUES:
        lookup = {
            Action.VERIFY_ID_NUMBER: _LOOKUP_VALUES[scenario],
            Action.RETURN_PERSONAL_INFO: ActionValue.NOT_RETURNED,
        }
        # Enhanced Document Verification looks up after the document was checked; Biometric KYC
        # first, and checks nothing else when the look-up fails.
        values = (
            {**values, **lookup, Action.REGISTER_SELFIE: ActionValue.REJECTED}
            if product is (Product.ENHANCED_DOCUMENT_VERIFICATION)
            else lookup
        )
    elif scenario is Scenario.UNDER_REVIEW:
        values[Action.REGISTER_SELFIE] = ActionValue.PROVISIONALLY_APPROVED
        values.update({key: ActionValue.UNDER_REVIEW for key in _COMPARISONS if key in values})
        values[Action.HUMAN_REVIEW_COMPARE] = ActionValue.UNDER_REVIEW
    elif scenario is Scenario.SUSPECTED_SPOOF:
        values[Action.REGISTER_SELFIE] = ActionValue.PROVISIONALLY_APPROVED
        values.update({key: ActionValue.UNDER_REVIEW for key in _LIVENESS if key in values})
        values[Action.HUMAN_REVIEW_LIVENESS_CHECK] = ActionValue.UNDER_REVIEW
        values[Action.HUMAN_REVIEW_SELFIE_CHECK] = ActionValue.UNDER_REVIEW
    elif scenario is Scenario.SELFIE_UNUSABLE:
        for key in (*_LIVENESS, *_COMPARISONS):
            values.pop(key, None)
        values[Action.SELFIE_PROVIDED] = ActionValue.FAILED
        values[Action.REGISTER_SELFIE] = ActionValue.REJECTED
    elif scenario is Scenario.SPOOF:
        values.update({key: ActionValue.FAILED for key in _LIVENESS if key in values})
        values[Action.REGISTER_SELFIE] = ActionValue.REJECTED
    elif scenario is Scenario.FACE_MISMATCH:
        values[Action.REGISTER_SELFIE] = ActionValue.REJECTED
    elif scenario is Scenario.DOCUMENT_UNUSABLE:
        values.pop(Action.SELFIE_TO_ID_CARD_COMPARE, None)
        values[Action.DOCUMENT_CHECK] = ActionValue.FAILED
        values[Action.VERIFY_DOCUMENT] = ActionValue.FAILED
        values[Action.RETURN_PERSONAL_INFO] = ActionValue.NOT_RETURNED
        values[Action.REGISTER_SELFIE] = ActionValue.REJECTED
    elif scenario is Scenario.DOCUMENT_INVALID:
        values[Action.VERIFY_DOCUMENT] = ActionValue.FAILED
        values[Action.REGISTER_SELFIE] = ActionValue.REJECTED
    elif scenario is Scenario.RISK:
        values[Action.REGISTER_SELFIE] = ActionValue.REJECTED
    if entry.human_review:
        values.update(_human_actions(product, scenario))
    if values and engine is not None:
        for key in _OPTIONAL_CHECKS:
            # A check the job did not make did not pass either; the failure a verdict names stays.
            if engine.get(key.value) == ActionValue.NOT_APPLICABLE.value and values.get(key) in _PASSING:
                values[key] = ActionValue.NOT_APPLICABLE
    keys = set(ACTION_KEYS[product])
    return {key: value for key, value in values.items() if key in keys}


def _human_actions(product: Product, scenario: Scenario) -> dict[Action, ActionValue]:
    """What a reviewer's row adds: the review that decided it, and its verdict."""
    passed = ActionValue.PASSED if scenario in (Scenario.PASSED, Scenario.ATTENTION) else ActionValue.FAILED
    if scenario is Scenario.SPOOF or (
        product is Product.SMART_SELFIE_REGISTRATION and passed is ActionValue.PASSED
    ):
        return {Action.HUMAN_REVIEW_LIVENESS_CHECK: passed, Action.HUMAN_REVIEW_SELFIE_CHECK: passed}
    if scenario is Scenario.SELFIE_UNUSABLE:
        return {Action.HUMAN_REVIEW_SELFIE_CHECK: passed}
    if scenario in (Scenario.DOCUMENT_INVALID, Scenario.DOCUMENT_UNUSABLE):
        return {Action.HUMAN_REVIEW_DOCUMENT_CHECK: passed}
    return {Action.HUMAN_REVIEW_COMPARE: passed}


# Reason codes for the V3 reasons no v1 row names (openkyc.jobs.v3_results.Signal reads them).
HIGH_RISK_SIGNAL = "risk.high"
ACCOUNT_LOCKED_SIGNAL = "account.locked"
UNDER_AGE_SIGNAL = "age.under_minimum"


@dataclass(frozen=True)
class Verdict:
    """The v1 row a V3 sandbox job answers with, and why."""

    family: Family
    entry: ResultEntry
    # For a row taking a reason (0811, 0812): the reason it is given.
    reason_text: str | None
    # ``sandbox.v3_identity.<last name>`` / ``.unrecognised``, or ``sandbox.v3_sandbox_result.<code>``.
    evidence_reason: str
    # Reason codes for V3 reasons no v1 row names (HIGH_RISK_SIGNAL, ...).
    signals: tuple[str, ...] = ()
    # The identity matched (None: forced by sandbox_result, or no identity of this product).
    identity: Identity | None = None
    # What happened, where the row alone does not say (else the row's own scenario).
    told: Scenario | None = None

    @property
    def scenario(self) -> Scenario:
        return self.told or scenario_of(self.entry, self.reason_text)

    @property
    def reasons(self) -> list[str]:
        """The forced result's reasons: only these, never the engine's (they are its evidence)."""
        return [self.evidence_reason, *self.signals]

    @property
    def lookup_failure(self) -> LookupFailure | None:
        """What the ID look-up answers instead of a record, if this row says it failed."""
        scenario = self.scenario
        if scenario is Scenario.ID_NOT_FOUND:
            return RecordNotFound("ID number not found (V3 sandbox identity)")
        if scenario is Scenario.ID_INVALID:
            return InvalidIdNumber("Invalid ID number (V3 sandbox identity)")
        if scenario is Scenario.AUTHORITY_UNAVAILABLE:
            return AuthorityUnavailable("ID authority unavailable (V3 sandbox identity)")
        return None


@dataclass(frozen=True)
class _Row:
    entry: ResultEntry
    reason_text: str | None
    signals: tuple[str, ...]
    # Where the row alone does not say which check failed (Biometric KYC's 0811, compare's 0841).
    scenario: Scenario | None


def _row(
    entry: ResultEntry, reason_text: str | None = None, *signals: str, scenario: Scenario | None = None
) -> _Row:
    return _Row(entry, reason_text, signals, scenario)


_ALL_CLEAR: dict[Family, _Row] = {
    Family.ENHANCED_KYC: _row(IdLookup.VALIDATED),
    Family.BIOMETRIC_KYC: _row(_BKYC.MACHINE_PASS),
    Family.DOCUMENT_VERIFICATION: _row(_DOCV.VERIFIED),
    Family.ENHANCED_DOCUMENT_VERIFICATION: _row(_DOCV.VERIFIED),
    Family.SMART_SELFIE_REGISTRATION: _row(_SSR.MACHINE_PASS),
    Family.SMART_SELFIE_AUTHENTICATION: _row(_SSA.MACHINE_PASS),
    Family.SMART_SELFIE_COMPARE: _row(_SSC.FACE_MATCH),
}
# A high risk is a rejection of the person whatever the checks found: openkyc's row for a user
# flagged for fraud (every product's table has it), with the signal; Enhanced KYC's look-up finds
# the record (1012) and the signal says the rest.
_HIGH_RISK: dict[Family, _Row] = {
    family: _row(FraudReported.USER_FLAGGED, None, HIGH_RISK_SIGNAL) for family in Family
} | {Family.ENHANCED_KYC: _row(IdLookup.VALIDATED, None, HIGH_RISK_SIGNAL)}

# The v1 row each documented outcome is, per family (the V3 reason; None: clear).
IDENTITY_ROWS: dict[str | None, dict[Family, _Row]] = {
    None: _ALL_CLEAR,
    "high_risk": _HIGH_RISK,
    "identifier_not_found": {
        Family.ENHANCED_KYC: _row(IdLookup.ID_NOT_FOUND),
        Family.BIOMETRIC_KYC: _row(IdLookup.ID_NOT_FOUND),
        Family.ENHANCED_DOCUMENT_VERIFICATION: _row(IdLookup.ID_NOT_FOUND),
    },
    # The look-up finds a record of someone under 18 (its date of birth says so): Enhanced KYC
    # checks no age, so the signal says it.
    "age_requirement_not_met": {Family.ENHANCED_KYC: _row(IdLookup.VALIDATED, None, UNDER_AGE_SIGNAL)},
    "service_unavailable": {
        Family.ENHANCED_KYC: _row(IdLookup.AUTHORITY_UNAVAILABLE),
        Family.BIOMETRIC_KYC: _row(IdLookup.AUTHORITY_UNAVAILABLE),
    },
    "face_verification_failed": {
        Family.BIOMETRIC_KYC: _row(_BKYC.MACHINE_FAIL),
        Family.SMART_SELFIE_AUTHENTICATION: _row(_SSA.MACHINE_FAIL_COMPARISON),
        Family.SMART_SELFIE_COMPARE: _row(_SSC.NO_FACE_MATCH),
    },
    "spoof_detected": {
        # Biometric KYC's machine rejection with the liveness check failed (Actions say so).
        Family.BIOMETRIC_KYC: _row(_BKYC.MACHINE_FAIL, None, scenario=Scenario.SPOOF),
        Family.SMART_SELFIE_REGISTRATION: _row(_SSR.MACHINE_FAIL_SPOOF),
        # 0823 is the table's machine rejection of a spoof (deprecated: the engine sends a
        # possible spoof to a reviewer as 0824; a sandbox answer has no reviewer to wait for).
        Family.SMART_SELFIE_AUTHENTICATION: _row(_SSA.MACHINE_FAIL_SPOOF),
        # Compare has no spoof row: 0841 with the liveness check failed, as compare decides it.
        Family.SMART_SELFIE_COMPARE: _row(_SSC.NO_FACE_MATCH, None, scenario=Scenario.SPOOF),
    },
    "image_unavailable_or_invalid": {
        Family.BIOMETRIC_KYC: _row(_BKYC.POOR_QUALITY),
        Family.SMART_SELFIE_REGISTRATION: _row(_SSR.POOR_QUALITY),
        Family.SMART_SELFIE_AUTHENTICATION: _row(_SSA.POOR_QUALITY),
        Family.SMART_SELFIE_COMPARE: _row(_SSC.NO_FACE_IN_SELFIE),
    },
    "internal_error": {
        Family.BIOMETRIC_KYC: _row(_BKYC.SYSTEM_ERROR),
        Family.SMART_SELFIE_REGISTRATION: _row(_SSR.SYSTEM_ERROR),
        Family.SMART_SELFIE_AUTHENTICATION: _row(_SSA.SYSTEM_ERROR),
        Family.SMART_SELFIE_COMPARE: _row(_SSC.SYSTEM_ERROR),
    },
    "document_check_failed": {
        Family.DOCUMENT_VERIFICATION: _row(_DOCV.REJECTED, DocvRejection.SECURITY_FEATURES),
        Family.ENHANCED_DOCUMENT_VERIFICATION: _row(
            EnhancedDocumentVerification.REJECTED, DocvRejection.SECURITY_FEATURES
        ),
    },
    "unsupported_document": {
        Family.DOCUMENT_VERIFICATION: _row(_DOCV.UNSUPPORTED_DOCUMENT),
        Family.ENHANCED_DOCUMENT_VERIFICATION: _row(_DOCV.UNSUPPORTED_DOCUMENT),
    },
    "document_copy_detected": {
        Family.DOCUMENT_VERIFICATION: _row(_DOCV.PHOTOCOPIED),
        Family.ENHANCED_DOCUMENT_VERIFICATION: _row(_DOCV.PHOTOCOPIED),
    },
    "document_expired": {
        Family.DOCUMENT_VERIFICATION: _row(_DOCV.EXPIRED),
        Family.ENHANCED_DOCUMENT_VERIFICATION: _row(_DOCV.EXPIRED),
    },
    "document_unclassifiable": {
        Family.DOCUMENT_VERIFICATION: _row(_DOCV.UNVERIFIED, DocvUnverified.NOT_CLASSIFIED),
        Family.ENHANCED_DOCUMENT_VERIFICATION: _row(_DOCV.UNVERIFIED, DocvUnverified.NOT_CLASSIFIED),
    },
    "invalid_id_number": {Family.ENHANCED_DOCUMENT_VERIFICATION: _row(IdLookup.INVALID_ID_NUMBER)},
    # V1 answers authenticating a disabled user with 2207 (a request's answer, recorded as the
    # job's result: the job checked nothing).
    "account_locked": {
        Family.SMART_SELFIE_AUTHENTICATION: _row(_SSA.USER_DISABLED, None, ACCOUNT_LOCKED_SIGNAL)
    },
}

# What an unrecognised identity (or one the page lists for other products) answers: ``block``,
# as the SDKs' READMEs say. The look-ups find no record of a person the sandbox does not know
# (identifier_not_found); the other products find that the selfie is not of anyone it knows
# (face_verification_failed: the selfie does not match the document, the registered face, the
# comparison image). A registration compares no faces: its one machine rejection, 0841.
UNRECOGNISED: dict[Family, _Row] = {
    Family.ENHANCED_KYC: _row(IdLookup.ID_NOT_FOUND),
    Family.BIOMETRIC_KYC: _row(IdLookup.ID_NOT_FOUND),
    Family.ENHANCED_DOCUMENT_VERIFICATION: _row(IdLookup.ID_NOT_FOUND),
    Family.DOCUMENT_VERIFICATION: _row(_DOCV.REJECTED, DocvRejection.SELFIE_MISMATCH),
    Family.SMART_SELFIE_AUTHENTICATION: _row(_SSA.MACHINE_FAIL_COMPARISON),
    Family.SMART_SELFIE_COMPARE: _row(_SSC.NO_FACE_MATCH),
    Family.SMART_SELFIE_REGISTRATION: _row(_SSR.MACHINE_FAIL_SPOOF),
}
UNRECOGNISED_KEY = "unrecognised"


def resolve(
    job_type: int, user_details: Mapping[str, Any] | None, sandbox_result: Any = None
) -> Verdict | None:
    """The row a V3 sandbox job of ``job_type`` answers with; None for a job type without sandbox
    identities here (AML, address: their own sandboxes).

    A ``sandbox_result`` the product has a row for wins; else the identity ``user_details`` names,
    when the page lists it for the product; else ``block`` (:data:`UNRECOGNISED`)."""
    family = FAMILY_OF_JOB_TYPE.get(job_type)
    if family is None:
        return None
    forced = row_for_code(family, sandbox_result)
    if forced is not None:
        reason_text = forced.reasons[0] if forced.takes_reason else None
        return Verdict(family, forced, reason_text, f"{SANDBOX_RESULT_REASON}.{forced.code}")
    identity = match_identity(user_details)
    if identity is not None and family in identity.families:
        row = IDENTITY_ROWS[identity.reason][family]
        key = identity.key
    else:
        row, key, identity = UNRECOGNISED[family], UNRECOGNISED_KEY, None
    return Verdict(
        family, row.entry, row.reason_text, f"{IDENTITY_REASON}.{key}", row.signals, identity, row.scenario
    )


# The products whose approval registers the selfie as the user's face (authentication never does).
ENROLLING = frozenset(
    {
        Product.SMART_SELFIE_REGISTRATION,
        Product.SMART_SELFIE_COMPARE,
        Product.BIOMETRIC_KYC,
        Product.DOCUMENT_VERIFICATION,
        Product.ENHANCED_DOCUMENT_VERIFICATION,
    }
)
_PERSONAL_FIELDS = frozenset(IdField) - {IdField.COUNTRY, IdField.ID_TYPE, IdField.ID_NUMBER}


def forced_result(verdict: Verdict, engine: ProductResult) -> ProductResult:
    """The job's result: ``verdict``'s row, with Actions that tell its story, in place of the
    engine's decision ``engine``, which stays as the evidence (``evidence["sandbox"]`` names both).

    The selfie is registered when the row approves and the product registers (and the engine's
    result did not say the job registers nothing, e.g. the enrolled selfie reused); the caller adds
    the embedding (:meth:`ProductResult.with_enrolment`)."""
    product = PRODUCT_OF_FAMILY[verdict.family]
    if product is None or product is not engine.product:
        raise ValueError(f"a {verdict.family.value} verdict cannot replace a {engine.product.value} result")
    scenario = verdict.scenario
    actions = forced_actions(product, verdict.entry, scenario, engine=engine.actions)
    id_fields = dict(engine.id_fields)
    if scenario in _LOOKUP_VALUES:
        id_fields = {
            key: NOT_AVAILABLE if IdField(key) in _PERSONAL_FIELDS else value
            for key, value in id_fields.items()
        }
    registers = engine.actions.get(Action.REGISTER_SELFIE.value) != ActionValue.NOT_APPLICABLE.value
    if verdict.entry.outcome is None:
        # A request's answer recorded as the job's (2207): a final rejection, nothing checked.
        result = ProductResult(
            product=product,
            result_code=verdict.entry.code,
            result_text=verdict.entry.text,
            result_type=RESULT_TYPES[product],
            actions=make_actions(product, actions),
            outcome=Outcome.REJECTED,
            is_final=True,
            is_machine_result=True,
            id_fields=id_fields,
            reasons=verdict.reasons,
        )
    else:
        result = build_result(
            product,
            verdict.entry,
            actions=actions,
            reasons=verdict.reasons,
            reason_text=verdict.reason_text,
            id_fields=id_fields,
            enrols_selfie=product in ENROLLING and registers,
        )
    return result.with_evidence({**engine.evidence, "sandbox": sandbox_record(verdict, engine)})


def sandbox_record(verdict: Verdict, engine: ProductResult | None = None) -> dict[str, Any]:
    """What the evidence keeps of a forced result: why, and what the engine itself decided."""
    record: dict[str, Any] = {
        "reason": verdict.evidence_reason,
        "forced": {"result_code": verdict.entry.code, "scenario": verdict.scenario.value},
    }
    if verdict.identity is not None:
        record["identity"] = verdict.identity.last_name
        record["documented"] = {"status": verdict.identity.status, "reason": verdict.identity.reason}
    if engine is not None:
        record["engine"] = {
            "result_code": engine.result_code,
            "result_text": engine.result_text,
            "reasons": list(engine.reasons),
        }
    return record


# A sandbox record's date of birth: an adult's, or (UNDER_AGE_SIGNAL) someone 17 years old today.
ADULT_DOB = "1990-01-01"
MINOR_AGE_YEARS = 17


def identity_record(
    verdict: Verdict, user_details: Mapping[str, Any] | None, *, today: date
) -> AuthorityRecord:
    """The ID authority's record of the person a V3 sandbox job names, for a look-up that finds
    one: the names the request gave (the sandbox has no other source), and a date of birth that
    agrees with the verdict. Nothing else is made up: the other fields are not available."""
    details = user_details or {}
    given = " ".join(str(details.get("given_names") or "").split())
    last = " ".join(str(details.get("last_name") or "").split())
    first, _, middle = given.partition(" ")
    if UNDER_AGE_SIGNAL in verdict.signals:
        try:
            born = today.replace(year=today.year - MINOR_AGE_YEARS)
        except ValueError:  # 29 February
            born = today.replace(year=today.year - MINOR_AGE_YEARS, day=28)
        dob = born.isoformat()
    else:
        dob = ADULT_DOB
    return AuthorityRecord(
        full_name=" ".join(part for part in (given, last) if part) or None,
        first_name=first or None,
        middle_name=middle or None,
        last_name=last or None,
        dob=dob,
    )


def table_markdown() -> str:
    """The identities, each product they answer for and the v1 row they force, and what an
    unrecognised person gets, as Markdown tables (``docs/v3.md`` holds this very text)."""
    lines = [
        "| Last name | Given names | Email | Product | v1 result | V3 status | V3 reason | The page's message |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for identity in IDENTITIES:
        given = identity.given_names or "any"
        email = identity.email_for(identity.given_names or "<given1>")
        for family in sorted(identity.families, key=list(Family).index):
            row = IDENTITY_ROWS[identity.reason][family]
            lines.append(
                f"| {identity.last_name} | {given} | `{email}` | {family.value} | {_row_cell(row)} | "
                f"`{identity.status}` | {f'`{identity.reason}`' if identity.reason else 'null'} | "
                f"{identity.message} |"
            )
    lines += ["", "| Product | An unrecognised person's v1 result |", "|---|---|"]
    for family in Family:
        lines.append(f"| {family.value} | {_row_cell(UNRECOGNISED[family])} |")
    return "\n".join(lines) + "\n"


def _row_cell(row: _Row) -> str:
    text = row.entry.text_with(row.reason_text) if row.entry.takes_reason else row.entry.text
    cell = f"`{row.entry.code}` {text}"
    if row.signals:
        cell += " + " + ", ".join(f"`{signal}`" for signal in row.signals)
    if row.scenario is not None:
        cell += f" ({row.scenario.value.replace('_', ' ')})"
    return cell.replace("|", "\\|")
