"""The v1 job endpoints: prep upload, the zip PUT, job_status, and expiring image links."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from openkyc import audit
from openkyc.api_errors import MISSING_PARAMETER, NOT_FOUND, UPLOAD_PREPARED_CODE, WRONG_DATA_TYPE, ApiError
from openkyc.audit import Actor
from openkyc.db import transaction, utcnow
from openkyc.http import read_json_object, read_limited_body
from openkyc.job_types import JobType
from openkyc.jobs import service, uploads
from openkyc.jobs.models import Job, JobState
from openkyc.jobs.status import job_status_body
from openkyc.partner_input import PartnerParams, parse_partner_params
from openkyc.partners.auth import Caller, authenticate
from openkyc.runtime import Runtime
from openkyc.signing import sign_response
from openkyc.users.service import require_authenticable, require_enrollable
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


@router.post("/upload")
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
    if body.get("partner_params") is None:
        raise ApiError(MISSING_PARAMETER, "partner_params is required")
    params = parse_partner_params(body.get("partner_params"))
    callback_url = optional_url(body.get("callback_url"), "callback_url")
    use_enrolled_image = as_bool(body.get("use_enrolled_image"))
    with transaction(runtime.sessions) as session:
        _check_enrolled_user_rules(session, caller, params, body, use_enrolled_image)
        ticket = service.create_upload_job(
            db_session=session,
            partner_id=caller.partner_id,
            environment=caller.environment,
            api_key_id=caller.key_id,
            params=params,
            callback_url=callback_url,
            use_enrolled_image=use_enrolled_image,
            retry=as_bool(body.get("retry")),
            upload_ttl=runtime.settings.upload_url_ttl,
        )
        smile_job_id = ticket.job.smile_job_id
    if ticket.retried:
        uploads.discard_direct_upload(runtime, smile_job_id)
    return {
        "upload_url": uploads.upload_url(runtime, smile_job_id, ticket.upload_token, base),
        "ref_id": f"{caller.partner_id}-{smile_job_id}-{secrets.token_hex(6)}",
        "smile_job_id": smile_job_id,
        "camera_config": None,  # Java parses it as a string: null, never an object
        "code": UPLOAD_PREPARED_CODE,
    }


def _check_enrolled_user_rules(
    session: Any,
    caller: Caller,
    params: PartnerParams,
    body: dict[str, Any],
    use_enrolled_image: bool,
) -> None:
    """Refuse at prep-upload what the job could never do (2207/2208/2209/2210/2211/2216)."""
    who = {
        "db_session": session,
        "partner_id": caller.partner_id,
        "environment": caller.environment,
        "user_id": params.user_id,
    }
    if params.job_type == JobType.SMART_SELFIE_REGISTRATION:
        require_enrollable(**who, allow_new_enroll=as_bool(body.get("allow_new_enroll")))
    elif params.job_type == JobType.SMART_SELFIE_AUTHENTICATION or (
        params.job_type == JobType.DOCUMENT_VERIFICATION and use_enrolled_image
    ):
        require_authenticable(**who)


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
    await run_in_threadpool(_store_and_queue, runtime, token, payload, lookup)
    return Response(status_code=200)


def _job_for_upload(runtime: Runtime, token: str) -> Job:
    """The job waiting for this upload, detached (refused with the documented code otherwise)."""
    with transaction(runtime.sessions) as session:
        job = service.job_for_upload(db_session=session, token=token, now=utcnow())
        session.expunge(job)
    return job


def _store_and_queue(runtime: Runtime, token: str, payload: bytes, lookup: dict[str, object]) -> None:
    with transaction(runtime.sessions) as session:
        job = service.job_for_upload(db_session=session, token=token, now=utcnow())
        uploads.store_and_queue(runtime, db_session=session, job=job, payload=payload, lookup=lookup)
        smile_job_id = job.smile_job_id
    runtime.queue.job_queued(smile_job_id)


@router.post("/job_status")
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
    user_id, job_id = body.get("user_id"), body.get("job_id")
    if user_id in (None, "") or job_id in (None, ""):
        raise ApiError(MISSING_PARAMETER, "user_id and job_id are required")
    with transaction(runtime.sessions) as session:
        job = service.get_job_for_status(
            db_session=session,
            partner_id=caller.partner_id,
            environment=caller.environment,
            user_id=str(user_id),
            job_id=str(job_id),
        )
        if job.state == JobState.AWAITING_UPLOAD and runtime.settings.uses_s3:
            # The SDKs poll right after their PUT to storage: look for the upload now.
            runtime.queue.upload_reported(job.smile_job_id)
        answer = job_status_body(
            job,
            history=as_bool(body.get("history")),
            image_links=as_bool(body.get("image_links")),
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
        key = (job.inputs or {}).get("images", {}).get(kind)
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
