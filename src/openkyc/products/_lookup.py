"""What the look-up products (Biometric KYC, Enhanced Document Verification) read alike from a
failed ID look-up: its result row and its Verify_ID_Number value."""

from __future__ import annotations

from openkyc.products.authority import InvalidIdNumber, LookupFailure
from openkyc.products.catalogue import ActionValue
from openkyc.products.codes.id_lookup import IdLookup as Codes
from openkyc.products.codes.rows import ResultEntry


def failure_entry(failure: LookupFailure) -> ResultEntry:
    """1015 for a retryable failure, 1014 for a refused number, else 1013 (the rows both products
    share)."""
    if failure.retryable:
        return Codes.AUTHORITY_UNAVAILABLE
    if isinstance(failure, InvalidIdNumber):
        return Codes.INVALID_ID_NUMBER
    return Codes.ID_NOT_FOUND  # RecordNotFound, or a failure no adapter has named


def verify_value(failure: LookupFailure) -> ActionValue:
    return ActionValue.ISSUER_UNAVAILABLE if failure.retryable else ActionValue.NOT_VERIFIED
