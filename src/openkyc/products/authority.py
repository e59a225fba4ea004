"""What an ID look-up answers, as the look-up products read it: the holder's record, or a typed failure.

The authority adapters (openkyc.authorities) produce these and the business registries reuse the
failures; they live here, with the products that decide on them, because products sit below every
domain package (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AuthorityRecord:
    """The holder's record as the authority has it; None where the authority returns nothing."""

    full_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    dob: str | None = None
    gender: str | None = None
    phone_number: str | None = None
    phone_number2: str | None = None
    address: str | None = None
    expiration_date: str | None = None
    issuance_date: str | None = None
    secondary_id_number: str | None = None
    photo: bytes | None = field(default=None, repr=False)  # JPEG/PNG; Biometric KYC compares with it
    full_data: dict[str, Any] = field(default_factory=dict, repr=False)  # the authority's raw answer


class LookupFailure(Exception):
    """The look-up did not return a record. ``retryable``: trying later may succeed, and such a
    look-up is not charged (the authority being down is not the partner's doing)."""

    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RecordNotFound(LookupFailure):
    """The authority has no record for this number."""


class InvalidIdNumber(LookupFailure):
    """The number is not a valid number of this ID type (or not accepted in this environment)."""


class AuthorityUnavailable(LookupFailure):
    """The authority could not be reached or answered with an error."""

    retryable = True
