"""Result codes, texts and the shared parts of an ID verification job result.

Texts: Smile ID's documentation gives no Enhanced/Basic KYC table. 1012 "ID Number Validated" is the text
compatibility §4.4 gives for this endpoint (the documentation's "ID Validated" is a Biometric KYC history
entry); 1014 "Unsupported ID number format" is quoted in §10.2; 1013, 1015 and the Basic KYC
family 1020/1021/1022 (§11: "exact/partial/no match") are our own clear wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from openkyc.authorities.base import AuthorityUnavailable, InvalidIdNumber, LookupFailure, RecordNotFound

JSON_VERSION = "1.0.0"
# Java decodes result objects by ResultType; "ID Verification" is the value it knows (§4.3).
RESULT_TYPE = "ID Verification"
SOURCE = "ID API"
NOT_AVAILABLE = "Not Available"


@dataclass(frozen=True)
class ResultCode:
    code: str
    text: str


ID_VALIDATED = ResultCode("1012", "ID Number Validated")
ID_NOT_FOUND = ResultCode("1013", "ID Number Not Found")
INVALID_ID_NUMBER = ResultCode("1014", "Unsupported ID number format")
AUTHORITY_UNAVAILABLE = ResultCode("1015", "ID Authority Unavailable")
EXACT_MATCH = ResultCode("1020", "Exact Match")
PARTIAL_MATCH = ResultCode("1021", "Partial Match")
NO_MATCH = ResultCode("1022", "No Match")


class VerifyIdNumber(StrEnum):
    """``Actions.Verify_ID_Number`` values (the Android SDK's Actions enum, compatibility §4.3)."""

    VERIFIED = "Verified"
    NOT_VERIFIED = "Not Verified"
    ISSUER_UNAVAILABLE = "Issuer Unavailable"


def failure_code(failure: LookupFailure) -> ResultCode:
    if isinstance(failure, InvalidIdNumber):
        return INVALID_ID_NUMBER
    if isinstance(failure, AuthorityUnavailable) or failure.retryable:
        return AUTHORITY_UNAVAILABLE
    if isinstance(failure, RecordNotFound):
        return ID_NOT_FOUND
    return ID_NOT_FOUND


def failure_action(failure: LookupFailure) -> VerifyIdNumber:
    return VerifyIdNumber.ISSUER_UNAVAILABLE if failure.retryable else VerifyIdNumber.NOT_VERIFIED


def result_head(code: ResultCode, actions: dict[str, str]) -> dict[str, Any]:
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
