"""The V3 services look-ups: bank codes, ID types, documents (no auth) and an ID type's status (token).

All four answer from what openkyc itself knows, the same data its v1 look-ups serve:

* ``bank_codes``: the banks of GET /v1/services' ``bank_codes``. Smile ID's documentation lists no
  bank codes and openkyc holds none, so the list is empty (a BANK_ACCOUNT look-up takes the
  ``bank_code`` it is sent); nothing is made up;
* ``supported_id_types``: the ID-number catalogue (``services.id_types``) that /v1/services and the
  look-ups use. ``regex`` is the number format the look-ups enforce; where the documentation gives
  none, the one openkyc applies (one to 100 characters). ``required_fields`` are the fields a
  request needs beyond ``country``, ``id_type`` and the V3 ``user_details``: ``id_number``, and
  ``bank_code`` for a bank account;
* ``supported_documents`` (also at ``GET /v3/valid-documents`` and ``GET /v1/valid_documents``,
  the aliases the spec names): the document list of POST /v1/valid_documents, continents in the
  spec's upper case. Names are English whatever the ``locale``: openkyc holds no translations;
* ``id_status``: how the authority of that ID type has been answering this environment's
  look-ups in the last hour (``jobs.authority_health``): figures from real jobs only, and the
  spec's "No data found" answer when there were none.

The lists change only with a release: they may be cached for an hour.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from openkyc.db import transaction, utcnow
from openkyc.jobs.authority_health import AuthorityHealth, authority_health
from openkyc.services.catalogue import services_body
from openkyc.services.documents import country_names, valid_documents
from openkyc.services.id_types import ID_NUMBER_TYPES, IdNumberType
from openkyc.services.views import ValidDocumentsAnswer
from openkyc.signing.sid_request import format_js_iso
from openkyc.v3.auth import INVALID_TOKEN, token_caller
from openkyc.v3.errors import Shape, V3Error, bad_request
from openkyc.webdeps import RuntimeDep

router = APIRouter(tags=["V3: services"])

CACHE = {"Cache-Control": "public, max-age=3600"}
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# What fields.id_number accepts of a type whose format nobody documents.
ANY_ID_NUMBER = r"^.{1,100}$"
CONTINENTS = ("AFRICA", "ASIA", "EUROPE", "NORTH AMERICA", "OCEANIA", "SOUTH AMERICA")
LOCALES = ("en-GB", "fr-FR", "ar-EG")
# ServiceErrorResponse's code for a value that cannot be used (the spec's example).
INVALID_VALUE_CODE = "2413"
BAD_COUNTRY_CODE = (
    "Country Code must be a valid ISO 3166-1 alpha-2 country code consisting of exactly two "
    "uppercase letters."
)


def _service_error(message: str) -> V3Error:
    return V3Error(400, message, shape=Shape.SERVICE, code=INVALID_VALUE_CODE)


def _country_filter(request: Request) -> str | None:
    """The optional ``country`` filter: a value that is no country code matches nothing."""
    value = request.query_params.get("country")
    return None if value is None else value.strip()


# --- bank codes ------------------------------------------------------------------------------------


def bank_codes(country: str | None) -> list[dict[str, str]]:
    """The banks of /v1/services (none are documented, so none), as ``{code, country, name}``."""
    found: list[dict[str, str]] = []
    for bank in services_body()["bank_codes"]:
        entry = {"code": str(bank["code"]), "country": str(bank["country"]), "name": str(bank["name"])}
        if country is None or entry["country"] == country:
            found.append(entry)
    return found


@router.get("/v3/services/bank_codes", summary="List bank codes")
async def get_bank_codes(request: Request) -> JSONResponse:
    return JSONResponse({"bank_codes": bank_codes(_country_filter(request))}, headers=CACHE)


# --- supported ID types ----------------------------------------------------------------------------


def id_type_entry(country: str, id_type: IdNumberType) -> dict[str, Any]:
    return {
        "country": country,
        "type": id_type.code,
        "label": id_type.label,
        "regex": id_type.regex or ANY_ID_NUMBER,
        "required_fields": ["id_number", *id_type.extra_fields],
    }


def supported_id_types(country: str | None) -> list[dict[str, Any]]:
    return [
        id_type_entry(code, id_type)
        for code, types in ID_NUMBER_TYPES.items()
        if country is None or code == country
        for id_type in types
    ]


@router.get("/v3/services/supported_id_types", summary="List supported KYC ID types")
async def get_supported_id_types(request: Request) -> JSONResponse:
    return JSONResponse({"id_types": supported_id_types(_country_filter(request))}, headers=CACHE)


# --- supported documents ---------------------------------------------------------------------------


def supported_documents(
    *, continent: str | None = None, country_code: str | None = None
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for entry in valid_documents():
        country = entry["country"]
        upper_continent = str(country["continent"]).upper()
        if continent is not None and upper_continent != continent:
            continue
        if country_code is not None and country["code"] != country_code:
            continue
        found.append(
            {
                "country": {"code": country["code"], "name": country["name"], "continent": upper_continent},
                "id_types": [
                    {
                        "code": doc["code"],
                        "name": doc["name"],
                        "example": list(doc["example"]),
                        "has_back": bool(doc["has_back"]),
                    }
                    for doc in entry["id_types"]
                ],
            }
        )
    return found


async def _documents(request: Request) -> JSONResponse:
    query = request.query_params
    continent, country_code, locale = query.get("continent"), query.get("country_code"), query.get("locale")
    if country_code is not None and not _COUNTRY.match(country_code):
        raise _service_error(BAD_COUNTRY_CODE)
    if continent is not None and continent not in CONTINENTS:
        raise _service_error(f"Continent must be one of {', '.join(CONTINENTS)}.")
    if locale is not None and locale not in LOCALES:
        raise _service_error(f"Locale must be one of {', '.join(LOCALES)}.")
    found = supported_documents(continent=continent, country_code=country_code)
    return JSONResponse({"valid_documents": found}, headers=CACHE)


@router.get("/v3/services/supported_documents", summary="List supported documents for verification")
async def get_supported_documents(request: Request) -> JSONResponse:
    return await _documents(request)


@router.get(
    "/v3/valid-documents",
    summary="List supported documents (alias of /v3/services/supported_documents)",
    description="The same answer as GET /v3/services/supported_documents, under the name the spec gives it.",
)
async def get_valid_documents_alias(request: Request) -> JSONResponse:
    return await _documents(request)


@router.get(
    "/v1/valid_documents",
    response_model=None,
    responses={200: {"model": ValidDocumentsAnswer, "description": "Every country's documents, filtered."}},
    summary="List supported documents (alias of /v3/services/supported_documents)",
    description=(
        "No auth, the V3 answer: the alias Smile ID's V3 spec names. POST /v1/valid_documents, "
        "signed, answers the v1 way."
    ),
)
async def get_v1_valid_documents_alias(request: Request) -> JSONResponse:
    return await _documents(request)


# --- ID status -------------------------------------------------------------------------------------


def status_country(value: str | None) -> str:
    """``country`` as a code: an ISO alpha-2 code or a country's name, any case (400 otherwise)."""
    if value is None or not value.strip():
        raise bad_request('"country" is required')
    text = value.strip()
    names = country_names()
    known = set(names) | set(ID_NUMBER_TYPES)
    if text.upper() in known:
        return text.upper()
    by_name = {name.casefold(): code for code, name in names.items()}
    code = by_name.get(text.casefold())
    if code is None:
        raise bad_request("Invalid country")
    return code


