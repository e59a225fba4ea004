"""The local business registry: companies an operator imports from JSON lines, encrypted at rest.

The business counterpart of :mod:`openkyc.authorities.registry`: an installation that holds its
own company records verifies businesses against them with production keys. One business per line::

    {"country": "NG", "id_type": "BUSINESS_REGISTRATION", "id_number": "RC123456",
     "business_type": "co", "company_information": {"legal_name": "ACME LIMITED", ...},
     "directors": [{"name": "JOE DOE", ...}], "beneficial_owners": [...], "fiduciaries": [...],
     "proprietors": [...], "search_certificate": "https://..."}

``country``, ``id_type``, ``id_number`` and ``company_information`` (with its ``legal_name``) are
required; ``company_information`` takes the keys of :class:`CompanyInformation`, each party those
of :class:`Party` (``name`` required). Values are strings (null or "" for none). Blank lines are
skipped. A file imports whole or not at all, and an error names the line, never its data.

Registration and basic registration searches read one register (``BUSINESS_REGISTRATION``); a
basic search answers with the company alone, as the sandbox does. Re-importing a number replaces
its record. A stored ``business_type`` must match the request's when both are given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openkyc.authorities.registry import ImportSummary, RegistryImportError
from openkyc.blind_index import BUSINESS_REGISTRY, index_key, normalise_number, number_digest
from openkyc.business.base import (
    BusinessLookup,
    BusinessRecord,
    CompanyInformation,
    InvalidIdNumber,
    Party,
    RecordNotFound,
)
from openkyc.business.models import BusinessRegistryRecord
from openkyc.business.sandbox import outcome_digit
from openkyc.business.supported import (
    BASIC_BUSINESS_REGISTRATION,
    BUSINESS_REGISTRATION,
    BUSINESS_TYPES,
    SUPPORTED,
    is_supported,
)
from openkyc.db import transaction
from openkyc.runtime import Runtime
from openkyc.services.id_types import id_number_type

__all__ = [
    "BusinessImportError",
    "ImportSummary",
    "LocalBusinessRegistry",
    "count_businesses",
    "import_jsonl",
]

COMPANY_FIELDS = tuple(f.name for f in fields(CompanyInformation))
PARTY_FIELDS = tuple(f.name for f in fields(Party))
PARTY_LISTS = ("directors", "beneficial_owners", "fiduciaries", "proprietors")
REQUIRED_KEYS = ("country", "id_type", "id_number", "company_information")
LINE_KEYS = frozenset({*REQUIRED_KEYS, "business_type", *PARTY_LISTS, "search_certificate"})
MAX_NUMBER_LENGTH = 64
_PAIRS = "; ".join(f"{country}: {', '.join(sorted(types))}" for country, types in sorted(SUPPORTED.items()))


class BusinessImportError(RegistryImportError):
    """A JSON line that cannot be imported; the message names the line, never the business's data."""


def register_of(id_type: str) -> str:
    """The register a look-up reads: a basic registration search reads the registration register."""
    return BUSINESS_REGISTRATION if id_type == BASIC_BUSINESS_REGISTRATION else id_type


def number_format_error(country: str, id_type: str, id_number: str) -> str | None:
    """Why ``id_number`` can never be a real number of this type (its documented regex, or a
    sandbox test number), or None. Shared by the import and the look-up."""
    known = id_number_type(country, id_type)
    if known is not None and known.regex is not None and not re.match(known.regex, id_number.strip()):
        return f"does not match the format of {country} {id_type}"
    if outcome_digit(BusinessLookup(country=country, id_type=id_type, id_number=id_number)) is not None:
        return "is a sandbox test number"
    return None


# --- import -----------------------------------------------------------------------------------


_Fail = Callable[[str], BusinessImportError]


@dataclass(frozen=True)
class _Prepared:
    country: str
    register: str
    id_number: str
    record: dict[str, Any]


def import_jsonl(runtime: Runtime, path: Path) -> ImportSummary:
    """Import (or replace) every business in ``path``; nothing is imported if any line is invalid."""
    prepared: dict[tuple[str, str, str], _Prepared] = {}
    for index, raw in enumerate(path.read_bytes().splitlines(), start=1):
        if index == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BusinessImportError(f"line {index}: not valid UTF-8") from None
        if not text.strip():
            continue
        business = _prepare(text, index)
        # A number repeated in the file: the later line wins, as a later import would.
        key = (business.country, business.register, normalise_number(business.id_number))
        prepared[key] = business
    imported = replaced = 0
    digest_key = index_key(runtime.box, BUSINESS_REGISTRY)
    with transaction(runtime.sessions) as session:
        for business in prepared.values():
            digest = number_digest(digest_key, business.id_number, business.country, business.register)
            payload = runtime.box.encrypt(json.dumps(business.record).encode())
            existing = _find(session, business.country, business.register, digest)
            if existing is None:
                session.add(
                    BusinessRegistryRecord(
                        country=business.country,
                        id_type=business.register,
                        number_digest=digest,
                        record_encrypted=payload,
                    )
                )
                imported += 1
            else:
                existing.record_encrypted = payload
                replaced += 1
    return ImportSummary(imported=imported, replaced=replaced)


