"""The ID verification endpoints, Enhanced KYC (v1, compatibility §4.4) and Basic KYC (v2, §9.1):
the signed body in, the signed result out. The job itself (checks, look-up, result, callback) is
openkyc.jobs.id_verification's, which the portal's SmartCheck runs too.

Body-signed JSON. The look-up (database and possibly an authority's HTTP API) runs in a worker
thread so the event loop keeps serving other requests.
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
from openkyc.db import utcnow
from openkyc.http import Accepted, json_body, read_json_object, validate_body
from openkyc.idverification.request import IdVerificationRequest
from openkyc.jobs import id_verification as id_jobs
from openkyc.jobs.id_verification import BASIC_KYC, ENHANCED_KYC, Product
from openkyc.jobs.submission import Submitter
from openkyc.partners.auth import Caller, authenticate
from openkyc.runtime import Runtime
from openkyc.signing import sign_response
from openkyc.webdeps import RuntimeDep

router = APIRouter(tags=["id verification"])


class IdVerificationAnswer(BaseModel):
    """The job's result, signed with your key; the ID record's fields follow the Actions (they
    depend on the ID type), and the same object is the callback's body."""

    model_config = ConfigDict(extra="allow")

    SmileJobID: str = Field(examples=["0145565032"])
    PartnerParams: dict[str, Any] = Field(examples=[{"user_id": "user-1", "job_id": "job-2", "job_type": 5}])
    ResultType: str = Field(examples=["ID Verification"])
    ResultText: str = Field(examples=["ID Number Validated"])
    ResultCode: str = Field(examples=["1012"])
    Actions: dict[str, str] = Field(
        examples=[{"Verify_ID_Number": "Verified", "Return_Personal_Info": "Returned"}]
    )
    Country: str = Field(examples=["NG"])
    IDType: str = Field(examples=["BVN"])
    IDNumber: str = Field(examples=["00000000000"])
    Source: str = Field(examples=["ID API"])
    timestamp: str = Field(examples=["2026-12-03T19:01:38.978Z"])
    signature: str


_ERRORS = error_responses(
    *SIGNED_BODY_ERRORS, MISSING_PARAMETER, INVALID_JOB_TYPE, INVALID_VALUE, JOB_EXISTS, RATE_LIMITED
)


def _documented(answer: type[BaseModel], description: str) -> dict[str, Any]:
    """The route's documentation: the shared request body, its answer and the errors."""
    return {
        "response_model": None,
        "openapi_extra": json_body(IdVerificationRequest),
        "responses": {200: {"model": answer, "description": description}, **_ERRORS},
    }


@router.post("/v1/id_verification", **_documented(IdVerificationAnswer, "The result, signed."))
async def id_verification(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Enhanced KYC: verify the ID number and return the holder's record as the job result."""
    return await _verify(request, runtime, ENHANCED_KYC, asynchronous=False)


@router.post(
    "/v1/async_id_verification", **_documented(Accepted, "Accepted: the result goes to the callback.")
)
async def async_id_verification(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Enhanced KYC whose result is POSTed to the callback URL."""
    await _verify(request, runtime, ENHANCED_KYC, asynchronous=True)
    return {"success": True}


@router.post("/v2/verify", **_documented(IdVerificationAnswer, "The field-by-field match, signed."))
async def basic_kyc(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Basic KYC: match the supplied details against the ID record, field by field."""
    return await _verify(request, runtime, BASIC_KYC, asynchronous=False)


@router.post("/v2/verify_async", **_documented(Accepted, "Accepted: the result goes to the callback_url."))
async def basic_kyc_async(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Basic KYC whose result is POSTed to the (required) callback_url."""
    await _verify(request, runtime, BASIC_KYC, asynchronous=True, callback_url_required=True)
    return {"success": True}


async def _verify(
    request: Request,
    runtime: Runtime,
    product: Product,
    *,
    asynchronous: bool,
    callback_url_required: bool = False,
) -> dict[str, Any]:
    body = await read_json_object(request, runtime.settings.max_json_body)
    caller = authenticate(runtime, headers=request.headers, body=body)
    return await run_in_threadpool(
        verify,
        runtime,
        caller,
        body,
        product,
        asynchronous=asynchronous,
        callback_url_required=callback_url_required,
    )


def verify(
    runtime: Runtime,
    caller: Caller,
    body: dict[str, Any],
    product: Product,
    *,
    asynchronous: bool = False,
    callback_url_required: bool = False,
) -> dict[str, Any]:
    """Run the whole job; the signed result (the caller answers ``{"success": true}`` when async)."""
    request = validate_body(IdVerificationRequest, body).parsed
    result = id_jobs.run(
        runtime,
        Submitter.of(caller),
        request,
        product,
        asynchronous=asynchronous,
        callback_url_required=callback_url_required,
    )
    return {**result, **sign_response(caller.api_key, caller.partner_id, utcnow())}
