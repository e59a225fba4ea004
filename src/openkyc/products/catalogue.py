"""Every result code and text the products answer with: the one place where they live.

Quoted from seed 001 (the Smile ID product pages): Document Verification ("General Failures",
"Product Specific" and "Human Review Rejection" tables), SmartSelfie™ Authentication, SmartSelfie™
Registration ("Result Codes and Texts Specific to Registering a User") and SmartSelfie™ Compare.
Texts are copied as printed, typos included ("No Match - - No Face Match", "There an an error"):
partners match on them. Footnote markers ("*") after a text are not part of it.

A table cell of the seeds can hold two lines: the ResultText, then a judgement line ("Authenticate
User" / "Machine Judgement - PASS"). Rows with only a judgement line ("Machine Judgement - PURE
PROVISIONAL") use it as their ResultText; the judgement is kept for reviewers either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from openkyc.job_types import JobType


class Product(StrEnum):
    """The products decided here; values are the v2 ``job_type`` strings (api-reference §3.1)."""

    SMART_SELFIE_AUTHENTICATION = "smart_selfie_authentication"
    SMART_SELFIE_REGISTRATION = "smart_selfie_enrollment"
    SMART_SELFIE_COMPARE = "smart_selfie_compare"
    DOCUMENT_VERIFICATION = "document_verification"
    # v1-only products: their names follow the Web SDK token's product values (api-reference §3.3).
    BIOMETRIC_KYC = "biometric_kyc"
    ENHANCED_DOCUMENT_VERIFICATION = "enhanced_document_verification"


# partner_params.job_type of each product (compare: the seeds' example sends "3").
JOB_TYPES: dict[Product, JobType] = {
    Product.SMART_SELFIE_AUTHENTICATION: JobType.SMART_SELFIE_AUTHENTICATION,
    Product.SMART_SELFIE_COMPARE: JobType.SMART_SELFIE_COMPARE,
    Product.SMART_SELFIE_REGISTRATION: JobType.SMART_SELFIE_REGISTRATION,
    Product.DOCUMENT_VERIFICATION: JobType.DOCUMENT_VERIFICATION,
    Product.BIOMETRIC_KYC: JobType.BIOMETRIC_KYC,
    Product.ENHANCED_DOCUMENT_VERIFICATION: JobType.ENHANCED_DOCUMENT_VERIFICATION,
}

# ResultType of each product's result object. The Java SDK decodes results by it (api-reference
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

# What the seeds answer for a field that could not be read ("PhoneNumber2": "Not Available").
NOT_AVAILABLE = "Not Available"


class Outcome(StrEnum):
    """The seeds' result categories, folded into the four a job can end (or wait) in."""

    APPROVED = "Approved"
    APPROVED_WITH_ATTENTION = "Approved with Attention"
    # "Provisionally Approved", "Under Review", "Pending", "Suspected for spoof and sent to
    # document reviewer for final decision": a human reviewer decides next.
    PROVISIONAL = "Provisionally Approved"
    REJECTED = "Rejected"


# The word the seeds put where a result text is completed with the reason for it
# ("Unable to Verify Document - reason").
REASON_PLACEHOLDER = "reason"


@dataclass(frozen=True)
class ResultEntry:
    """One row of a result-code table."""

    code: str
    text: str
    description: str
    # None for request errors (category "-"): they answer a call, they are never a job result.
    outcome: Outcome | None
    # The category exactly as the table prints it.
    category: str = ""
    judgement: str | None = None
    # A human reviewer's decision (IsMachineResult "false").
    human_review: bool = False
    deprecated: bool = False
    # For texts ending in REASON_PLACEHOLDER: the reasons the product may put there.
    reasons: tuple[str, ...] = ()
    # None: the row is quoted from a seed table. Otherwise where the row comes from, for rows the
    # seeds print no table of (Biometric KYC, the ID look-up codes of the enhanced products).
    origin: str | None = None

    @property
    def is_final(self) -> bool:
        return self.outcome is not Outcome.PROVISIONAL

    @property
    def takes_reason(self) -> bool:
        return self.text.endswith(f" - {REASON_PLACEHOLDER}")

    def text_with(self, reason: str | None = None) -> str:
        """The ResultText, with ``reason`` (one of :attr:`reasons`) in place of the placeholder."""
        if not self.takes_reason:
            if reason is not None:
                raise ValueError(f"{self.code} {self.text!r} takes no reason")
            return self.text
        if reason not in self.reasons:
            raise ValueError(f"{reason!r} is not a documented reason for {self.code}")
        return self.text[: -len(REASON_PLACEHOLDER)] + reason

    def texts(self) -> tuple[str, ...]:
        """Every ResultText this row can produce."""
        if self.takes_reason:
            return tuple(self.text_with(reason) for reason in self.reasons)
        return (self.text,)


