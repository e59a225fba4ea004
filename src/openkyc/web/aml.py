"""POST /v1/aml: screen a person against the loaded sanctions and PEP lists (compatibility §4.9)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, model_validator
from pydantic.json_schema import SkipJsonSchema
from starlette.concurrency import run_in_threadpool

from openkyc.aml import service
from openkyc.api_errors import (
    INVALID_VALUE,
    JOB_EXISTS,
    MISSING_PARAMETER,
    SIGNED_BODY_ERRORS,
    ApiError,
    error_responses,
)
from openkyc.db import utcnow
from openkyc.http import SignedBody, json_body, read_json_object, validate_body
from openkyc.job_types import JobType
from openkyc.jobs.sync import open_sync_job, publish_sync_result
from openkyc.partner_input import PartnerParams, WirePartnerParams
from openkyc.partners.auth import Caller, authenticate
from openkyc.runtime import Runtime
from openkyc.signing import sign_response
from openkyc.webdeps import RuntimeDep

router = APIRouter(prefix="/v1", tags=["aml"])

MAX_NAME = 300
MAX_ALIASES = 10
_ALPHA2 = re.compile(r"^[A-Za-z]{2}$")
_YEAR = re.compile(r"^\d{4}$")


def _text(body: dict[str, Any], name: str, *, required: bool, limit: int = 200) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(MISSING_PARAMETER, f"{name} is required")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # ids sent as numbers
    if not isinstance(value, str) or len(value) > limit:
        raise ApiError(INVALID_VALUE, f"{name} must be a string of at most {limit} characters")
    return value


def _flag(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ApiError(INVALID_VALUE, f"{name} must be a boolean")


def _birth_year(body: dict[str, Any]) -> int | None:
    value = body.get("birth_year")
    if value is None or value == "":
        return None
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _YEAR.match(text.strip()) or not 1850 <= int(text) <= 2100:
        raise ApiError(INVALID_VALUE, "birth_year must be a year as yyyy")
    return int(text)


def _string_list(body: dict[str, Any], name: str, limit: int) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > limit or not all(isinstance(v, str) for v in value):
        raise ApiError(INVALID_VALUE, f"{name} must be a list of at most {limit} strings")
    return [v for v in value if v.strip()]


def _countries(body: dict[str, Any]) -> list[str]:
    countries = _string_list(body, "countries", 250)
    if not all(_ALPHA2.match(code) for code in countries):
        raise ApiError(INVALID_VALUE, "countries must be ISO 3166-1 alpha-2 codes")
    return [code.upper() for code in countries]


def _partner_params(body: dict[str, Any]) -> PartnerParams:
    job_type = body.get("job_type", JobType.AML)
    if str(job_type) != str(JobType.AML) or isinstance(job_type, bool):
        raise ApiError(INVALID_VALUE, "job_type must be 10 for an AML check")
    user_id = _text(body, "user_id", required=True)
    job_id = _text(body, "job_id", required=True)
    if user_id is None or job_id is None:  # required=True raised already; for mypy
        raise ApiError(MISSING_PARAMETER, "user_id and job_id are required")
    optional_info = body.get("optional_info") or {}
    if not isinstance(optional_info, dict):
        raise ApiError(INVALID_VALUE, "optional_info must be an object")
    # The Ruby SDK copies optional_info into partner_params; they are echoed back like other jobs'.
    raw = {**optional_info, "user_id": user_id, "job_id": job_id, "job_type": JobType.AML}
    return PartnerParams(user_id=user_id, job_id=job_id, job_type=JobType.AML, raw=raw)


class AmlRequest(SignedBody):
    """A person to screen; user_id and job_id name the job (job_type 10) as in partner_params."""

    partner_params: SkipJsonSchema[WirePartnerParams] = Field(exclude=True)
    job_type: int = Field(default=JobType.AML, description="10 when sent.", examples=[10])
    user_id: str = Field(max_length=200, examples=["user-1"])
    job_id: str = Field(max_length=200, examples=["aml-1"])
    optional_info: dict[str, Any] = Field(
        default_factory=dict, description="Your own keys, echoed back in PartnerParams."
    )
    full_name: str = Field(max_length=MAX_NAME, examples=["John Leo Doe"])
    strict_match: bool = Field(default=True, description="Exact name matches only (true/false).")
    search_existing_user: bool = Field(default=False, description="Accepted (true/false); no effect.")
    aliases: list[str] = Field(default_factory=list, max_length=MAX_ALIASES, description="Other names.")
    birth_year: int | None = Field(default=None, ge=1850, le=2100, examples=[1960])
    countries: list[str] = Field(
        default_factory=list,
        description="ISO 3166-1 alpha-2 codes the person is linked to.",
        examples=[["NG"]],
    )

    @model_validator(mode="before")
    @classmethod
    def _documented_errors(cls, body: Any) -> Any:
        # The checks in the order partners see them answered.
        params = _partner_params(body)
        full_name = _text(body, "full_name", required=True, limit=MAX_NAME)
        if full_name is None or not full_name.strip():
            raise ApiError(MISSING_PARAMETER, "full_name is required")
        strict = _flag(body, "strict_match", True)  # the Ruby SDK's default
        search_existing_user = _flag(body, "search_existing_user", False)  # no earlier-screening store
        aliases = _string_list(body, "aliases", MAX_ALIASES)
        if any(len(alias) > MAX_NAME for alias in aliases):
            raise ApiError(INVALID_VALUE, f"aliases must be at most {MAX_NAME} characters each")
        birth_year, countries = _birth_year(body), _countries(body)
        return {
            "partner_params": params,
            "job_type": params.job_type,
            "user_id": params.user_id,
            "job_id": params.job_id,
            "optional_info": {
                k: v for k, v in params.raw.items() if k not in ("user_id", "job_id", "job_type")
            },
            "full_name": full_name,
            "strict_match": strict,
            "search_existing_user": search_existing_user,
            "aliases": aliases,
            "birth_year": birth_year,
            "countries": countries,
        }


class AmlAnswer(BaseModel):
    """The screening, recorded as a job (signed with your key)."""

    SmileJobID: str = Field(examples=["0000000123"])
    PartnerParams: dict[str, Any] = Field(examples=[{"user_id": "user-1", "job_id": "aml-1", "job_type": 10}])
    people: list[dict[str, Any]] = Field(description="The listed people found: names, lists, sources.")
    ResultText: str = Field(examples=["No match found"])
    ResultCode: str = Field(description="1030 found on a list, 1031 not found.", examples=["1031"])
    Actions: dict[str, str] = Field(examples=[{"Listed": "Not Listed"}])
    StrictMatch: bool = Field(examples=[True])
    no_of_persons_found: int = Field(examples=[0])
    timestamp: str
    signature: str


@router.post(
    "/aml",
    response_model=None,
    openapi_extra=json_body(AmlRequest),
    responses={
        200: {"model": AmlAnswer, "description": "The screening's result."},
        **error_responses(*SIGNED_BODY_ERRORS, MISSING_PARAMETER, INVALID_VALUE, JOB_EXISTS),
    },
)
async def aml_check(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Screen ``full_name`` (and ``aliases``) and record the answer as a job_type 10 job."""
    body = await read_json_object(request, runtime.settings.max_json_body)
    caller = authenticate(runtime, headers=request.headers, body=body)
    parsed = validate_body(AmlRequest, body)
    params, full_name, strict = parsed.partner_params, parsed.full_name, parsed.strict_match
    aliases, birth_year, countries = parsed.aliases, parsed.birth_year, parsed.countries

    # Building the index (first call, or after a load) takes seconds: keep it off the event loop.
    screening = await run_in_threadpool(
        service.screen,
        runtime.sessions,
        full_name=full_name,
        aliases=aliases,
        birth_year=birth_year,
        countries=countries,
        strict=strict,
    )
    found = bool(screening.people)
    result: dict[str, Any] = {
        "PartnerParams": params.raw,
        "people": screening.people,
        "ResultText": "Found on list" if found else "No match found",
        "ResultCode": "1030" if found else "1031",
        "Actions": {"Listed": "Listed" if found else "Not Listed"},
        "StrictMatch": strict,
        "no_of_persons_found": len(screening.people),
    }
    result = await run_in_threadpool(_record, runtime, caller, params, result)
    return {**result, **sign_response(caller.api_key, caller.partner_id, utcnow())}


def _record(
    runtime: Runtime, caller: Caller, params: PartnerParams, result: dict[str, Any]
) -> dict[str, Any]:
    """Store the screening as a finished job (database writes: run off the event loop)."""
    smile_job_id = open_sync_job(runtime, caller, params, None)
    result = {"SmileJobID": smile_job_id, **result}
    publish_sync_result(runtime, smile_job_id, result, call_back=False)
    return result
