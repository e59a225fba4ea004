"""The authority interface: a look-up request, the record it returns, and the typed failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class LookupRequest:
    """What the partner supplied about the person (only ``country``, ``id_type``, ``id_number`` are
    always there) and its ``partner_params`` (the sandbox reads custom data from them)."""

    country: str
    id_type: str
    id_number: str
    environment: str = "sandbox"
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    dob: str | None = None  # YYYY-MM-DD
    gender: str | None = None
    phone_number: str | None = None
    partner_params: dict[str, Any] = field(default_factory=dict, repr=False)


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


class Authority(Protocol):
    """An ID authority adapter: one look-up, a record or a :class:`LookupFailure`."""

    name: str

    def lookup(self, request: LookupRequest) -> AuthorityRecord: ...


def split_full_name(full_name: str) -> tuple[str, str | None, str]:
    """(first, middle, last) of a full name, as Smile ID's documentation derives FirstName/MiddleName/LastName:
    the first word, the words between, the last word."""
    words = full_name.split()
    if not words:
        return "", None, ""
    if len(words) == 1:
        return words[0], None, ""
    middle = " ".join(words[1:-1]) or None
    return words[0], middle, words[-1]