def _error(code: str, text: str, description: str = "") -> ResultEntry:
    return ResultEntry(code=code, text=text, description=description, outcome=None, category="-")


def _approved(
    code: str, text: str, description: str, *, judgement: str | None = None, human_review: bool = False
) -> ResultEntry:
    return ResultEntry(
        code,
        text,
        description,
        Outcome.APPROVED,
        category="Approved",
        judgement=judgement,
        human_review=human_review,
    )


def _rejected(
    code: str,
    text: str,
    description: str,
    *,
    judgement: str | None = None,
    human_review: bool = False,
    deprecated: bool = False,
    reasons: tuple[str, ...] = (),
) -> ResultEntry:
    return ResultEntry(
        code,
        text,
        description,
        Outcome.REJECTED,
        category="Rejected",
        judgement=judgement,
        human_review=human_review,
        deprecated=deprecated,
        reasons=reasons,
    )


class DocvRejection(StrEnum):
    """Why a document was rejected (0811), quoted from the 0811 description's list."""

    SELFIE_MISMATCH = "The selfie did not match the photo on document"
    LIVENESS = "Selfie failed liveness checks"
    SECURITY_FEATURES = "Some security features were missing on the document"
    INCONSISTENT = "The information on document is inconsistent i.e. the MRZ information did not match the OCR'ed information"
    WRONG_DOCUMENT_TYPE = "A wrong document type was uploaded"
    UNDER_18 = "Based on the Date of Birth on the document, the subject is under 18 years old"


class DocvUnverified(StrEnum):
    """Why a document could not be verified at all (0812), from the 0812 description."""

    NOT_CLASSIFIED = "The document wasn't classified by system"
    INVALID_DOCUMENT_IMAGE = "An invalid document image was uploaded"


