"""The ID verification endpoints, Enhanced KYC (v1, compatibility §4.4) and Basic KYC (v2, §9.1), and
their flow from body to published result: checks, job, look-up, result, callback.

Body-signed JSON. The look-up (database and possibly an authority's HTTP API) runs in a worker
thread so the event loop keeps serving other requests.

Async requests are verified within the request too (a look-up takes at most the authority's
timeout): the result and its callback delivery are stored before ``{"success": true}`` is
answered, so an acknowledged job always gets its callback, retried by the callback dispatcher.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
    ApiError,
    error_responses,
)
from openkyc.callbacks import service as callbacks
from openkyc.db import transaction, utcnow
from openkyc.http import Accepted, json_body, read_json_object, validate_body
from openkyc.idverification.basic_kyc import basic_kyc_result
from openkyc.idverification.enhanced_kyc import enhanced_kyc_result
from openkyc.idverification.lookup import LookupOutcome, look_up, malformed, precheck
from openkyc.idverification.request import IdVerificationRequest, VerificationRequest
from openkyc.job_types import JobType
from openkyc.jobs import service
from openkyc.jobs.models import JobState
from openkyc.jobs.sync import publish_sync_result
from openkyc.partners.auth import Caller, authenticate
from openkyc.partners.models import Partner
from openkyc.runtime import Runtime
from openkyc.signing import sign_response
from openkyc.webdeps import RuntimeDep

ResultBuilder = Callable[[VerificationRequest, LookupOutcome], tuple[dict[str, Any], bool]]


@dataclass(frozen=True)
class Product:
    name: str
    build: ResultBuilder
    needs_details: bool  # Basic KYC has nothing to do without details to match


ENHANCED_KYC = Product("Enhanced KYC", enhanced_kyc_result, needs_details=False)
BASIC_KYC = Product("Basic KYC", basic_kyc_result, needs_details=True)


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
    """Run the whole job; the signed result (the caller answers ``{"success": true}`` when async).

    Async results go to the request's callback_url, else the partner's default (one of them is
    required); a sync request with a callback_url also gets its callback.
    """
    request = validate_body(IdVerificationRequest, body).parsed
    if product.needs_details and not request.person.anything:
        raise ApiError(
            MISSING_PARAMETER,
            "at least one of first_name, middle_name, last_name, dob, gender, phone_number is required",
        )
    if callback_url_required and request.callback_url is None:
        raise ApiError(MISSING_PARAMETER, "callback_url is required")
    if asynchronous:
        _require_callback_destination(runtime, caller, request)
    environment = caller.environment.value
    with transaction(runtime.sessions) as session:
        _refuse_duplicate(session, caller, request)  # before counting: a 2215 is not a look-up
    well_formed = precheck(runtime, request, partner_id=caller.partner_id, environment=environment)
    smile_job_id = _open_job(runtime, caller, request)
    callbacks.warn_at_intake(
        smile_job_id, request.callback_url, allow_private=runtime.settings.allow_private_callbacks
    )
    outcome = (
        look_up(runtime, request, partner_id=caller.partner_id, environment=environment)
        if well_formed
        else malformed()
    )
    wire, success = product.build(request, outcome)
    result = {"SmileJobID": smile_job_id, "PartnerParams": request.params.raw, **wire}
    publish_sync_result(
        runtime,
        smile_job_id,
        result,
        call_back=asynchronous or request.callback_url is not None,
        private={"_success": success},
    )
    return {**result, **sign_response(caller.api_key, caller.partner_id, utcnow())}


def _require_callback_destination(runtime: Runtime, caller: Caller, request: VerificationRequest) -> None:
    """An async job needs somewhere to send the result: its callback_url or the partner's default."""
    if request.callback_url is not None:
        return
    with transaction(runtime.sessions) as session:
        partner = session.get(Partner, caller.partner_id)
        if partner is None or not partner.default_callback_url:
            raise ApiError(
                MISSING_PARAMETER, "callback_url is required (no default callback URL is configured)"
            )


def _refuse_duplicate(session: Any, caller: Caller, request: VerificationRequest) -> None:
    existing = service.find_job_by_partner_job_id(
        db_session=session,
        partner_id=caller.partner_id,
        environment=caller.environment.value,
        job_id=request.params.job_id,
    )
    if existing is not None and not _may_retry(existing, request):
        raise ApiError(JOB_EXISTS)


def _may_retry(job: Any, request: VerificationRequest) -> bool:
    # Only a finished ID verification job is redone with retry (a 1015 answer is worth retrying).
    return request.retry and job.job_type == JobType.ENHANCED_KYC and job.state in service.FINISHED_STATES


def _open_job(runtime: Runtime, caller: Caller, request: VerificationRequest) -> str:
    with transaction(runtime.sessions) as session:
        existing = service.find_job_by_partner_job_id(
            db_session=session,
            partner_id=caller.partner_id,
            environment=caller.environment.value,
            job_id=request.params.job_id,
        )
        if existing is None:
            job = service.create_sync_job(
                db_session=session,
                partner_id=caller.partner_id,
                environment=caller.environment.value,
                api_key_id=caller.key_id,
                params=request.params,
                callback_url=request.callback_url,
            )
            return job.smile_job_id
        if not _may_retry(existing, request):
            raise ApiError(JOB_EXISTS)
        existing.state, existing.attempts = JobState.PROCESSING, existing.attempts + 1
        existing.partner_params, existing.callback_url = request.params.raw, request.callback_url
        existing.user_id, existing.api_key_id = request.params.user_id, caller.key_id
        return existing.smile_job_id
