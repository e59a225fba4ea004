"""Descriptions several result-code tables print alike (the SmartSelfie tables, and Biometric KYC's
rows, which follow them), written once."""

SPOOF_REVIEW = (
    "The human reviewer detected a possible fraud attempt on the Selfie - This can be a fraud attempt or "
    "some times images are too blurry or dark in the liveness check to make a decision."
)
DATA_INVALID = "One of the required input is invalid."
UNZIP = (
    "There an an error encountered while attempting to extract the zip file. Confirm the images and "
    "info.json were archived properly and re-run the job."
)
UNKNOWN_ERROR = "An unknown system error occurred while processing the job."
INVALID_JSON = "The info.json file in the Zip is not properly structured. Ensure all keys are present and properly named."
WRONG_TYPE = (
    "The format of one of the request values was wrong. Please check request values for this product."
)
BAD_SIGNATURE = (
    "An invalid signature was used to sign the request. Read more on how to troubleshoot this error here."
)
MISSING = (
    "Not all the required keys were submitted in the info.json or request payload. Please check request "
    "values for this product."
)
NOT_ACTIVATED = "Product is deactivated on your account. Contact support to activate the product."
NO_KYC = "You have not completed your KYC. Please complete your KYC with Smile ID."
BAD_TOKEN = "Only applicable to Web SDK jobs. Generate a valid token and re-run the job."  # noqa: S105 - a message