class DocumentVerification:
    """Document Verification (job_type 6)."""

    # General failures.
    DATA_INVALID = _rejected("0001", "Data Invalid", "Uploaded zip is corrupted")
    IMAGES_CORRUPT = _rejected(
        "0001",
        "Data Invalid - Images corrupt or not present",
        "info.json lists an image file that was not included in the zip",
    )
    ID_CARD_NOT_PROVIDED = _rejected(
        "0001", "ID Card image not provided", "There was no ID card image submitted with the job"
    )
    SELFIE_UNUSABLE = _rejected(
        "0001",
        "Unable to Verify Document - Selfie unusable",
        "Selfie image quality too poor and couldn't be processed by system",
    )
    ID_CARD_UNUSABLE = _rejected(
        "0001",
        "Unable to Verify Document - ID Card image unusable",
        "Document image quality too poor and couldn't be processed by system",
    )
    SYSTEM_ERROR = _rejected("0001", "System Error", "A system error occurred")
    ZIP_CORRUPT = _rejected("0903", "Zip Corrupt", "The uploaded Zip file is corrupted.")
    NOT_AUTHORISED_QUOTED = _error(
        "2405",
        'Error - "You are not authorised to do that"',
        "An invalid signature was used to sign the request.",
    )
    NO_ZIP = _error("2314", "Error - No Zip File Received", "No Zip files was uploaded.")
    INVALID_JSON = _error(
        "2203",
        "Error - Invalid JSON",
        "The info.json file in the Zip is not properly structured. Ensure all keys are present and properly named.",
    )
    MISSING_PARAMETER = _error(
        "2213",
        "Error - A required parameter is missing",
        "Not all the required keys were submitted in the info.json or request payload. Please check request "
        "values for this product.",
    )
    WRONG_DATA_TYPE = _error(
        "2204",
        "Error - A parameter is of the wrong data type",
        "The format of one of the request values was wrong. Please check request values for this product.",
    )
    NOT_AUTHORISED = _error(
        "2205",
        "Error - You are not authorised to do that.",
        "An invalid signature was used to sign the request. Please ensure you are using the correct signature "
        "for the environment (ie: sandbox vs production)",
    )
    PRODUCTION_NOT_ENABLED = _error(
        "2220",
        "Error - Production is not enabled for this account. Please complete your KYC with Smile ID.",
        "You have not completed your KYC.",
    )
    INVALID_JOB_TYPE = _error(
        "2212",
        "Error - Invalid job type",
        "An invalid value was inputted in the job_type key. Change the value to 6.",
    )
    ALREADY_ENROLLED = _error(
        "2209",
        "Error - Wrong user id. This user is already enrolled with user_id",
        "An existing user_id was inputted. Enter a unique user id.",
    )
    JOB_EXISTS = _error(
        "2215",
        "Error - Job already exists for job_id",
        "An existing job_id was inputted. Enter a unique job id.",
    )

    # Product specific.
    VERIFIED = _approved(
        "0810",
        "Document Verified",
        "Images matched, no spoof was detected on Selfie and the document is valid.",
    )
    REJECTED = _rejected(
        "0811",
        "Unable to Verify Document - reason",
        "Document image was usable but document verification failed due to any of the following reasons: "
        "- The selfie did not match the photo on document - Selfie failed liveness checks - Some security "
        "features were missing on the document - The information on document is inconsistent i.e. the MRZ "
        "information did not match the OCR'ed information - A wrong document type was uploaded - Based on the "
        "Date of Birth on the document, the subject is under 18 years old",
        reasons=tuple(DocvRejection),
    )
    UNVERIFIED = _rejected(
        "0812",
        "Unable to verify Document - reason",
        "Document verification failed because the document wasn't classified by system or an invalid document "
        "image was uploaded e.g. work ID card",
        reasons=tuple(DocvUnverified),
    )
    UNSUPPORTED_DOCUMENT = _rejected(
        "0816",
        "Unable to verify Document - Unsupported Document",
        "Provided document is not supported for KYC i.e. document is one of the following: - Carry Permit - "
        "Hunting Permit - Sex Offender ID - SIM Card",
    )
    EXPIRED = ResultEntry(
        "0817",
        "Approved with Attention - Document is Expired",
        "The document is expired but didn't fail any security checks.",
        Outcome.APPROVED_WITH_ATTENTION,
        category="Approved with Attention",
    )
    PHOTOCOPIED = ResultEntry(
        "0817",
        "Approved with Attention - Photocopied Document",
        "The document appears photocopied, scanned or grayscale but didn't fail any security checks.",
        Outcome.APPROVED_WITH_ATTENTION,
        category="Approved with Attention",
    )
    UNSUPPORTED_ID_TYPE = _rejected(
        "1014",
        "Unsupported ID Type",
        "The country_code and or the id_type in the info.json file is not supported, please use any of the "
        "supported country_codes and id_types in the documentation",
    )
    # The Document Verification page defines no provisional code: it says results are sent once the
    # reviewers decide. A job waiting for them still needs a result in job_status and history; the
    # seeds' job_status sample shows the 081x family's provisional row for that (Biometric KYC's
    # 0814, whose 0810-0812 share their numbers with this product), so that row is the closest.
    UNDER_REVIEW = ResultEntry(
        "0814",
        "Provisional Enroll - Under Review",
        "Awaiting a human reviewer's decision (seed 001, job_status history sample).",
        Outcome.PROVISIONAL,
        category="Provisionally Approved",
    )

    # Human review rejections.
    REVIEW_CROPPED = _rejected(
        "0811",
        "Unable to Verify Document After Human Review (Cropped Document)",
        "Image of the document is cropped to the extent that it is missing key elements to identify authenticity",
        human_review=True,
    )
    REVIEW_NOT_A_DOCUMENT = _rejected(
        "0811",
        "Unable to Verify Document After Human Review (Not A Document)",
        "Any image other than a document (an object, the environment etc.) was submitted",
        human_review=True,
    )
    REVIEW_POTENTIAL_FRAUD = _rejected(
        "0811",
        "Unable to Verify Document After Human Review (Potential Fraud Attempt)",
        "Photo of photo, or visible alteration and manipulation of the document",
        human_review=True,
    )
    REVIEW_UNREADABLE = _rejected(
        "0811",
        "Unable to Verify Document After Human Review (Unreadable Document)",
        "Blurry/damaged document or cannot see key details on the document",
        human_review=True,
    )
    REVIEW_UNSUPPORTED = _rejected(
        "0811",
        "Unable to Verify Document After Human Review (Unsupported Document)",
        "A document type we do not currently support was submitted",
        human_review=True,
    )
    REVIEW_WRONG_TYPE = _rejected(
        "0811",
        "Unable to Verify Document After Human Review (Wrong Document Type)",
        "The wrong document type was selected on job submission",
        human_review=True,
    )


