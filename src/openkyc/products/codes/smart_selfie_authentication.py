"""SmartSelfie™ Authentication's result codes (job_type 2), from its Smile ID's documentation table."""

from __future__ import annotations

from openkyc.products.codes import shared
from openkyc.products.codes.rows import Outcome, ResultEntry, approved, rejected, request_error


class SmartSelfieAuthentication:
    """SmartSelfie™ Authentication (job_type 2)."""

    SYSTEM_ERROR_REQUEST = request_error("2201", "System Error")
    INVALID_JSON = request_error("2203", "Error - Invalid JSON", shared.INVALID_JSON)
    WRONG_DATA_TYPE = request_error(
        "2204", "Error - A parameter is of the wrong data type", shared.WRONG_TYPE
    )
    NOT_AUTHORISED = request_error("2205", "Error - You are not authorized to do that", shared.BAD_SIGNATURE)
    USER_DISABLED = request_error(
        "2207",
        "Error - Enrolled user is disabled",
        "You attempted authenticating a disabled user, enable the user then re-run the job or send the "
        "user_id of an active user.",
    )
    USER_DELETED = request_error(
        "2208",
        "Error - Enrolled user was deleted from the system",
        "You attempted authenticating a deleted user, send the user_id of an active user or re-enroll the user.",
    )
    NO_ENROLLED_USER = request_error(
        "2210",
        "Error - No enrolled user found",
        "The user_id does not belong to an enrolled user. Confirm the user_id then re-run the authentication.",
    )
    RE_ENROLMENT_REQUIRED = request_error(
        "2211",
        "Error - Enrolled user must complete re-enrollment",
        "Ther user_id has been flagged for re-enrollment. Either turn off the re-enrollment flag or re-enroll "
        "the user before attempting to authentication.",
    )
    INVALID_JOB_TYPE = request_error(
        "2212",
        "Error - Invalid job type",
        "An invalid value was inputted in the job_type key. Change the value to 2.",
    )
    MISSING_PARAMETER = request_error("2213", "Error - A required parameter is missing", shared.MISSING)
    PRODUCT_NOT_ACTIVATED = request_error(
        "2214", "Error - Product not activated for this account", shared.NOT_ACTIVATED
    )
    JOB_EXISTS = request_error(
        "2215",
        "Error - Job already exists for job_id",
        "An existing job_id was inputted. Enter a unique job id.",
    )
    NO_PHOTO_ON_FILE = request_error(
        "2216",
        "Error - Enrolled user does not have a photo on file",
        "The user_id does not have a selfie on file. Before you can authenticate, you need to perform either "
        "a Document Verification, Biometric Registration or SmartSelfie™ Registration job for the user_id.",
    )
    INVALID_PRODUCT = request_error(
        "2217",
        "Error - Invalid Product",
        "Update the job_type to 2 and ensure you have send all the required request values for this product.",
    )
    PRODUCTION_NOT_ENABLED = request_error(
        "2220", "Error - Production is not enabled for this account", shared.NO_KYC
    )
    INVALID_TOKEN = request_error("2221", "Error - Invalid token", shared.BAD_TOKEN)

    DATA_INVALID = rejected("0001", "Data Invalid", shared.DATA_INVALID)
    UNZIP_FAILED = rejected("0001", "Data Invalid - Unable to extract zip file", shared.UNZIP)
    SYSTEM_ERROR = rejected("0001", "System Error", shared.UNKNOWN_ERROR)
    MACHINE_PASS = approved(
        "0820",
        "Authenticate User",
        "Comparison between the images matched.",
        judgement="Machine Judgement - PASS",
    )
    MACHINE_FAIL_COMPARISON = rejected(
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
    MACHINE_FAIL_SPOOF = rejected(
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
    NO_FACE = rejected(
        "0921",
        "FAIL - No Face Found",
        "There was no face found in the uploaded selfie. Upload an image with a face.",
        judgement="FAIL - No Face Found",
    )
    POOR_QUALITY = rejected(
        "0922",
        "FAIL - Image Quality Judged Too Poor",
        "The uploaded selfie quality was too poor. Upload a higher quality selfie.",
        judgement="FAIL - Image Quality Judged Too Poor",
    )
    # The page's sample response answers 1220 with "Authenticated"; its table says "Authenticate
    # User". The table is the list of texts, so it wins.
    HUMAN_PASS = approved(
        "1220",
        "Authenticate User",
        "The document reviewer marked that both images are of the same person.",
        judgement="Human Judgement - PASS",
        human_review=True,
    )
    HUMAN_FAIL_COMPARE = rejected(
        "1221",
        "Failed Authentication",
        "The document reviewer marked that both images are different persons.",
        judgement="Human Judgement - FAIL - Human Compare Failed",
        human_review=True,
    )
    HUMAN_FAIL_SPOOF = rejected(
        "1222",
        "Failed Authentication",
        "The document reviewer detected a possible fraud attempt on the Selfie - This can be a fraud attempt "
        "or some times images are too blurry or dark in the liveness check to make a decision.",
        judgement="Human Judgement - FAIL - Spoof Detected",
        human_review=True,
    )
