"""POST /v1/business_verification and /v1/async_business_verification (compatibility §4.5).

Signed-body v1 endpoints like the others: the body's signature authenticates the partner, the
answer is signed with the same key. Each request is a job (job_type 7) so /v1/job_status and the
callback machinery find it. The synchronous endpoint answers with the result; the asynchronous one
answers ``{"success": true}`` and the signed result is POSTed to ``callback_url`` (else the
partner's default) by the callback dispatcher.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from openkyc.api_errors import (
    INVALID_JOB_TYPE,
    INVALID_VALUE,
    JOB_EXISTS,
    MISSING_PARAMETER,
    RATE_LIMITED,
    SIGNED_BODY_ERRORS,
    error_responses,
)
from openkyc.business.base import BusinessLookup, LookupFailure
from openkyc.business.request import BusinessRequest, BusinessVerificationRequest
from openkyc.business.result import failed_result, verified_result
from openkyc.business.select import registry_for
from openkyc.db import utcnow
from openkyc.http import Accepted, json_body, read_json_object, validate_body
from openkyc.jobs.status import public_result
from openkyc.jobs.sync import open_sync_job, publish_sync_result
from openkyc.partners.auth import Caller, authenticate
from openkyc.ratelimit.lookup import LimitedLookup
from openkyc.runtime import Runtime
from openkyc.signing import sign_response
from openkyc.webdeps import RuntimeDep

router = APIRouter(prefix="/v1", tags=["business verification"])


class BusinessVerificationAnswer(BaseModel):
    """The job's result, signed with your key; the same object is the callback's body."""

    model_config = ConfigDict(extra="allow")

    SmileJobID: str = Field(examples=["4843258616"])
    PartnerParams: dict[str, Any] = Field(examples=[{"user_id": "user-1", "job_id": "kyb-1", "job_type": 7}])
    ResultType: str = Field(examples=["Business Verification"])
    ResultText: str = Field(examples=["Business Verified"])
    ResultCode: str = Field(examples=["1012"])
    Actions: dict[str, str] = Field(
        examples=[{"Verify_Business": "Verified", "Return_Business_Info": "Returned"}]
    )
    company_information: dict[str, Any] | None = Field(
        default=None, description="The registry's record, when found.", examples=[{"country": "Nigeria"}]
    )
    timestamp: str
    signature: str


_ERRORS = error_responses(
    *SIGNED_BODY_ERRORS, MISSING_PARAMETER, INVALID_JOB_TYPE, INVALID_VALUE, JOB_EXISTS, RATE_LIMITED
)


@router.post(
    "/business_verification",
    response_model=None,
    openapi_extra=json_body(BusinessVerificationRequest),
    responses={200: {"model": BusinessVerificationAnswer, "description": "The result, signed."}, **_ERRORS},
)
async def business_verification(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Look the business up now and answer with the signed result."""
    caller, parsed = await _read(request, runtime)
    result = await run_in_threadpool(_verify, runtime, caller, parsed, parsed.callback_url is not None)
    return {**public_result(result), **sign_response(caller.api_key, caller.partner_id, utcnow())}


@router.post(
    "/async_business_verification",
    response_model=None,
    openapi_extra=json_body(BusinessVerificationRequest),
    responses={
        200: {"model": Accepted, "description": "Accepted: the result goes to the callback."},
        **_ERRORS,
    },
)
async def async_business_verification(request: Request, runtime: RuntimeDep) -> dict[str, bool]:
    """Accept the job; its signed result goes to the callback URL."""
    caller, parsed = await _read(request, runtime)
    await run_in_threadpool(_verify, runtime, caller, parsed, True)
    return {"success": True}


async def _read(request: Request, runtime: Runtime) -> tuple[Caller, BusinessRequest]:
    body = await read_json_object(request, runtime.settings.max_json_body)
    caller = authenticate(runtime, headers=request.headers, body=body)
    return caller, validate_body(BusinessVerificationRequest, body).parsed


def _verify(runtime: Runtime, caller: Caller, parsed: BusinessRequest, call_back: bool) -> dict[str, Any]:
    """Open the job, look the business up, store the result and (if asked) schedule the callback."""
    # Counted before anything else, as for persons: a blocked number (429 / 2222) opens no job and
    # never reaches the registry; a registry that is down gives the count back.
    limited = LimitedLookup(
        partner_id=caller.partner_id,
        environment=caller.environment.value,
        country=parsed.country,
        id_type=parsed.id_type,
        id_number=parsed.id_number,
    )
    limited.count(runtime)
    smile_job_id = open_sync_job(runtime, caller, parsed.params, parsed.callback_url)
    lookup = BusinessLookup(
        country=parsed.country,
        id_type=parsed.id_type,
        id_number=parsed.id_number,
        business_type=parsed.business_type,
        environment=caller.environment.value,
    )
    # The configured provider's registry for the key's environment (business/select.py; by default
    # sandbox keys get the sample business, production keys the operator's registry).
    registry = registry_for(runtime, caller.environment.value)
    answer = limited.run(runtime, f"business registry {registry.name}", lambda: registry.lookup(lookup))
    if isinstance(answer, LookupFailure):
        result = failed_result(smile_job_id, parsed.params.raw, answer)
    else:
        result = verified_result(smile_job_id, parsed.params.raw, answer)
    publish_sync_result(runtime, smile_job_id, result, call_back=call_back)
    return result