_SPOOF_REVIEW = (
    "The human reviewer detected a possible fraud attempt on the Selfie - This can be a fraud attempt or "
    "some times images are too blurry or dark in the liveness check to make a decision."
)
_DATA_INVALID = "One of the required input is invalid."
_UNZIP = (
    "There an an error encountered while attempting to extract the zip file. Confirm the images and "
    "info.json were archived properly and re-run the job."
)
_UNKNOWN_ERROR = "An unknown system error occurred while processing the job."
_INVALID_JSON = "The info.json file in the Zip is not properly structured. Ensure all keys are present and properly named."
_WRONG_TYPE = (
    "The format of one of the request values was wrong. Please check request values for this product."
)
_BAD_SIGNATURE = (
    "An invalid signature was used to sign the request. Read more on how to troubleshoot this error here."
)
_MISSING = (
    "Not all the required keys were submitted in the info.json or request payload. Please check request "
    "values for this product."
)
_NOT_ACTIVATED = "Product is deactivated on your account. Contact support to activate the product."
_NO_KYC = "You have not completed your KYC. Please complete your KYC with Smile ID."
_BAD_TOKEN = "Only applicable to Web SDK jobs. Generate a valid token and re-run the job."


class SmartSelfieAuthentication:
    """SmartSelfie™ Authentication (job_type 2)."""

    SYSTEM_ERROR_REQUEST = _error("2201", "System Error")
    INVALID_JSON = _error("2203", "Error - Invalid JSON", _INVALID_JSON)
    WRONG_DATA_TYPE = _error("2204", "Error - A parameter is of the wrong data type", _WRONG_TYPE)
    NOT_AUTHORISED = _error("2205", "Error - You are not authorized to do that", _BAD_SIGNATURE)
    USER_DISABLED = _error(
        "2207",
        "Error - Enrolled user is disabled",
        "You attempted authenticating a disabled user, enable the user then re-run the job or send the "
        "user_id of an active user.",
    )
    USER_DELETED = _error(
        "2208",
        "Error - Enrolled user was deleted from the system",
        "You attempted authenticating a deleted user, send the user_id of an active user or re-enroll the user.",
    )
    NO_ENROLLED_USER = _error(
        "2210",
        "Error - No enrolled user found",
        "The user_id does not belong to an enrolled user. Confirm the user_id then re-run the authentication.",
    )
    RE_ENROLMENT_REQUIRED = _error(
        "2211",
        "Error - Enrolled user must complete re-enrollment",
        "Ther user_id has been flagged for re-enrollment. Either turn off the re-enrollment flag or re-enroll "
        "the user before attempting to authentication.",
    )
    INVALID_JOB_TYPE = _error(
        "2212",
        "Error - Invalid job type",
        "An invalid value was inputted in the job_type key. Change the value to 2.",
    )
    MISSING_PARAMETER = _error("2213", "Error - A required parameter is missing", _MISSING)
    PRODUCT_NOT_ACTIVATED = _error("2214", "Error - Product not activated for this account", _NOT_ACTIVATED)
    JOB_EXISTS = _error(
        "2215",
        "Error - Job already exists for job_id",
        "An existing job_id was inputted. Enter a unique job id.",
    )
    NO_PHOTO_ON_FILE = _error(
        "2216",
        "Error - Enrolled user does not have a photo on file",
        "The user_id does not have a selfie on file. Before you can authenticate, you need to perform either "
        "a Document Verification, Biometric Registration or SmartSelfie™ Registration job for the user_id.",
    )
    INVALID_PRODUCT = _error(
        "2217",
        "Error - Invalid Product",
        "Update the job_type to 2 and ensure you have send all the required request values for this product.",
    )
    PRODUCTION_NOT_ENABLED = _error("2220", "Error - Production is not enabled for this account", _NO_KYC)
    INVALID_TOKEN = _error("2221", "Error - Invalid token", _BAD_TOKEN)

    DATA_INVALID = _rejected("0001", "Data Invalid", _DATA_INVALID)
    UNZIP_FAILED = _rejected("0001", "Data Invalid - Unable to extract zip file", _UNZIP)
    SYSTEM_ERROR = _rejected("0001", "System Error", _UNKNOWN_ERROR)
    MACHINE_PASS = _approved(
        "0820",
        "Authenticate User",
        "Comparison between the images matched.",
        judgement="Machine Judgement - PASS",
    )
    MACHINE_FAIL_COMPARISON = _rejected(
        "0821",
        "Failed Authentication",
        "Images did not match and therefore job was rejected.",
        judgement="Machine Judgement - FAIL - COMPARISON",
    )
    PURE_PROVISIONAL = ResultEntry(
        "0822",
        "Machine Judgement - PURE PROVISIONAL",
        "Waiting on document reviewer's decision.",
        Outcome.PROVISIONAL,
        category="Provisionally Approved",
        judgement="Machine Judgement - PURE PROVISIONAL",
    )
    MACHINE_FAIL_SPOOF = _rejected(
        "0823",
        "Failed Authentication",
        "Machine rejected job due to possible fraud attempt on the Selfie - This can be fraud attempt or some "
        "times images are too blurry or dark in the liveness check to make a decision.",
        judgement="Machine Judgement - FAIL - Possible Spoof",
        deprecated=True,
    )
    PROVISIONAL_SPOOF = ResultEntry(
        "0824",
        "Machine Judgement - PROVISIONAL - Possible Spoof",
        "The machine thinks there is a possible spoof but can't make a final decision. A document reviewer "
        "will check the Selfie for potential fraud attempts.",
        Outcome.PROVISIONAL,
        category="Under Review",
        judgement="Machine Judgement - PROVISIONAL - Possible Spoof",
    )
    PROVISIONAL_COMPARE_UNSURE = ResultEntry(
        "0825",
        "Machine Judgement - PROVISIONAL - Machine Compare Unsure",
        "The machine is not sure if both images match, so a document reviewer will compare.",
        Outcome.PROVISIONAL,
        category="Under Review",
        judgement="Machine Judgement - PROVISIONAL - Machine Compare Unsure",
    )
    NO_FACE = _rejected(
        "0921",
        "FAIL - No Face Found",
        "There was no face found in the uploaded selfie. Upload an image with a face.",
        judgement="FAIL - No Face Found",
    )
    POOR_QUALITY = _rejected(
        "0922",
        "FAIL - Image Quality Judged Too Poor",
        "The uploaded selfie quality was too poor. Upload a higher quality selfie.",
        judgement="FAIL - Image Quality Judged Too Poor",
    )
    # The page's sample response answers 1220 with "Authenticated"; its table says "Authenticate
    # User". The table is the list of texts, so it wins.
    HUMAN_PASS = _approved(
        "1220",
        "Authenticate User",
        "The document reviewer marked that both images are of the same person.",
        judgement="Human Judgement - PASS",
        human_review=True,
    )
    HUMAN_FAIL_COMPARE = _rejected(
        "1221",
        "Failed Authentication",
        "The document reviewer marked that both images are different persons.",
        judgement="Human Judgement - FAIL - Human Compare Failed",
        human_review=True,
    )
    HUMAN_FAIL_SPOOF = _rejected(
        "1222",
        "Failed Authentication",
        "The document reviewer detected a possible fraud attempt on the Selfie - This can be a fraud attempt "
        "or some times images are too blurry or dark in the liveness check to make a decision.",
        judgement="Human Judgement - FAIL - Spoof Detected",
        human_review=True,
    )


