"""The v1 job endpoints: prep upload, the zip PUT, job_status, and expiring image links."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, model_validator
from starlette.concurrency import run_in_threadpool

from openkyc import audit
from openkyc.api_errors import (
    INVALID_JOB_TYPE,
    JOB_EXISTS,
    JOB_NOT_FOUND,
    MISSING_PARAMETER,
    NO_ENROLLED_USER,
    NOT_FOUND,
    REENROLL_REQUIRED,
    SIGNED_BODY_ERRORS,
    STATUS_SUCCESS_CODE,
    UPLOAD_PREPARED_CODE,
    USER_ALREADY_ENROLLED,
    USER_DELETED,
    USER_DISABLED,
    WRONG_DATA_TYPE,
    ApiError,
    error_responses,
)
from openkyc.audit import Actor
from openkyc.db import transaction, utcnow
from openkyc.http import SignedBody, json_body, read_json_object, read_limited_body, validate_body
from openkyc.jobs import service, submission, uploads
from openkyc.jobs.models import Job, JobState
from openkyc.jobs.status import job_status_body, stored_image_key
from openkyc.jobs.submission import Submitter
from openkyc.partner_input import WirePartnerParams, parse_partner_params
from openkyc.partners.auth import authenticate
from openkyc.runtime import Runtime
from openkyc.signing import sign_response
from openkyc.webdeps import RuntimeDep, public_base_url

router = APIRouter(prefix="/v1", tags=["jobs"])

# The views are async only to read their bodies; the rest (key look-up, database, encryption,
# blob files) runs on the thread pool, so a busy SQLite lock or a 30 MB blob write never holds up
# the event loop (and with it /healthz and every other request).


def as_bool(value: Any) -> bool:
    """SDKs send flags as booleans or as "true"/"false" strings."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def optional_url(value: Any, name: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 2048:
        raise ApiError(WRONG_DATA_TYPE, f"{name} must be a URL string")
    return value


_CALLBACK_URL = Field(
    default=None,
    max_length=2048,
    description="Where the job's result is POSTed; else your default callback URL.",
    examples=["https://partner.example.com/callback"],
)
_FLAG = "true/false, as a boolean or a string"


class PrepUploadRequest(SignedBody):
    """Open a job whose images and info.json follow as a zip PUT to ``upload_url``. Other keys the
    SDKs send (``smile_client_id``, ``model_parameters``) are accepted and ignored."""

    partner_params: WirePartnerParams
    callback_url: str | None = _CALLBACK_URL
    use_enrolled_image: bool = Field(
        default=False, description=f"Document Verification against the enrolled selfie ({_FLAG})."
    )
    retry: bool = Field(default=False, description=f"Re-open a job whose upload failed ({_FLAG}).")
    allow_new_enroll: bool = Field(
        default=False, description=f"Registration of an already enrolled user_id replaces it ({_FLAG})."
    )

    @model_validator(mode="before")
    @classmethod
    def _documented_errors(cls, body: Any) -> Any:
        if body.get("partner_params") is None:
            raise ApiError(MISSING_PARAMETER, "partner_params is required")
        return {
            "partner_params": parse_partner_params(body.get("partner_params")),
            "callback_url": optional_url(body.get("callback_url"), "callback_url"),
            "use_enrolled_image": as_bool(body.get("use_enrolled_image")),
            "retry": as_bool(body.get("retry")),
            "allow_new_enroll": as_bool(body.get("allow_new_enroll")),
        }


class PrepUploadAnswer(BaseModel):
    upload_url: str = Field(
        description="PUT the job's zip here, once, before it expires.",
        examples=["https://kyc.example.com/v1/uploads/Y65h0_uX2Wpj488QEjCXxTy5hfManEdTBoUZSqTjDdY"],
    )
    ref_id: str = Field(examples=["1001-2059488354-fc982b664e5a"])
    smile_job_id: str = Field(examples=["2059488354"])
    camera_config: None = Field(default=None, description="Always null.")
    code: str = Field(examples=[UPLOAD_PREPARED_CODE])


