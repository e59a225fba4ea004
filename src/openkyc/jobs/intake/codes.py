"""Smile ID v1 result codes the intake answers with (compatibility §11).

The SDKs only surface these codes to partners, so intake keeps to the documented ones; finer
detail for logs and tests travels in :attr:`IntakeError.reason`. Each code is named here and
written in its family's one home: the request errors in :mod:`openkyc.api_errors`, the job's
general failure (0001, which every product's table has) in :mod:`openkyc.products.codes`.
"""

from typing import Final

from openkyc import api_errors
from openkyc.products.codes.document_verification import DocumentVerification

# Corrupt or unusable zip, a referenced image that is missing, or an image that cannot be decoded.
DATA_INVALID: Final = DocumentVerification.DATA_INVALID.code
# info.json is not JSON (or not a JSON object).
INVALID_JSON: Final = api_errors.INVALID_JSON.code
# A field is present but holds the wrong type (or an out-of-range value, e.g. image_type_id 9).
WRONG_DATA_TYPE: Final = api_errors.WRONG_DATA_TYPE.code
# A required field is absent, null or empty.
MISSING_PARAMETER: Final = api_errors.MISSING_PARAMETER.code
# The upload body is empty or is not a zip at all.
NO_ZIP_FILE: Final = api_errors.NO_ZIP.code

ALL_CODES: Final = frozenset({DATA_INVALID, INVALID_JSON, WRONG_DATA_TYPE, MISSING_PARAMETER, NO_ZIP_FILE})
# The codes that are a job's result (its final, rejected result and callback) rather than an answer
# to the upload request: a corrupt zip or image. The rest refuse the request.
JOB_RESULT_CODES: Final = frozenset({DATA_INVALID})