class SmartSelfieRegistration:
    """SmartSelfie™ Registration (job_type 4)."""

    SYSTEM_ERROR_REQUEST = _error("2201", "System Error")
    INVALID_JSON = _error("2203", "Error - Invalid JSON", _INVALID_JSON)
    WRONG_DATA_TYPE = _error("2204", "Error - A parameter is of the wrong data type", _WRONG_TYPE)
    NOT_AUTHORISED = _error("2205", "Error - You are not authorized to do that.", _BAD_SIGNATURE)
    ALREADY_ENROLLED = _error(
        "2209",
        "Error - User is already enrolled",
        "The job was run with a duplicate user_id. Send the job with a unique user_id.",
    )
    INVALID_JOB_TYPE = _error(
        "2212",
        "Error - Invalid job type",
        "An invalid value was inputted in the job_type key. Change the value to 4.",
    )
    MISSING_PARAMETER = _error("2213", "Error - A required parameter is missing", _MISSING)
    PRODUCT_NOT_ACTIVATED = _error("2214", "Error - Product not activated for this account", _NOT_ACTIVATED)
    INVALID_PRODUCT = _error(
        "2217",
        "Error - Invalid Product",
        "Update the job_type to 4 and ensure you have send all the required request values for this product.",
    )
    PRODUCTION_NOT_ENABLED = _error("2220", "Error - Production is not enabled for this account.", _NO_KYC)
    INVALID_TOKEN = _error("2221", "Error - Invalid token", _BAD_TOKEN)

    DATA_INVALID = _rejected("0001", "Data Invalid", _DATA_INVALID)
    UNZIP_FAILED = _rejected("0001", "Data Invalid - Unable to extract zip file", _UNZIP)
    SYSTEM_ERROR = _rejected("0001", "System Error", _UNKNOWN_ERROR)
    MACHINE_PASS = _approved(
        "0840",
        "Enroll User",
        "Machine passed Selfie - no spoof detected and image contains a face.",
        judgement="PASS - Machine Judgement",
    )
    MACHINE_FAIL_SPOOF = _rejected(
        "0841",
        "Failed Enroll",
        "Machine rejected job due to possible fraud attempt on the Selfie.",
        judgement="FAIL - Possible Spoof - Machine Judgement",
    )
    PROVISIONAL_SPOOF = ResultEntry(
        "0844",
        "PROVISIONAL - Possible Spoof - Machine Judgement",
        "The machine thinks there is a possible spoof but can't make a final decision. A document reviewer "
        "will check the Selfie for potential fraud attempts.",
        Outcome.PROVISIONAL,
        category="Suspected for spoof and sent to document reviewer for final decision",
        judgement="PROVISIONAL - Possible Spoof - Machine Judgement",
    )
    PENDING_SPOOF = ResultEntry(
        "0846",
        "PENDING - Possible Spoof - Machine Judgement",
        "Awaiting document review result.",
        Outcome.PROVISIONAL,
        category="Pending",
        judgement="PENDING - Possible Spoof - Machine Judgement",
        deprecated=True,
    )
    NO_FACE = _rejected(
        "0941",
        "FAIL - No Face Found",
        "There was no face found in the uploaded selfie. Upload an image with a face.",
        judgement="FAIL - No Face Found",
    )
    POOR_QUALITY = _rejected(
        "0942",
        "FAIL - Image Quality Judged Too Poor",
        "The uploaded selfie quality was too poor. Upload a higher quality selfie.",
        judgement="FAIL - Image Quality Judged Too Poor",
    )
    HUMAN_PASS = _approved(
        "1240",
        "Enroll User",
        "The human reviewer did not find any fraud attempts on the Selfie.",
        judgement="PASS - Human Judgement",
        human_review=True,
    )
    HUMAN_FAIL_UNUSABLE = _rejected(
        "1241",
        "Failed Enroll",
        "The human reviewer marked the Selfie as unusable either because the Selfie is too dark or too blurry",
        judgement="FAIL - Image Unusable",
        human_review=True,
    )
    HUMAN_FAIL_SPOOF = _rejected(
        "1242",
        "Failed Enroll",
        _SPOOF_REVIEW,
        judgement="Spoof detected - Human Judgement",
        human_review=True,
    )


