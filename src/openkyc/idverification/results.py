"""The shared parts of an ID verification job result (Enhanced and Basic KYC).

Its codes and texts are the ID look-up's family, whose one home is
:class:`openkyc.products.codes.id_lookup.IdLookup` (Biometric KYC and Enhanced Document Verification
answer with the same rows).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from openkyc.products.authority import AuthorityUnavailable, InvalidIdNumber, LookupFailure, RecordNotFound
from openkyc.products.codes.id_lookup import IdLookup
from openkyc.products.codes.rows import ResultEntry

JSON_VERSION = "1.0.0"
# Java decodes result objects by ResultType; "ID Verification" is the value it knows (§4.3).
RESULT_TYPE = "ID Verification"
SOURCE = "ID API"
NOT_AVAILABLE = "Not Available"


class VerifyIdNumber(StrEnum):
    """``Actions.Verify_ID_Number`` values (the Android SDK's Actions enum, compatibility §4.3)."""

    VERIFIED = "Verified"
    NOT_VERIFIED = "Not Verified"
    ISSUER_UNAVAILABLE = "Issuer Unavailable"


def failure_code(failure: LookupFailure) -> ResultEntry:
    if isinstance(failure, InvalidIdNumber):
        return IdLookup.INVALID_ID_NUMBER
    if isinstance(failure, AuthorityUnavailable) or failure.retryable:
        return IdLookup.AUTHORITY_UNAVAILABLE
    if isinstance(failure, RecordNotFound):
        return IdLookup.ID_NOT_FOUND
    return IdLookup.ID_NOT_FOUND


def failure_action(failure: LookupFailure) -> VerifyIdNumber:
    return VerifyIdNumber.ISSUER_UNAVAILABLE if failure.retryable else VerifyIdNumber.NOT_VERIFIED


def result_head(code: ResultEntry, actions: dict[str, str]) -> dict[str, Any]:
    """The keys every ID verification result starts with (SmileJobID/PartnerParams come from the job)."""
    return {
        "JSONVersion": JSON_VERSION,
        "ResultType": RESULT_TYPE,
        "ResultText": code.text,
        "ResultCode": code.code,
        "IsFinalResult": "true",  # strings, as Smile ID's documentation sends them
        "IsMachineResult": "true",
        "Actions": actions,
    }
