"""SmartSelfie™ Compare's result codes (v2), from its Smile ID's documentation table."""

from __future__ import annotations

from openkyc.products.codes import shared
from openkyc.products.codes.rows import approved, rejected, request_error


class SmartSelfieCompare:
    """SmartSelfie™ Compare (v2, synchronous: no provisional results and no human review)."""

    DATA_INVALID = rejected("0001", "Data Invalid", shared.DATA_INVALID)
    SYSTEM_ERROR = rejected("0001", "System Error", shared.UNKNOWN_ERROR)
    FACE_MATCH = approved("0840", "Face Match", "Comparison between the images matched.")
    NO_FACE_MATCH = rejected(
        "0841", "No Match - - No Face Match", "Images did not match and therefore job was rejected."
    )
    IDENTICAL_IMAGES = rejected(
        "0941",
        "No Match - The compared images are identical.",
        "The comparison image and selfie image are identical or the same image",
    )
    NO_FACE_IN_SELFIE = rejected(
        "0941",
        "No Match - No clear face was found in the selfie image. (1st image - selfie).",
        "There were issues with the selfie_image",
    )

    SYSTEM_ERROR_REQUEST = request_error("2201", "System Error")
    WRONG_DATA_TYPE = request_error(
        "2204", "Error - A parameter is of the wrong data type", shared.WRONG_TYPE
    )
    NOT_AUTHORISED = request_error("2205", "Error - You are not authorized to do that", shared.BAD_SIGNATURE)
    ALREADY_ENROLLED = request_error(
        "2209",
        "Wrong job type. This user is already enrolled.",
        "This user is already enrolled. use a unique user Id or allow_new_enroll",
    )
    PRODUCT_NOT_ACTIVATED = request_error(
        "2214", "Error - Product not activated for this account", shared.NOT_ACTIVATED
    )
    JOB_EXISTS = request_error(
        "2215",
        "Error - Job already exists for job_id",
        "An existing job_id was inputted. Enter a unique job id.",
    )
    PRODUCTION_NOT_ENABLED = request_error(
        "2220", "Error - Production is not enabled for this account", shared.NO_KYC
    )
    INPUTS_INCORRECT = request_error(
        "2413",
        "Inputs submitted are incorrect",
        "There are errors with the required inputs eg. Liveness images or comparison images",
    )
