"""Smile ID v1 result codes the intake answers with (compatibility §11).

The SDKs only surface these codes to partners, so intake keeps to the documented ones; finer
detail for logs and tests travels in :attr:`IntakeError.reason`.
"""

from typing import Final

# Corrupt or unusable zip, a referenced image that is missing, or an image that cannot be decoded.
DATA_INVALID: Final = "0001"
# info.json is not JSON (or not a JSON object).
INVALID_JSON: Final = "2203"
# A field is present but holds the wrong type (or an out-of-range value, e.g. image_type_id 9).
WRONG_DATA_TYPE: Final = "2204"
# A required field is absent, null or empty.
MISSING_PARAMETER: Final = "2213"
# The upload body is empty or is not a zip at all.
NO_ZIP_FILE: Final = "2314"

ALL_CODES: Final = frozenset({DATA_INVALID, INVALID_JSON, WRONG_DATA_TYPE, MISSING_PARAMETER, NO_ZIP_FILE})
