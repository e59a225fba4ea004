"""The body of an ID verification request (compatibility §4.4, §9.1): flat JSON, id_info at top level."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import Field, InstanceOf, model_validator
from pydantic.json_schema import SkipJsonSchema

from openkyc.api_errors import INVALID_JOB_TYPE, INVALID_VALUE, MISSING_PARAMETER, WRONG_DATA_TYPE, ApiError
from openkyc.http import SignedBody
from openkyc.job_types import JobType
from openkyc.partner_input import PartnerParams, WirePartnerParams, parse_partner_params
from openkyc.services.id_types import IdNumberType, id_number_type

MAX_TEXT = 200
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class PersonDetails:
    """What the partner says about the person; Basic KYC matches these against the record."""

    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    dob: str | None = None
    gender: str | None = None
    phone_number: str | None = None

    @property
    def anything(self) -> bool:
        return any(vars(self).values())


@dataclass(frozen=True)
class VerificationRequest:
    params: PartnerParams
    country: str
    id_type: str
    id_number: str
    id_number_type: IdNumberType
    person: PersonDetails
    bank_code: str | None
    callback_url: str | None
    retry: bool


def parse_request(body: dict[str, Any]) -> VerificationRequest:
    """The request, or the documented error: 2213 missing, 2204 wrong type, 2212 job type, 2413 value."""
    if body.get("partner_params") is None:
        raise ApiError(MISSING_PARAMETER, "partner_params is required")
    params = parse_partner_params(body["partner_params"])
    # Enhanced and Basic KYC share the number (JobType.BASIC_KYC is an alias).
    if params.job_type != JobType.ENHANCED_KYC:
        raise ApiError(INVALID_JOB_TYPE, "partner_params.job_type must be 5 for ID verification")
    fields = parse_id_fields(body)
    callback_url = body.get("callback_url")
    if callback_url in (None, ""):
        callback_url = None
    elif not isinstance(callback_url, str) or len(callback_url) > 2048:
        raise ApiError(WRONG_DATA_TYPE, "callback_url must be a URL string")
    retry = body.get("retry")
    return VerificationRequest(
        params=params,
        **vars(fields),
        callback_url=callback_url,
        retry=retry is True or (isinstance(retry, str) and retry.strip().lower() == "true"),
    )


@dataclass(frozen=True)
class IdFields:
    """The ID and person details of a request body or of a zip job's ``id_info``."""

    country: str
    id_type: str
    id_number: str  # "" when the number may come from elsewhere (a document: ``number_required``)
    id_number_type: IdNumberType
    person: PersonDetails
    bank_code: str | None


def parse_id_fields(body: dict[str, Any], *, number_required: bool = True) -> IdFields:
    """The ID fields, or the documented error: 2213 missing, 2204 wrong type, 2413 value."""
    country = required_text(body, "country").strip().upper()
    id_type = required_text(body, "id_type").strip().upper()
    number = required_text(body, "id_number") if number_required else optional_text(body, "id_number")
    known = id_number_type(country, id_type)
    if known is None:
        # Echoes only the caller's country and type codes, never the number.
        raise ApiError(INVALID_VALUE, f"Unsupported ID type: {id_type} is not supported in {country!r}")
    bank_code = optional_text(body, "bank_code")
    for name in known.extra_fields:
        if optional_text(body, name) is None:
            raise ApiError(MISSING_PARAMETER, f"{name} is required for {country} {id_type}")
    dob = optional_text(body, "dob")
    if dob is not None and not _DATE.match(dob.strip()):
        raise ApiError(INVALID_VALUE, "dob must be a date in the format YYYY-MM-DD")
    person = PersonDetails(
        first_name=optional_text(body, "first_name"),
        middle_name=optional_text(body, "middle_name"),
        last_name=optional_text(body, "last_name"),
        dob=dob.strip() if dob else None,
        gender=optional_text(body, "gender"),
        phone_number=optional_text(body, "phone_number"),
    )
    return IdFields(
        country=country,
        id_type=id_type,
        id_number=(number or "").strip(),
        id_number_type=known,
        person=person,
        bank_code=bank_code,
    )


def request_for_job(
    params: PartnerParams, id_info: dict[str, Any], *, number_required: bool
) -> VerificationRequest:
    """The look-up a queued job's ``id_info`` asks for (Biometric KYC, Enhanced Document
    Verification); its results go through the job, so it has no callback_url or retry of its own."""
    return VerificationRequest(
        params=params,
        **vars(parse_id_fields(id_info, number_required=number_required)),
        callback_url=None,
        retry=False,
    )


def optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # ID and phone numbers are digits; some clients send them as numbers
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ApiError(WRONG_DATA_TYPE, f"{name} must be a string of at most {MAX_TEXT} characters")
    return value if value.strip() else None


def required_text(body: dict[str, Any], name: str) -> str:
    value = optional_text(body, name)
    if value is None:
        raise ApiError(MISSING_PARAMETER, f"{name} is required")
    return value


class IdVerificationRequest(SignedBody):
    """An ID look-up: Enhanced KYC (/v1/id_verification) or Basic KYC (/v2/verify), each also async.

    ``country``, ``id_type`` and ``id_number`` name the ID (GET /v1/services lists the supported
    types and any extra field a type needs, such as ``bank_code``); the person's details are
    matched against the record by Basic KYC, which needs at least one of them. Numbers may be sent
    as JSON numbers.
    """

    parsed: SkipJsonSchema[InstanceOf[VerificationRequest]] = Field(exclude=True)
    partner_params: WirePartnerParams = Field(
        description="job_type 5.", examples=[{"user_id": "user-1", "job_id": "job-2", "job_type": 5}]
    )
    country: str = Field(max_length=MAX_TEXT, description="ISO 3166-1 alpha-2.", examples=["NG"])
    id_type: str = Field(max_length=MAX_TEXT, examples=["BVN"])
    id_number: str = Field(
        max_length=MAX_TEXT,
        description="In the sandbox, the number's last digit chooses the outcome.",
        examples=["00000000000"],
    )
    first_name: str | None = Field(default=None, max_length=MAX_TEXT, examples=["John"])
    middle_name: str | None = Field(default=None, max_length=MAX_TEXT)
    last_name: str | None = Field(default=None, max_length=MAX_TEXT, examples=["Doe"])
    dob: str | None = Field(
        default=None, pattern=_DATE.pattern, description="YYYY-MM-DD.", examples=["1990-01-01"]
    )
    gender: str | None = Field(default=None, max_length=MAX_TEXT)
    phone_number: str | None = Field(default=None, max_length=MAX_TEXT)
    bank_code: str | None = Field(default=None, max_length=MAX_TEXT)
    callback_url: str | None = Field(
        default=None,
        max_length=2048,
        description="Where the result is POSTed (required by /v2/verify_async; async v1 falls back on "
        "your default callback URL).",
        examples=["https://partner.example.com/callback"],
    )
    retry: bool = Field(default=False, description="Redo a finished Enhanced KYC job with this job_id.")

    @model_validator(mode="before")
    @classmethod
    def _documented_errors(cls, body: Any) -> Any:
        request = parse_request(body)
        return {
            "parsed": request,
            "partner_params": request.params,
            "country": request.country,
            "id_type": request.id_type,
            "id_number": request.id_number,
            **vars(request.person),
            "bank_code": request.bank_code,
            "callback_url": request.callback_url,
            "retry": request.retry,
        }