class SmartSelfieCompare:
    """SmartSelfie™ Compare (v2, synchronous: no provisional results and no human review)."""

    DATA_INVALID = _rejected("0001", "Data Invalid", _DATA_INVALID)
    SYSTEM_ERROR = _rejected("0001", "System Error", _UNKNOWN_ERROR)
    FACE_MATCH = _approved("0840", "Face Match", "Comparison between the images matched.")
    NO_FACE_MATCH = _rejected(
        "0841", "No Match - - No Face Match", "Images did not match and therefore job was rejected."
    )
    IDENTICAL_IMAGES = _rejected(
        "0941",
        "No Match - The compared images are identical.",
        "The comparison image and selfie image are identical or the same image",
    )
    NO_FACE_IN_SELFIE = _rejected(
        "0941",
        "No Match - No clear face was found in the selfie image. (1st image - selfie).",
        "There were issues with the selfie_image",
    )

    SYSTEM_ERROR_REQUEST = _error("2201", "System Error")
    WRONG_DATA_TYPE = _error("2204", "Error - A parameter is of the wrong data type", _WRONG_TYPE)
    NOT_AUTHORISED = _error("2205", "Error - You are not authorized to do that", _BAD_SIGNATURE)
    ALREADY_ENROLLED = _error(
        "2209",
        "Wrong job type. This user is already enrolled.",
        "This user is already enrolled. use a unique user Id or allow_new_enroll",
    )
    PRODUCT_NOT_ACTIVATED = _error("2214", "Error - Product not activated for this account", _NOT_ACTIVATED)
    JOB_EXISTS = _error(
        "2215",
        "Error - Job already exists for job_id",
        "An existing job_id was inputted. Enter a unique job id.",
    )
    PRODUCTION_NOT_ENABLED = _error("2220", "Error - Production is not enabled for this account", _NO_KYC)
    INPUTS_INCORRECT = _error(
        "2413",
        "Inputs submitted are incorrect",
        "There are errors with the required inputs eg. Liveness images or comparison images",
    )


