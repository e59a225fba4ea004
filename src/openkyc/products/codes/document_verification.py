"""Document Verification's result codes (job_type 6): Smile ID's documentation's "General Failures", "Product
Specific" and "Human Review Rejection" tables."""

from __future__ import annotations

from enum import StrEnum

from openkyc.products.codes.rows import Outcome, ResultEntry, approved, rejected, request_error


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
    DATA_INVALID = rejected("0001", "Data Invalid", "Uploaded zip is corrupted")
    IMAGES_CORRUPT = rejected(
        "0001",
        "Data Invalid - Images corrupt or not present",
        "info.json lists an image file that was not included in the zip",
    )
    ID_CARD_NOT_PROVIDED = rejected(
        "0001", "ID Card image not provided", "There was no ID card image submitted with the job"
    )
    SELFIE_UNUSABLE = rejected(
        "0001",
        "Unable to Verify Document - Selfie unusable",
        "Selfie image quality too poor and couldn't be processed by system",
    )
    ID_CARD_UNUSABLE = rejected(
        "0001",
        "Unable to Verify Document - ID Card image unusable",
        "Document image quality too poor and couldn't be processed by system",
    )
    SYSTEM_ERROR = rejected("0001", "System Error", "A system error occurred")
    ZIP_CORRUPT = rejected("0903", "Zip Corrupt", "The uploaded Zip file is corrupted.")
    NOT_AUTHORISED_QUOTED = request_error(
        "2405",
        'Error - "You are not authorised to do that"',
        "An invalid signature was used to sign the request.",
    )
    NO_ZIP = request_error("2314", "Error - No Zip File Received", "No Zip files was uploaded.")
    INVALID_JSON = request_error(
        "2203",
        "Error - Invalid JSON",
        "The info.json file in the Zip is not properly structured. Ensure all keys are present and properly named.",
    )
    MISSING_PARAMETER = request_error(
        "2213",
        "Error - A required parameter is missing",
        "Not all the required keys were submitted in the info.json or request payload. Please check request "
        "values for this product.",
    )
    WRONG_DATA_TYPE = request_error(
        "2204",
        "Error - A parameter is of the wrong data type",
        "The format of one of the request values was wrong. Please check request values for this product.",
    )
    NOT_AUTHORISED = request_error(
        "2205",
        "Error - You are not authorised to do that.",
        "An invalid signature was used to sign the request. Please ensure you are using the correct signature "
        "for the environment (ie: sandbox vs production)",
    )
    PRODUCTION_NOT_ENABLED = request_error(
        "2220",
        "Error - Production is not enabled for this account. Please complete your KYC with Smile ID.",
        "You have not completed your KYC.",
    )
    INVALID_JOB_TYPE = request_error(
        "2212",
        "Error - Invalid job type",
        "An invalid value was inputted in the job_type key. Change the value to 6.",
    )
    ALREADY_ENROLLED = request_error(
        "2209",
        "Error - Wrong user id. This user is already enrolled with user_id",
        "An existing user_id was inputted. Enter a unique user id.",
    )
    JOB_EXISTS = request_error(
        "2215",
        "Error - Job already exists for job_id",
        "An existing job_id was inputted. Enter a unique job id.",
    )

    # Product specific.
    VERIFIED = approved(
        "0810",
        "Document Verified",
        "Images matched, no spoof was detected on Selfie and the document is valid.",
    )
    REJECTED = rejected(
        "0811",
        "Unable to Verify Document - reason",
        "Document image was usable but document verification failed due to any of the following reasons: "
        "- The selfie did not match the photo on document - Selfie failed liveness checks - Some security "
        "features were missing on the document - The information on document is inconsistent i.e. the MRZ "
        "information did not match the OCR'ed information - A wrong document type was uploaded - Based on the "
        "Date of Birth on the document, the subject is under 18 years old",
        reasons=tuple(DocvRejection),
    )
    UNVERIFIED = rejected(
        "0812",
        "Unable to verify Document - reason",
        "Document verification failed because the document wasn't classified by system or an invalid document "
        "image was uploaded e.g. work ID card",
        reasons=tuple(DocvUnverified),
    )
    UNSUPPORTED_DOCUMENT = rejected(
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
    UNSUPPORTED_ID_TYPE = rejected(
        "1014",
        "Unsupported ID Type",
        "The country_code and or the id_type in the info.json file is not supported, please use any of the "
        "supported country_codes and id_types in the documentation",
    )
    # The Document Verification page defines no provisional code: it says results are sent once the
    # reviewers decide. A job waiting for them still needs a result in job_status and history; the
    # documentation's job_status sample shows the 081x family's provisional row for that (Biometric KYC's
    # 0814, whose 0810-0812 share their numbers with this product), so that row is the closest.
    UNDER_REVIEW = ResultEntry(
        "0814",
        "Provisional Enroll - Under Review",
        "Awaiting a human reviewer's decision (Smile ID's documentation, job_status history sample).",
        Outcome.PROVISIONAL,
        category="Provisionally Approved",
    )

    # Human review rejections.
    REVIEW_CROPPED = rejected(
        "0811",
        "Unable to Verify Document After Human Review (Cropped Document)",
        "Image of the document is cropped to the extent that it is missing key elements to identify authenticity",
        human_review=True,
    )
    REVIEW_NOT_A_DOCUMENT = rejected(
        "0811",
        "Unable to Verify Document After Human Review (Not A Document)",
        "Any image other than a document (an object, the environment etc.) was submitted",
        human_review=True,
    )
    REVIEW_POTENTIAL_FRAUD = rejected(
        "0811",
        "Unable to Verify Document After Human Review (Potential Fraud Attempt)",
        "Photo of photo, or visible alteration and manipulation of the document",
        human_review=True,
    )
    REVIEW_UNREADABLE = rejected(
        "0811",
        "Unable to Verify Document After Human Review (Unreadable Document)",
        "Blurry/damaged document or cannot see key details on the document",
        human_review=True,
    )
    REVIEW_UNSUPPORTED = rejected(
        "0811",
        "Unable to Verify Document After Human Review (Unsupported Document)",
        "A document type we do not currently support was submitted",
        human_review=True,
    )
    REVIEW_WRONG_TYPE = rejected(
        "0811",
        "Unable to Verify Document After Human Review (Wrong Document Type)",
        "The wrong document type was selected on job submission",
        human_review=True,
    )
