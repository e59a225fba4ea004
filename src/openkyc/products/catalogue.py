"""The products decided here, and what each answers with: its job type and ResultType, the rows of
its result-code table (:data:`CATALOGUE`), and the keys of its Actions.

The result-code tables themselves live in :mod:`openkyc.products.codes`, one module per product;
this module only says which rows each product answers with, and finds a row by code and text.
"""

from __future__ import annotations

from enum import StrEnum

from openkyc.job_types import JobType
from openkyc.products.codes.biometric_kyc import BiometricKyc
from openkyc.products.codes.document_verification import DocumentVerification
from openkyc.products.codes.enhanced_document_verification import EnhancedDocumentVerification
from openkyc.products.codes.fraud import FraudReported
from openkyc.products.codes.rows import ResultEntry
from openkyc.products.codes.smart_selfie_authentication import SmartSelfieAuthentication
from openkyc.products.codes.smart_selfie_compare import SmartSelfieCompare
from openkyc.products.codes.smart_selfie_registration import SmartSelfieRegistration


class Product(StrEnum):
    """The products decided here; values are the v2 ``job_type`` strings (compatibility §3.1)."""

    SMART_SELFIE_AUTHENTICATION = "smart_selfie_authentication"
    SMART_SELFIE_REGISTRATION = "smart_selfie_enrollment"
    SMART_SELFIE_COMPARE = "smart_selfie_compare"
    DOCUMENT_VERIFICATION = "document_verification"
    # v1-only products: their names follow the Web SDK token's product values (compatibility §3.3).
    BIOMETRIC_KYC = "biometric_kyc"
    ENHANCED_DOCUMENT_VERIFICATION = "enhanced_document_verification"


# partner_params.job_type of each product (compare: the documentation's example sends "3").
JOB_TYPES: dict[Product, JobType] = {
    Product.SMART_SELFIE_AUTHENTICATION: JobType.SMART_SELFIE_AUTHENTICATION,
    Product.SMART_SELFIE_COMPARE: JobType.SMART_SELFIE_COMPARE,
    Product.SMART_SELFIE_REGISTRATION: JobType.SMART_SELFIE_REGISTRATION,
    Product.DOCUMENT_VERIFICATION: JobType.DOCUMENT_VERIFICATION,
    Product.BIOMETRIC_KYC: JobType.BIOMETRIC_KYC,
    Product.ENHANCED_DOCUMENT_VERIFICATION: JobType.ENHANCED_DOCUMENT_VERIFICATION,
}

# ResultType of each product's result object. The Java SDK decodes results by it (compatibility
# §4.3); "SAIA" is what the SDK README shows for a SmartSelfie enrolment, and the SmartSelfie
# products share one result shape.
RESULT_TYPES: dict[Product, str] = {
    Product.SMART_SELFIE_AUTHENTICATION: "SAIA",
    Product.SMART_SELFIE_REGISTRATION: "SAIA",
    Product.SMART_SELFIE_COMPARE: "SAIA",
    Product.DOCUMENT_VERIFICATION: "Document Verification",
    # The only job_type 1 result the sources show (the job_status history sample of the Python
    # SDK's fixtures, 1210 "Enroll User") is a "DIVA"; Enhanced Document Verification is a
    # Document Verification with one more check.
    Product.BIOMETRIC_KYC: "DIVA",
    Product.ENHANCED_DOCUMENT_VERIFICATION: "Document Verification",
}

# What Smile ID's documentation answers for a field that could not be read ("PhoneNumber2": "Not Available").
NOT_AVAILABLE = "Not Available"


def _rows(namespace: type) -> tuple[ResultEntry, ...]:
    return tuple(value for value in vars(namespace).values() if isinstance(value, ResultEntry))


# Every product also answers with openkyc's fraud rows (a job blocked by a fraud report).
_FRAUD = _rows(FraudReported)