def status_id_type(country: str, value: str | None) -> str:
    if value is None or not value.strip():
        raise bad_request('"id_type" is required')
    wanted = value.strip().upper()
    if not any(t.code == wanted for t in ID_NUMBER_TYPES.get(country, ())):
        raise bad_request("Invalid id_type for the given country")
    return wanted


def status_body(health: AuthorityHealth) -> dict[str, str]:
    """The spec's IdStatusResponse: a check is one look-up, so its own rate is 100% or 0%."""
    return {
        "last_checked": format_js_iso(health.last_checked),
        "last_check_status": "success" if health.last_reached else "failure",
        "last_hour_success_rate": f"{health.success_rate}%",
        "last_known_status": "online" if health.last_reached else "offline",
        "last_check_success_rate": "100%" if health.last_reached else "0%",
    }


@router.get("/v3/services/id_status", summary="Get ID type availability status")
async def get_id_status(request: Request, runtime: RuntimeDep) -> dict[str, str]:
    caller = await token_caller(request, runtime, message=INVALID_TOKEN)
    country = status_country(request.query_params.get("country"))
    id_type = status_id_type(country, request.query_params.get("id_type"))

    def read() -> AuthorityHealth | None:
        with transaction(runtime.sessions) as session:
            return authority_health(
                session,
                environment=caller.environment.value,
                country=country,
                id_type=id_type,
                now=utcnow(),
            )

    health = await run_in_threadpool(read)
    if health is None:
        raise bad_request(f"No data found. Check that {country} and {id_type} are valid inputs")
    return status_body(health)