# Where the rows below come from. The seeds print no Biometric KYC table; they show its codes in
# the job_status history sample (1012 "ID Validated", 0814 "Provisional Enroll - Under Review",
# 1210 "Enroll User") and api-reference §11 names 0810/0811/0812/0814 its approve / reject /
# provisional family. The other rows follow the pattern of the SmartSelfie tables the seeds do
# print (08x0 machine pass, 08x1 machine fail, 09x1/09x2 no face / poor quality, 12x0-12x2 a
# reviewer's pass / compare fail / spoof), with those tables' texts.
_HISTORY_SAMPLE = "seed 001, job_status history sample of a job_type 1 job"
_FAMILY = "inferred from the SmartSelfie tables' numbering (08x0/08x1/09x1/09x2/12x0-12x2)"
_LOOKUP = "ID look-up codes of api-reference §10.2/§11; texts are openkyc's (the seeds give none)"


def _inferred(
    code: str, text: str, description: str, outcome: Outcome, origin: str, **extra: Any
) -> ResultEntry:
    category = {
        Outcome.APPROVED: "Approved",
        Outcome.REJECTED: "Rejected",
        Outcome.PROVISIONAL: "Provisionally Approved",
        Outcome.APPROVED_WITH_ATTENTION: "Approved with Attention",
    }[outcome]
    return ResultEntry(code, text, description, outcome, category=category, origin=origin, **extra)


class BiometricKyc:
    """Biometric KYC (job_type 1): an ID look-up, and the selfie compared with the authority's
    photo (or the ID card's) after the SmartSelfie liveness checks."""

    DATA_INVALID = _inferred("0001", "Data Invalid", _DATA_INVALID, Outcome.REJECTED, _FAMILY)
    IMAGES_CORRUPT = _inferred(
        "0001",
        "Data Invalid - Images corrupt or not present",
        "info.json lists an image file that was not included in the zip",
        Outcome.REJECTED,
        "seed 001, Document Verification general failures",
    )
    UNZIP_FAILED = _inferred(
        "0001", "Data Invalid - Unable to extract zip file", _UNZIP, Outcome.REJECTED, _FAMILY
    )
    SYSTEM_ERROR = _inferred("0001", "System Error", _UNKNOWN_ERROR, Outcome.REJECTED, _FAMILY)
    NO_AUTHORITY_PHOTO = _inferred(
        "0001",
        "ID Authority image not available",
        "There was no photo returned by the ID authority for the submitted ID number, and no ID card "
        "image was submitted to compare the selfie with.",
        Outcome.REJECTED,
        "the platform's general result codes (0001 family)",
    )
    MACHINE_PASS = _inferred(
        "0810",
        "Enroll User",
        "The ID number was validated and the selfie matched the ID photo; no spoof was detected.",
        Outcome.APPROVED,
        "api-reference §11 (0810 approves), with the text of 1210 in the seeds' job_status history sample",
        judgement="Machine Judgement - PASS",
    )
    MACHINE_FAIL = _inferred(
        "0811",
        "Failed Enroll",
        "The selfie did not match the ID photo, or failed the liveness checks.",
        Outcome.REJECTED,
        _FAMILY,
        judgement="Machine Judgement - FAIL",
    )
    UNDER_REVIEW = _inferred(
        "0814",
        "Provisional Enroll - Under Review",
        "The machine could not settle the comparison or the liveness check: a reviewer decides.",
        Outcome.PROVISIONAL,
        _HISTORY_SAMPLE,
    )
    NO_FACE = _inferred(
        "0911",
        "FAIL - No Face Found",
        "There was no face found in the uploaded selfie. Upload an image with a face.",
        Outcome.REJECTED,
        _FAMILY,
        judgement="FAIL - No Face Found",
    )
    POOR_QUALITY = _inferred(
        "0912",
        "FAIL - Image Quality Judged Too Poor",
        "The uploaded selfie quality was too poor. Upload a higher quality selfie.",
        Outcome.REJECTED,
        _FAMILY,
        judgement="FAIL - Image Quality Judged Too Poor",
    )
    ID_NOT_FOUND = _inferred(
        "1013",
        "ID Number Not Found",
        "The ID authority has no record of the ID number.",
        Outcome.REJECTED,
        _LOOKUP,
    )
    INVALID_ID_NUMBER = _inferred(
        "1014",
        "Unsupported ID number format",
        "The ID number is not a valid number of the ID type (or a sandbox test number used in production).",
        Outcome.REJECTED,
        _LOOKUP,
    )
    AUTHORITY_UNAVAILABLE = _inferred(
        "1015",
        "ID Authority Unavailable",
        "The ID authority could not be reached. The job is not charged; submit it again with retry.",
        Outcome.REJECTED,
        _LOOKUP,
    )
    RATE_LIMITED = _inferred(
        "2222",
        "Error - ID number rate limited",
        "This ID number was looked up too often; the look-up was not made.",
        Outcome.REJECTED,
        "api-reference §11 (2222), as a job result for a look-up a queued job could not make",
    )
    HUMAN_PASS = _inferred(
        "1210",
        "Enroll User",
        "The human reviewer marked that the selfie and the ID photo are of the same person.",
        Outcome.APPROVED,
        _HISTORY_SAMPLE,
        judgement="Human Judgement - PASS",
        human_review=True,
    )
    HUMAN_FAIL_COMPARE = _inferred(
        "1211",
        "Failed Enroll",
        "The human reviewer marked that the selfie and the ID photo are different persons.",
        Outcome.REJECTED,
        _FAMILY,
        judgement="Human Judgement - FAIL - Human Compare Failed",
        human_review=True,
    )
    HUMAN_FAIL_SPOOF = _inferred(
        "1212",
        "Failed Enroll",
        _SPOOF_REVIEW,
        Outcome.REJECTED,
        _FAMILY,
        judgement="Human Judgement - FAIL - Spoof Detected",
        human_review=True,
    )