def _prepare(text: str, line: int) -> _Prepared:
    def fail(message: str) -> BusinessImportError:
        return BusinessImportError(f"line {line}: {message}")

    try:
        data = json.loads(text)
    except ValueError:
        raise fail("not valid JSON") from None
    if not isinstance(data, dict):
        raise fail("must be a JSON object")
    if not LINE_KEYS.issuperset(data):
        raise fail(f"unknown key (allowed: {', '.join(sorted(LINE_KEYS))})")
    country, id_type, id_number = (_text(data, name, fail) for name in ("country", "id_type", "id_number"))
    given = (country, id_type, id_number, data.get("company_information"))
    if any(value is None for value in given):
        missing = [name for name, value in zip(REQUIRED_KEYS, given, strict=True) if value is None]
        raise fail(f"{', '.join(missing)} required")
    if country is None or id_type is None or id_number is None:  # refused just above; for mypy
        raise fail("country, id_type and id_number required")
    country, id_type = country.upper(), id_type.upper()
    if not is_supported(country, id_type):
        raise fail(f"country and id_type must be a supported pair ({_PAIRS})")
    if len(id_number) > MAX_NUMBER_LENGTH:
        raise fail(f"id_number longer than {MAX_NUMBER_LENGTH} characters")
    if (problem := number_format_error(country, id_type, id_number)) is not None:
        raise fail(f"id_number {problem}")
    business_type = _text(data, "business_type", fail)
    if business_type is not None and business_type.lower() not in BUSINESS_TYPES:
        raise fail(f"business_type must be one of {', '.join(sorted(BUSINESS_TYPES))}")
    company = _object(data["company_information"], COMPANY_FIELDS, "company_information", fail)
    if company.get("legal_name") is None:
        raise fail("company_information.legal_name required")
    record: dict[str, Any] = {
        "business_type": business_type.lower() if business_type else None,
        "company_information": company,
        "search_certificate": _text(data, "search_certificate", fail) or "",
    }
    for list_name in PARTY_LISTS:
        entries = data.get(list_name)
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise fail(f"{list_name} must be a list")
        if not all(isinstance(entry, dict) for entry in entries):
            raise fail(f"the entries of {list_name} must be JSON objects")
        parties = [_object(entry, PARTY_FIELDS, list_name, fail) for entry in entries]
        if any(party.get("name") is None for party in parties):
            raise fail(f"every entry of {list_name} needs a name")
        record[list_name] = parties
    return _Prepared(country=country, register=register_of(id_type), id_number=id_number, record=record)


def _text(data: dict[str, Any], name: str, fail: _Fail) -> str | None:
    """A string value stripped, None for null or blank; anything but a string is refused."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise fail(f"{name} must be a string")
    return value.strip() or None


def _object(value: Any, allowed: tuple[str, ...], where: str, fail: _Fail) -> dict[str, str]:
    """A JSON object of the allowed keys with string values; null and blank values are dropped."""
    if not isinstance(value, dict):
        raise fail(f"{where} must be a JSON object")
    if not set(allowed).issuperset(value):
        raise fail(f"unknown key in {where} (allowed: {', '.join(allowed)})")
    cleaned: dict[str, str] = {}
    for name in allowed:
        if (text := _text(value, name, lambda message: fail(f"{where}: {message}"))) is not None:
            cleaned[name] = text
    return cleaned


def _find(session: Session, country: str, register: str, digest: str) -> BusinessRegistryRecord | None:
    return session.scalar(
        select(BusinessRegistryRecord).where(
            BusinessRegistryRecord.country == country,
            BusinessRegistryRecord.id_type == register,
            BusinessRegistryRecord.number_digest == digest,
        )
    )


def count_businesses(runtime: Runtime) -> int:
    with transaction(runtime.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(BusinessRegistryRecord)) or 0)


# --- look-up ----------------------------------------------------------------------------------


class LocalBusinessRegistry:
    """Look-ups against the imported businesses; the number's format is checked first."""

    name = "registry"

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def lookup(self, request: BusinessLookup) -> BusinessRecord:
        request = replace(request, country=request.country.upper(), id_type=request.id_type.upper())
        if number_format_error(request.country, request.id_type, request.id_number) is not None:
            raise InvalidIdNumber("Invalid business number format")
        if not is_supported(request.country, request.id_type):
            raise RecordNotFound("Business not found")
        register = register_of(request.id_type)
        digest = number_digest(
            index_key(self._runtime.box, BUSINESS_REGISTRY), request.id_number, request.country, register
        )
        with transaction(self._runtime.sessions) as session:
            row = _find(session, request.country, register, digest)
            token = row.record_encrypted if row is not None else None
        if token is None:
            raise RecordNotFound("Business not found")
        stored: dict[str, Any] = json.loads(self._runtime.box.decrypt(token))
        stored_type = stored.get("business_type")
        if request.business_type and stored_type and request.business_type.lower() != stored_type:
            raise RecordNotFound("Business not found")  # another register (CAC keeps one per type)
        company = CompanyInformation(**stored["company_information"])
        if request.id_type == BASIC_BUSINESS_REGISTRATION:
            return BusinessRecord(company=company, full_data={"company_information": company.wire()})
        return BusinessRecord(
            company=company,
            directors=_parties(stored, "directors"),
            beneficial_owners=_parties(stored, "beneficial_owners"),
            fiduciaries=_parties(stored, "fiduciaries"),
            proprietors=_parties(stored, "proprietors"),
            search_certificate=stored.get("search_certificate") or "",
            full_data=stored,
        )


def _parties(stored: dict[str, Any], list_name: str) -> tuple[Party, ...]:
    return tuple(Party(**entry) for entry in stored.get(list_name, []))
