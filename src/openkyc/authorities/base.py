"""The authority interface: a look-up request and the adapter protocol (the record it returns and
the typed failures are openkyc.products.authority's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from openkyc.products.authority import AuthorityRecord


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