class EdvRejection(StrEnum):
    """Enhanced Document Verification's own reason for 0811: the authority contradicts the document."""

    AUTHORITY_MISMATCH = "The information on document did not match the ID authority record"


class EnhancedDocumentVerification:
    """Enhanced Document Verification (job_type 11): Document Verification's rows, its 0811 with one
    more reason, and the ID look-up's failures."""

    REJECTED = ResultEntry(
        DocumentVerification.REJECTED.code,
        DocumentVerification.REJECTED.text,
        DocumentVerification.REJECTED.description,
        Outcome.REJECTED,
        category="Rejected",
        reasons=(*DocumentVerification.REJECTED.reasons, *EdvRejection),
        origin="seed 001 Document Verification 0811, with the authority's contradiction as a reason",
    )
    ID_NOT_FOUND = BiometricKyc.ID_NOT_FOUND
    INVALID_ID_NUMBER = BiometricKyc.INVALID_ID_NUMBER
    AUTHORITY_UNAVAILABLE = BiometricKyc.AUTHORITY_UNAVAILABLE
    RATE_LIMITED = BiometricKyc.RATE_LIMITED


def _rows(namespace: type) -> tuple[ResultEntry, ...]:
    return tuple(value for value in vars(namespace).values() if isinstance(value, ResultEntry))


CATALOGUE: dict[Product, tuple[ResultEntry, ...]] = {
    Product.SMART_SELFIE_AUTHENTICATION: _rows(SmartSelfieAuthentication),
    Product.SMART_SELFIE_REGISTRATION: _rows(SmartSelfieRegistration),
    Product.SMART_SELFIE_COMPARE: _rows(SmartSelfieCompare),
    Product.DOCUMENT_VERIFICATION: _rows(DocumentVerification),
    Product.BIOMETRIC_KYC: _rows(BiometricKyc),
    # Document Verification's rows, its 0811 replaced by the one with the authority's reason.
    Product.ENHANCED_DOCUMENT_VERIFICATION: (
        *(row for row in _rows(DocumentVerification) if row is not DocumentVerification.REJECTED),
        *_rows(EnhancedDocumentVerification),
    ),
}


def find_entry(product: Product, code: str, text: str) -> ResultEntry:
    """The row of ``product`` that answers ``code`` with ``text`` (a reason filled in or not)."""
    for entry in CATALOGUE[product]:
        if entry.code == code and (text == entry.text or text in entry.texts()):
            return entry
    raise KeyError(f"{product.value}: no result {code} {text!r} in the catalogue")


class Action(StrEnum):
    """Keys of the ``Actions`` object (api-reference §4.3)."""

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
    """Values of the ``Actions`` object, spelt as the seeds' tables spell them."""

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
