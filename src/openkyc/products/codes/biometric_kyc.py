"""Biometric KYC's result codes (job_type 1). Smile ID's documentation prints no table for it: each row says where it
comes from."""

from __future__ import annotations

from openkyc.products.codes import shared
from openkyc.products.codes.id_lookup import IdLookup
from openkyc.products.codes.rows import Outcome, inferred

# Where the rows below come from. Smile ID's documentation prints no Biometric KYC table; they show its codes in
# the job_status history sample (1012 "ID Validated", 0814 "Provisional Enroll - Under Review",
# 1210 "Enroll User") and compatibility §11 names 0810/0811/0812/0814 its approve / reject /
# provisional family. The other rows follow the pattern of the SmartSelfie tables Smile ID's documentation does
# print (08x0 machine pass, 08x1 machine fail, 09x1/09x2 no face / poor quality, 12x0-12x2 a
# reviewer's pass / compare fail / spoof), with those tables' texts.
_HISTORY_SAMPLE = "Smile ID's documentation, job_status history sample of a job_type 1 job"
_FAMILY = "inferred from the SmartSelfie tables' numbering (08x0/08x1/09x1/09x2/12x0-12x2)"


class BiometricKyc:
    """Biometric KYC (job_type 1): an ID look-up, and the selfie compared with the authority's
    photo (or the ID card's) after the SmartSelfie liveness checks."""

    DATA_INVALID = inferred("0001", "Data Invalid", shared.DATA_INVALID, Outcome.REJECTED, _FAMILY)
    IMAGES_CORRUPT = inferred(
        "0001",
        "Data Invalid - Images corrupt or not present",
        "info.json lists an image file that was not included in the zip",
        Outcome.REJECTED,
        "Smile ID's documentation, Document Verification general failures",
    )
    UNZIP_FAILED = inferred(
        "0001", "Data Invalid - Unable to extract zip file", shared.UNZIP, Outcome.REJECTED, _FAMILY
    )
    SYSTEM_ERROR = inferred("0001", "System Error", shared.UNKNOWN_ERROR, Outcome.REJECTED, _FAMILY)
    NO_AUTHORITY_PHOTO = inferred(
        "0001",
        "ID Authority image not available",
        "There was no photo returned by the ID authority for the submitted ID number, and no ID card "
        "image was submitted to compare the selfie with.",
        Outcome.REJECTED,
        "the platform's general result codes (0001 family)",
    )
    MACHINE_PASS = inferred(
        "0810",
        "Enroll User",
        "The ID number was validated and the selfie matched the ID photo; no spoof was detected.",
        Outcome.APPROVED,
        "compatibility §11 (0810 approves), with the text of 1210 in the documentation's job_status history sample",
        judgement="Machine Judgement - PASS",
    )
    MACHINE_FAIL = inferred(
        "0811",
        "Failed Enroll",
        "The selfie did not match the ID photo, or failed the liveness checks.",
        Outcome.REJECTED,
        _FAMILY,
        judgement="Machine Judgement - FAIL",
    )
    UNDER_REVIEW = inferred(
        "0814",
        "Provisional Enroll - Under Review",
        "The machine could not settle the comparison or the liveness check: a reviewer decides.",
        Outcome.PROVISIONAL,
        _HISTORY_SAMPLE,
    )
    NO_FACE = inferred(
        "0911",
        "FAIL - No Face Found",
        "There was no face found in the uploaded selfie. Upload an image with a face.",
        Outcome.REJECTED,
        _FAMILY,
        judgement="FAIL - No Face Found",
    )
    POOR_QUALITY = inferred(
        "0912",
        "FAIL - Image Quality Judged Too Poor",
        "The uploaded selfie quality was too poor. Upload a higher quality selfie.",
        Outcome.REJECTED,
        _FAMILY,
        judgement="FAIL - Image Quality Judged Too Poor",
    )
    # The ID look-up's failures: their one home is the ID look-up's table.
    ID_NOT_FOUND = IdLookup.ID_NOT_FOUND
    INVALID_ID_NUMBER = IdLookup.INVALID_ID_NUMBER
    AUTHORITY_UNAVAILABLE = IdLookup.AUTHORITY_UNAVAILABLE
    RATE_LIMITED = IdLookup.RATE_LIMITED
    HUMAN_PASS = inferred(
        "1210",
        "Enroll User",
        "The human reviewer marked that the selfie and the ID photo are of the same person.",
        Outcome.APPROVED,
        _HISTORY_SAMPLE,
        judgement="Human Judgement - PASS",
        human_review=True,
    )
    HUMAN_FAIL_COMPARE = inferred(
        "1211",
        "Failed Enroll",
        "The human reviewer marked that the selfie and the ID photo are different persons.",
        Outcome.REJECTED,
        _FAMILY,
        judgement="Human Judgement - FAIL - Human Compare Failed",
        human_review=True,
    )
    HUMAN_FAIL_SPOOF = inferred(
        "1212",
        "Failed Enroll",
        shared.SPOOF_REVIEW,
        Outcome.REJECTED,
        _FAMILY,
        judgement="Human Judgement - FAIL - Spoof Detected",
        human_review=True,
    )