CATALOGUE: dict[Product, tuple[ResultEntry, ...]] = {
    Product.SMART_SELFIE_AUTHENTICATION: (*_rows(SmartSelfieAuthentication), *_FRAUD),
    Product.SMART_SELFIE_REGISTRATION: (*_rows(SmartSelfieRegistration), *_FRAUD),
    Product.SMART_SELFIE_COMPARE: (*_rows(SmartSelfieCompare), *_FRAUD),
    Product.DOCUMENT_VERIFICATION: (*_rows(DocumentVerification), *_FRAUD),
    Product.BIOMETRIC_KYC: (*_rows(BiometricKyc), *_FRAUD),
    # Document Verification's rows, its 0811 replaced by the one with the authority's reason.
    Product.ENHANCED_DOCUMENT_VERIFICATION: (
        *(row for row in _rows(DocumentVerification) if row is not DocumentVerification.REJECTED),
        *_rows(EnhancedDocumentVerification),
        *_FRAUD,
    ),
}


def find_entry(product: Product, code: str, text: str) -> ResultEntry:
    """The row of ``product`` that answers ``code`` with ``text`` (a reason filled in or not)."""
    for entry in CATALOGUE[product]:
        if entry.code == code and (text == entry.text or text in entry.texts()):
            return entry
    raise KeyError(f"{product.value}: no result {code} {text!r} in the catalogue")


class Action(StrEnum):
    """Keys of the ``Actions`` object (compatibility §4.3)."""

    DOCUMENT_CHECK = "Document_Check"
    HUMAN_REVIEW_COMPARE = "Human_Review_Compare"
    HUMAN_REVIEW_DOCUMENT_CHECK = "Human_Review_Document_Check"
    HUMAN_REVIEW_LIVENESS_CHECK = "Human_Review_Liveness_Check"
    HUMAN_REVIEW_SELFIE_CHECK = "Human_Review_Selfie_Check"
    HUMAN_REVIEW_UPDATE_SELFIE = "Human_Review_Update_Selfie"
    LIVENESS_CHECK = "Liveness_Check"
    REGISTER_SELFIE = "Register_Selfie"
    RETURN_PERSONAL_INFO = "Return_Personal_Info"
    SELFIE_CHECK = "Selfie_Check"
    SELFIE_PROVIDED = "Selfie_Provided"
    SELFIE_TO_ID_AUTHORITY_COMPARE = "Selfie_To_ID_Authority_Compare"
    SELFIE_TO_ID_CARD_COMPARE = "Selfie_To_ID_Card_Compare"
    SELFIE_TO_REGISTERED_SELFIE_COMPARE = "Selfie_To_Registered_Selfie_Compare"
    UPDATE_REGISTERED_SELFIE_ON_FILE = "Update_Registered_Selfie_On_File"
    VERIFY_DOCUMENT = "Verify_Document"
    VERIFY_ID_NUMBER = "Verify_ID_Number"


class ActionValue(StrEnum):
    """Values of the ``Actions`` object, spelt as the documentation's tables spell them."""

    PASSED = "Passed"
    FAILED = "Failed"
    COMPLETED = "Completed"
    APPROVED = "Approved"
    REJECTED = "Rejected"
    PROVISIONALLY_APPROVED = "Provisionally Approved"
    RETURNED = "Returned"
    NOT_RETURNED = "Not Returned"
    UNDER_REVIEW = "Under Review"
    UNABLE_TO_DETERMINE = "Unable To Determine"
    NOT_APPLICABLE = "Not Applicable"
    # The ID look-up's Verify_ID_Number and the authority comparison (the Android SDK's enum).
    VERIFIED = "Verified"
    NOT_VERIFIED = "Not Verified"
    NOT_DONE = "Not Done"
    ISSUER_UNAVAILABLE = "Issuer Unavailable"
    ID_AUTHORITY_PHOTO_NOT_AVAILABLE = "ID Authority Photo Not Available"


