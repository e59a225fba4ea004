"""The body of GET /v1/services, built from the ID-number catalogue and the document list.

``hosted_web`` tells the hosted capture page and the mobile SDKs which countries and ID types to
offer per product. Which types a product takes follows from what it checks:

* ``basic_kyc``, ``enhanced_kyc``: every ID-number type (they match or return personal data);
* ``biometric_kyc``, ``ekyc_smartselfie``: only types whose authority returns a photo, since the
  selfie is compared with it;
* ``doc_verification``: every document type of every country in the document list;
* ``enhanced_document_verification``: the document types of the countries whose ID numbers can be
  checked too, since the document's number is verified with the authority.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from openkyc.services.documents import country_names, valid_documents
from openkyc.services.id_types import ID_NUMBER_TYPES, IdNumberType

# The id_info a document job needs; the document itself supplies the rest.
DOCUMENT_FIELDS = ["country", "id_type"]


def _id_number_entry(id_type: IdNumberType) -> dict[str, Any]:
    return {
        "label": id_type.label,
        "required_fields": id_type.required_fields,
        "test_data": id_type.test_data,
        "id_number_regex": id_type.regex,
    }


def _id_number_product(keep: Callable[[IdNumberType], bool]) -> dict[str, Any]:
    product: dict[str, Any] = {}
    for country, types in ID_NUMBER_TYPES.items():
        kept = {t.code: _id_number_entry(t) for t in types if keep(t)}
        if kept:
            product[country] = {"name": country_names().get(country, country), "id_types": kept}
    return product


def _document_product(countries: Iterable[str] | None = None) -> dict[str, Any]:
    wanted = None if countries is None else set(countries)
    product: dict[str, Any] = {}
    for entry in valid_documents():
        code = entry["country"]["code"]
        if wanted is not None and code not in wanted:
            continue
        product[code] = {
            "name": entry["country"]["name"],
            "id_types": {
                doc["code"]: {
                    "label": doc["name"],
                    "required_fields": list(DOCUMENT_FIELDS),
                    "test_data": None,
                    "id_number_regex": None,
                }
                for doc in entry["id_types"]
            },
        }
    return product


@cache
def _services() -> dict[str, Any]:
    return {
        "bank_codes": [],  # the docs list no bank codes; BANK_ACCOUNT look-ups take bank_code as sent
        "id_types": {
            country: {t.code: t.required_fields for t in types} for country, types in ID_NUMBER_TYPES.items()
        },
        "hosted_web": {
            "basic_kyc": _id_number_product(lambda _: True),
            "biometric_kyc": _id_number_product(lambda t: t.has_photo),
            "enhanced_kyc": _id_number_product(lambda _: True),
            "doc_verification": _document_product(),
            "ekyc_smartselfie": _id_number_product(lambda t: t.has_photo),
            "enhanced_document_verification": _document_product(ID_NUMBER_TYPES),
        },
    }


def services_body() -> dict[str, Any]:
    """The GET /v1/services answer (built once; callers get the shared, read-only structure)."""
    return _services()
