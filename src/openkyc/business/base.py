"""The business-registry interface: a look-up request, the record it returns, the typed failures.

It mirrors :mod:`openkyc.authorities.base` (the person authorities) and reuses its failures, so
callers handle both kinds of look-up alike. Real registries (Nigeria's CAC and FIRS, Kenya's BRS
and KRA, South Africa's CIPC, ...) plug in behind :class:`BusinessRegistry`; this server ships the
sandbox one (:mod:`openkyc.business.sandbox`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from openkyc.products.authority import AuthorityUnavailable, InvalidIdNumber, LookupFailure, RecordNotFound

__all__ = [
    "AuthorityUnavailable",
    "BusinessLookup",
    "BusinessRecord",
    "BusinessRegistry",
    "CompanyInformation",
    "InvalidIdNumber",
    "LookupFailure",
    "Party",
    "RecordNotFound",
]


@dataclass(frozen=True)
class BusinessLookup:
    """What the partner asked for; ``business_type`` is None where the ID type needs none."""

    country: str
    id_type: str
    id_number: str
    business_type: str | None = None
    environment: str = "sandbox"


@dataclass(frozen=True)
class CompanyInformation:
    """The registry's entry for the company; None where the registry returns nothing."""

    legal_name: str | None = None
    company_type: str | None = None
    country: str | None = None
    address: str | None = None
    registration_number: str | None = None
    search_number: str | None = None
    authorized_shared_capital: str | None = None
    industry: str | None = None
    tax_id: str | None = None
    registration_date: str | None = None
    phone: str | None = None
    state: str | None = None
    email: str | None = None
    status: str | None = None

    def wire(self) -> dict[str, str | None]:
        """Every key of the response's ``company_information``, in the fixture's order."""
        order = (
            "company_type", "country", "address", "registration_number", "search_number",
            "authorized_shared_capital", "industry", "tax_id", "registration_date", "phone",
            "legal_name", "state", "email", "status",
        )  # fmt: skip
        return {name: getattr(self, name) for name in order}


@dataclass(frozen=True)
class Party:
    """A person or entity attached to the business (director, owner, fiduciary, proprietor).

    Registries fill different subsets, so only the fields they returned go on the wire.
    """

    name: str
    id_number: str | None = None
    id_type: str | None = None
    address: str | None = None
    gender: str | None = None
    nationality: str | None = None
    date_of_birth: str | None = None
    occupation: str | None = None
    phone_number: str | None = None
    shareholdings: str | None = None
    shareholder_type: str | None = None
    registration_number: str | None = None
    fiduciary_type: str | None = None
    status: str | None = None

    def wire(self) -> dict[str, str]:
        return {f.name: value for f in fields(self) if (value := getattr(self, f.name)) is not None}


@dataclass(frozen=True)
class BusinessRecord:
    """The business as the registry has it."""

    company: CompanyInformation
    directors: tuple[Party, ...] = ()
    beneficial_owners: tuple[Party, ...] = ()
    fiduciaries: tuple[Party, ...] = ()
    proprietors: tuple[Party, ...] = ()
    search_certificate: str = ""  # a link or base64 document where the registry issues one
    full_data: dict[str, Any] = field(default_factory=dict, repr=False)  # the registry's raw answer


class BusinessRegistry(Protocol):
    """A business-registry adapter: one look-up, a record or a :class:`LookupFailure`."""

    name: str

    def lookup(self, request: BusinessLookup) -> BusinessRecord: ...
