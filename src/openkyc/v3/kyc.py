"""``POST /v3/enhanced_kyc`` and ``POST /v3/enhanced_kyc/sync``: an ID number looked up with its
authority, the holder's record returned (Enhanced KYC, job type 5), on the path /v1/id_verification
takes (``jobs.id_verification``: checks, rate limit, look-up, result, callback).

The async endpoint answers 202 as soon as its job is committed, queued, with its look-up kept
(sealed) in the job's ``v3_request``; a worker makes the look-up and the result is called back
(``jobs.id_verification.queue``/``run_queued``). A job is never lost: one whose worker dies is
queued again by the sweep.

The sync endpoint runs the same job within its request (``jobs.id_verification.run``) and answers
the V3 callback body itself, signed in ``Response-Signature``/``Response-Timestamp`` as a webhook
is, with ``SmileID-Job-ID`` and ``User-ID``; no callback is sent and ``callback_url`` is ignored.
A verification that could not be made is a REST status, the job recorded and named in
``SmileID-Job-ID`` (read its outcome from GET /v3/status): 424 when the authority was unavailable,
408 when the request ran past :data:`SYNC_DEADLINE_S` (the job goes on and finishes), 500 for an
internal failure; a number the authority says is no valid ID number is the spec's 400.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from openkyc.api_errors import RATE_LIMITED, ApiError
from openkyc.callbacks.service import v3_signature_headers, with_v3_receipt_link
from openkyc.db import transaction, utcnow
from openkyc.idverification.request import VerificationRequest, parse_request
from openkyc.job_types import JobType
from openkyc.jobs import id_verification
from openkyc.jobs.models import ApiVersion, Job
from openkyc.jobs.v3_results import V3Reason, V3Status, callback_payload, outcome
from openkyc.runtime import Runtime
from openkyc.v3.entries import (
    ERROR_RESPONSES,
    AcceptedAnswer,
    Entry,
    accepted,
    id_fields,
    job_of,
    read_entry,
    require_callback,
)
from openkyc.v3.errors import UNEXPECTED, V3Error
from openkyc.webdeps import RuntimeDep

log = logging.getLogger(__name__)

router = APIRouter(tags=["V3: Enhanced KYC"])

PRODUCT = "enhanced_kyc"
# The sync endpoint's own texts (its operation in the spec).
SYNC_PRODUCT_NOT_ENABLED = "This feature requires you to activate ID Validation for your Smile ID account."
SYNC_RATE_LIMITED = (
    "This ID number has been blocked due to multiple submissions. Please use the designated endpoint "
    "to reactivate it."
)
SYNC_TIMEOUT = (
    "The ID authority did not respond in time. The job is still recorded — retrieve its result from "
    "/v3/status/{job_id}."
)
SYNC_UNAVAILABLE = "Unable to verify ID — ID authority unavailable."
SYNC_INVALID_NUMBER = "Required field 'id_number' is missing or invalid."
SYNC_CONSENT_REQUIRED = "consent is required"
# How long /sync waits for its job: past the authority's own timeout (15 s by default, then the
# job's answer is "unavailable", 424) and below the 29 s a gateway in front typically allows.
SYNC_DEADLINE_S = 25.0


def _verification(entry: Entry, *, callback_url: str | None) -> VerificationRequest:
    """The look-up as /v1/id_verification would be asked for it: the ID, and the person's stated
    names and phone number (an authority may match them)."""
    ids = id_fields(entry, id_type_required=True, id_number_required=True, looked_up=True)
    details = entry.common.user_details
    return parse_request(
        {
            "partner_params": entry.params(JobType.ENHANCED_KYC).raw,
            **ids.id_info(),
            "first_name": details["given_names"],
            "last_name": details["last_name"],
            "phone_number": details.get("phone_number"),
            "callback_url": callback_url,
        }
    )


@router.post(
    "/v3/enhanced_kyc",
    status_code=202,
    response_model=AcceptedAnswer,
    summary="Submit Enhanced KYC verification",
    responses=ERROR_RESPONSES,
)
async def enhanced_kyc(request: Request, runtime: RuntimeDep) -> JSONResponse:
    entry = await read_entry(request, runtime, products=(PRODUCT,), job_type=JobType.ENHANCED_KYC)
    verification = _verification(entry, callback_url=entry.common.callback_url)
    return accepted(await run_in_threadpool(_queue, runtime, entry, verification))


def _queue(runtime: Runtime, entry: Entry, verification: VerificationRequest) -> Job:
    require_callback(runtime, entry)
    id_verification.queue(
        runtime,
        entry.caller.submitter,
        verification,
        api_version=ApiVersion.V3,
        v3_request=entry.record(PRODUCT),
    )
    return job_of(runtime, entry)


@router.post(
    "/v3/enhanced_kyc/sync",
    summary="Submit Enhanced KYC verification synchronously",
    responses={status: {} for status in (400, 401, 402, 403, 408, 413, 415, 424, 429, 500)},
)
async def enhanced_kyc_sync(request: Request, runtime: RuntimeDep) -> JSONResponse:
    entry = await read_entry(
        request,
        runtime,
        products=(PRODUCT,),
        job_type=JobType.ENHANCED_KYC,
        product_message=SYNC_PRODUCT_NOT_ENABLED,
        consent_absent=SYNC_CONSENT_REQUIRED,
    )
    verification = _verification(entry, callback_url=None)
    ids = {"SmileID-Job-ID": entry.job_id, "User-ID": entry.common.user_id}
    work = asyncio.ensure_future(run_in_threadpool(_run, runtime, entry, verification))
    try:
        job = await asyncio.wait_for(asyncio.shield(work), timeout=SYNC_DEADLINE_S)
    except TimeoutError:
        # The job goes on in its thread and records its answer; nobody waits for it here.
        work.add_done_callback(_forget)
        raise V3Error(408, SYNC_TIMEOUT, headers={"SmileID-Job-ID": entry.job_id}) from None
    answer = outcome(job)
    if answer.status is V3Status.ERROR:
        raise _failure(answer.reason, ids)
    body = await run_in_threadpool(_payload, runtime, job)
    headers = {**v3_signature_headers(entry.caller.api_key, entry.caller.partner_id, utcnow()), **ids}
    return JSONResponse(status_code=200, content=body, headers=headers)


def _run(runtime: Runtime, entry: Entry, verification: VerificationRequest) -> Job:
    try:
        id_verification.run(
            runtime,
            entry.caller.submitter,
            verification,
            id_verification.ENHANCED_KYC,
            api_version=ApiVersion.V3,
            v3_request=entry.record(PRODUCT),
        )
    except ApiError as error:
        if error.spec.code == RATE_LIMITED.code:
            raise V3Error(429, SYNC_RATE_LIMITED) from error
        raise
    return job_of(runtime, entry)


def _forget(work: asyncio.Future[Any]) -> None:
    """A /sync job that outlived its request: its error, if any, is logged (its answer is the job's)."""
    if not work.cancelled() and work.exception() is not None:
        log.warning(
            "a /v3/enhanced_kyc/sync job past its deadline failed: %s", type(work.exception()).__name__
        )


def _failure(reason: str | None, ids: dict[str, str]) -> V3Error:
    """The REST answer of a verification that could not be made (the spec: never a 200 "error")."""
    job_header = {"SmileID-Job-ID": ids["SmileID-Job-ID"]}
    if reason == V3Reason.SERVICE_UNAVAILABLE:
        return V3Error(424, SYNC_UNAVAILABLE, headers=job_header)
    if reason == V3Reason.INVALID_ID_NUMBER:
        return V3Error(400, SYNC_INVALID_NUMBER, headers=job_header)
    return V3Error(500, UNEXPECTED, headers=job_header)


def _payload(runtime: Runtime, job: Job) -> dict[str, Any]:
    """The job's V3 callback body, as its webhook would carry it (the KYC receipt link signed now)."""
    with transaction(runtime.sessions) as session:
        return with_v3_receipt_link(
            session, runtime, job.smile_job_id, job.job_type, callback_payload(runtime, job)
        )
