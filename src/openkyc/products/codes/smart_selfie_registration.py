"""SmartSelfie™ Registration's result codes (job_type 4), from Smile ID's documentation's "Result Codes and Texts
Specific to Registering a User"."""

from __future__ import annotations

from openkyc.products.codes import shared
from openkyc.products.codes.rows import Outcome, ResultEntry, approved, rejected, request_error


class SmartSelfieRegistration:
    """SmartSelfie™ Registration (job_type 4)."""

    SYSTEM_ERROR_REQUEST = request_error("2201", "System Error")
    INVALID_JSON = request_error("2203", "Error - Invalid JSON", shared.INVALID_JSON)
    WRONG_DATA_TYPE = request_error(
        "2204", "Error - A parameter is of the wrong data type", shared.WRONG_TYPE
    )
    NOT_AUTHORISED = request_error("2205", "Error - You are not authorized to do that.", shared.BAD_SIGNATURE)
    ALREADY_ENROLLED = request_error(
        "2209",
        "Error - User is already enrolled",
        "The job was run with a duplicate user_id. Send the job with a unique user_id.",
    )
    INVALID_JOB_TYPE = request_error(
        "2212",
        "Error - Invalid job type",
        "An invalid value was inputted in the job_type key. Change the value to 4.",
    )
    MISSING_PARAMETER = request_error("2213", "Error - A required parameter is missing", shared.MISSING)
    PRODUCT_NOT_ACTIVATED = request_error(
        "2214", "Error - Product not activated for this account", shared.NOT_ACTIVATED
    )
    INVALID_PRODUCT = request_error(
        "2217",
        "Error - Invalid Product",
        "Update the job_type to 4 and ensure you have send all the required request values for this product.",
    )
    PRODUCTION_NOT_ENABLED = request_error(
        "2220", "Error - Production is not enabled for this account.", shared.NO_KYC
    )
    INVALID_TOKEN = request_error("2221", "Error - Invalid token", shared.BAD_TOKEN)

    DATA_INVALID = rejected("0001", "Data Invalid", shared.DATA_INVALID)
    UNZIP_FAILED = rejected("0001", "Data Invalid - Unable to extract zip file", shared.UNZIP)
    SYSTEM_ERROR = rejected("0001", "System Error", shared.UNKNOWN_ERROR)
    MACHINE_PASS = approved(
        "0840",
        "Enroll User",
        "Machine passed Selfie - no spoof detected and image contains a face.",
        judgement="PASS - Machine Judgement",
    )
    MACHINE_FAIL_SPOOF = rejected(
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
    NO_FACE = rejected(
        "0941",
        "FAIL - No Face Found",
        "There was no face found in the uploaded selfie. Upload an image with a face.",
        judgement="FAIL - No Face Found",
    )
    POOR_QUALITY = rejected(
        "0942",
        "FAIL - Image Quality Judged Too Poor",
        "The uploaded selfie quality was too poor. Upload a higher quality selfie.",
        judgement="FAIL - Image Quality Judged Too Poor",
    )
    HUMAN_PASS = approved(
        "1240",
        "Enroll User",
        "The human reviewer did not find any fraud attempts on the Selfie.",
        judgement="PASS - Human Judgement",
        human_review=True,
    )
    HUMAN_FAIL_UNUSABLE = rejected(
        "1241",
        "Failed Enroll",
        "The human reviewer marked the Selfie as unusable either because the Selfie is too dark or too blurry",
        judgement="FAIL - Image Unusable",
        human_review=True,
    )
    HUMAN_FAIL_SPOOF = rejected(
        "1242",
        "Failed Enroll",
        shared.SPOOF_REVIEW,
        judgement="Spoof detected - Human Judgement",
        human_review=True,
    )