_SMART_SELFIE_ACTIONS = (
    Action.HUMAN_REVIEW_COMPARE,
    Action.HUMAN_REVIEW_LIVENESS_CHECK,
    Action.HUMAN_REVIEW_UPDATE_SELFIE,
    Action.LIVENESS_CHECK,
    Action.SELFIE_CHECK,
    # The registration sample repeats Human_Review_Liveness_Check here, a duplicate JSON key; the
    # authentication sample, and the registration page's own table, have Human_Review_Selfie_Check.
    Action.HUMAN_REVIEW_SELFIE_CHECK,
    Action.REGISTER_SELFIE,
    Action.RETURN_PERSONAL_INFO,
    Action.SELFIE_PROVIDED,
    Action.SELFIE_TO_ID_AUTHORITY_COMPARE,
    Action.SELFIE_TO_ID_CARD_COMPARE,
    Action.SELFIE_TO_REGISTERED_SELFIE_COMPARE,
    Action.UPDATE_REGISTERED_SELFIE_ON_FILE,
    Action.VERIFY_ID_NUMBER,
)

_DOCUMENT_ACTIONS = (
    Action.DOCUMENT_CHECK,
    Action.HUMAN_REVIEW_COMPARE,
    Action.HUMAN_REVIEW_DOCUMENT_CHECK,
    Action.HUMAN_REVIEW_LIVENESS_CHECK,
    Action.LIVENESS_CHECK,
    Action.REGISTER_SELFIE,
    Action.RETURN_PERSONAL_INFO,
    Action.SELFIE_TO_ID_CARD_COMPARE,
    Action.VERIFY_DOCUMENT,
)

# The Actions each product answers with, in the order of its sample response.
ACTION_KEYS: dict[Product, tuple[Action, ...]] = {
    Product.SMART_SELFIE_AUTHENTICATION: _SMART_SELFIE_ACTIONS,
    Product.SMART_SELFIE_REGISTRATION: _SMART_SELFIE_ACTIONS,
    # Compare shows no sample: these are the rows of its "Results Values" table. The row printed
    # there as "code" lists exactly Register_Selfie's values (Approved, Rejected, Provisionally
    # Approved, Not Applicable), and compare enrols the user, so it is Register_Selfie.
    Product.SMART_SELFIE_COMPARE: (
        Action.LIVENESS_CHECK,
        Action.SELFIE_CHECK,
        Action.REGISTER_SELFIE,
        Action.SELFIE_PROVIDED,
    ),
    Product.DOCUMENT_VERIFICATION: _DOCUMENT_ACTIONS,
    # The Actions of a job_type 1 result, in the order partners' typed models list them.
    Product.BIOMETRIC_KYC: (
        Action.LIVENESS_CHECK,
        Action.REGISTER_SELFIE,
        Action.SELFIE_PROVIDED,
        Action.VERIFY_ID_NUMBER,
        Action.HUMAN_REVIEW_COMPARE,
        Action.RETURN_PERSONAL_INFO,
        Action.SELFIE_TO_ID_CARD_COMPARE,
        Action.HUMAN_REVIEW_UPDATE_SELFIE,
        Action.HUMAN_REVIEW_LIVENESS_CHECK,
        Action.SELFIE_TO_ID_AUTHORITY_COMPARE,
        Action.UPDATE_REGISTERED_SELFIE_ON_FILE,
        Action.SELFIE_TO_REGISTERED_SELFIE_COMPARE,
    ),
    Product.ENHANCED_DOCUMENT_VERIFICATION: (*_DOCUMENT_ACTIONS, Action.VERIFY_ID_NUMBER),
}


class IdField(StrEnum):
    """The document's fields in a Document Verification result, named as its sample response names
    them (Return Values table: PhoneNumber, PhoneNumber2, Address too)."""

    COUNTRY = "Country"
    ID_TYPE = "IDType"
    ID_NUMBER = "IDNumber"
    FULL_NAME = "FullName"
    DOB = "DOB"
    GENDER = "Gender"
    EXPIRATION_DATE = "ExpirationDate"
    ISSUANCE_DATE = "IssuanceDate"
    SECONDARY_ID_NUMBER = "SecondaryIDNumber"
    PHONE_NUMBER = "PhoneNumber"
    PHONE_NUMBER_2 = "PhoneNumber2"
    ADDRESS = "Address"