@router.post(
    "/upload",
    response_model=None,
    openapi_extra=json_body(PrepUploadRequest),
    responses={
        200: {"model": PrepUploadAnswer, "description": "The job is open: PUT its zip to upload_url."},
        **error_responses(
            *SIGNED_BODY_ERRORS,
            MISSING_PARAMETER,
            INVALID_JOB_TYPE,
            JOB_EXISTS,
            USER_DISABLED,
            USER_DELETED,
            USER_ALREADY_ENROLLED,
            NO_ENROLLED_USER,
            REENROLL_REQUIRED,
        ),
    },
)
async def prep_upload(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Create a job and hand out the URL its zip is PUT to (compatibility §4.1)."""
    body = await read_json_object(request, runtime.settings.max_json_body)
    return await run_in_threadpool(
        _prep_upload, runtime, request.headers, body, public_base_url(request, runtime)
    )


def _prep_upload(
    runtime: Runtime, headers: Mapping[str, str], body: dict[str, Any], base: str
) -> dict[str, Any]:
    caller = authenticate(runtime, headers=headers, body=body)
    parsed = validate_body(PrepUploadRequest, body)
    ticket = submission.open_upload_job(
        runtime,
        Submitter.of(caller),
        parsed.partner_params,
        callback_url=parsed.callback_url,
        use_enrolled_image=parsed.use_enrolled_image,
        retry=parsed.retry,
        allow_new_enroll=parsed.allow_new_enroll,
    )
    smile_job_id = ticket.job.smile_job_id
    return {
        "upload_url": uploads.upload_url(runtime, smile_job_id, ticket.upload_token, base),
        "ref_id": f"{caller.partner_id}-{smile_job_id}-{secrets.token_hex(6)}",
        "smile_job_id": smile_job_id,
        "camera_config": None,  # Java parses it as a string: null, never an object
        "code": UPLOAD_PREPARED_CODE,
    }


@router.put("/uploads/{token}", include_in_schema=False)
async def receive_zip(token: str, request: Request, runtime: RuntimeDep) -> Response:
    """The capability URL handed out by prep-upload: store the zip and queue the job."""
    await run_in_threadpool(_job_for_upload, runtime, token)
    payload = await read_limited_body(request, runtime.settings.max_zip_body)
    job = await run_in_threadpool(_job_for_upload, runtime, token)
    # The ID a look-up job names is checked (and counted against the rate limit) before the job
    # is accepted: its errors answer this PUT, as the synchronous look-ups answer theirs. Images are
    # decoded on a bounded pool, never on the event loop.
    lookup = await uploads.check_payload_off_loop(runtime, job, payload)
    await run_in_threadpool(submission.accept_upload, runtime, token, payload, lookup)
    return Response(status_code=200)


def _job_for_upload(runtime: Runtime, token: str) -> Job:
    """The job waiting for this upload, detached (refused with the documented code otherwise)."""
    with transaction(runtime.sessions) as session:
        job = service.job_for_upload(db_session=session, token=token, now=utcnow())
        session.expunge(job)
    return job


class JobStatusRequest(SignedBody):
    """A job's state and result, named by your user_id and job_id."""

    user_id: str = Field(description="The job's partner_params.user_id.", examples=["user-1"])
    job_id: str = Field(description="The job's partner_params.job_id.", examples=["job-2"])
    history: bool = Field(default=False, description=f"Include the job's earlier results ({_FLAG}).")
    image_links: bool = Field(default=False, description=f"Include expiring links to its images ({_FLAG}).")

    @model_validator(mode="before")
    @classmethod
    def _documented_errors(cls, body: Any) -> Any:
        user_id, job_id = body.get("user_id"), body.get("job_id")
        if user_id in (None, "") or job_id in (None, ""):
            raise ApiError(MISSING_PARAMETER, "user_id and job_id are required")
        return {
            "user_id": str(user_id),
            "job_id": str(job_id),
            "history": as_bool(body.get("history")),
            "image_links": as_bool(body.get("image_links")),
        }


class JobStatusAnswer(BaseModel):
    """Signed with your key (timestamp, signature); ``result`` is the job's result once complete."""

    timestamp: str = Field(examples=["2026-12-03T19:01:38.988Z"])
    signature: str = Field(examples=["zfoBMcbQSltqdvBlCgkhKGwxiLLhZDz04fsmya3dLPg="])
    job_complete: bool = Field(examples=[True])
    job_success: bool = Field(examples=[True])
    code: str = Field(examples=[STATUS_SUCCESS_CODE])
    result: dict[str, Any] | str = Field(
        description="The result (the same object as the callback's), or a text while the job runs.",
        examples=["Job is being processed"],
    )
    history: list[dict[str, Any]] | None = Field(default=None, description="With history=true.")
    image_links: dict[str, str] | None = Field(default=None, description="With image_links=true.")
    kyc_receipt: str | None = Field(
        default=None,
        description="Biometric KYC, Document Verification and Enhanced Document Verification, once "
        "complete: an expiring link to the job's KYC receipt (a PDF without personal data), also "
        "in result.KYCReceipt.",
    )


@router.post(
    "/job_status",
    response_model=None,
    openapi_extra=json_body(JobStatusRequest),
    responses={
        200: {"model": JobStatusAnswer, "description": "The job's state, signed."},
        **error_responses(*SIGNED_BODY_ERRORS, MISSING_PARAMETER, JOB_NOT_FOUND),
    },
)
async def job_status(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """A job's state and result, signed with the caller's key (compatibility §4.3)."""
    body = await read_json_object(request, runtime.settings.max_json_body)
    return await run_in_threadpool(
        _job_status, runtime, request.headers, body, public_base_url(request, runtime)
    )


def _job_status(
    runtime: Runtime, headers: Mapping[str, str], body: dict[str, Any], base: str
) -> dict[str, Any]:
    caller = authenticate(runtime, headers=headers, body=body)
    parsed = validate_body(JobStatusRequest, body)
    with transaction(runtime.sessions) as session:
        job = service.get_job_for_status(
            db_session=session,
            partner_id=caller.partner_id,
            environment=caller.environment,
            user_id=parsed.user_id,
            job_id=parsed.job_id,
        )
        if job.state == JobState.AWAITING_UPLOAD and runtime.settings.uses_s3:
            # The SDKs poll right after their PUT to storage: look for the upload now.
            runtime.queue.upload_reported(job.smile_job_id)
        answer = job_status_body(
            job,
            history=parsed.history,
            image_links=parsed.image_links,
            base_url=base,
            links=runtime.links,
            link_expires=utcnow() + runtime.settings.image_link_ttl,
        )
        audit.record(
            session,
            actor=Actor.partner(caller.partner_id),
            action="job.result_viewed",
            target_type="job",
            target_id=job.smile_job_id,
            detail={"api_key_id": caller.key_id, "image_links": "image_links" in answer},
        )
    return {**sign_response(caller.api_key, caller.partner_id, utcnow()), **answer}


@router.get("/images/{smile_job_id}/{kind}", include_in_schema=False)
async def image_link(smile_job_id: str, kind: str, expires: int, sig: str, runtime: RuntimeDep) -> Response:
    """An image behind an expiring signed link from job_status."""
    return await run_in_threadpool(_image, runtime, smile_job_id, kind, expires, sig)


def _image(runtime: Runtime, smile_job_id: str, kind: str, expires: int, sig: str) -> Response:
    if not runtime.links.verify(f"{smile_job_id}/{kind}", expires, sig, utcnow()):
        raise ApiError(NOT_FOUND, "This link is invalid or has expired")
    with transaction(runtime.sessions) as session:
        job = service.get_job(db_session=session, smile_job_id=smile_job_id)
        key = stored_image_key(job, kind)
        audit.record(
            session,
            actor=Actor.partner(job.partner_id),
            action="job.image_viewed",
            target_type="job",
            target_id=smile_job_id,
            detail={"kind": kind, "stored": isinstance(key, str)},
        )
    if not isinstance(key, str):
        raise ApiError(NOT_FOUND, "This image is not stored")
    data = runtime.blobs.get(key)
    media_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return Response(content=data, media_type=media_type, headers={"Cache-Control": "private, no-store"})
