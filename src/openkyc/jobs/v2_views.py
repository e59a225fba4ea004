"""The synchronous v2 SmartSelfie endpoints (compatibility §9.2): enroll, authentication, compare.

Header-signed multipart requests, answered with the final (or, for enroll/authentication, the
provisional) result in the v2 shape. Each request is a job like a v1 one: a row, its images
encrypted in the blob store, the result and history, enrolment and the signed v1-format callback,
all published by :func:`openkyc.jobs.flows.publish_result`. The engine runs in a worker thread so
the event loop keeps serving other requests.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from openkyc.api_errors import (
    INVALID_JSON,
    INVALID_VALUE,
    JOB_EXISTS,
    NO_ENROLLED_USER,
    NO_PHOTO_ON_FILE,
    PAYLOAD_TOO_LARGE,
    PRODUCTION_NOT_ENABLED,
    REENROLL_REQUIRED,
    SERVICE_UNAVAILABLE,
    SYSTEM_ERROR,
    UNAUTHORIZED,
    USER_ALREADY_ENROLLED,
    USER_DELETED,
    USER_DISABLED,
    WRONG_DATA_TYPE,
    ApiError,
    error_responses,
)
from openkyc.callbacks import service as callbacks
from openkyc.db import transaction
from openkyc.engine.errors import ImageError
from openkyc.engine.images.decode import DecodedImage, load_image
from openkyc.engine.smart_selfie import assess_smart_selfie
from openkyc.http import SIGNATURE_HEADERS
from openkyc.job_types import JobType
from openkyc.jobs import service
from openkyc.jobs.flows import publish_result, system_error
from openkyc.jobs.models import Job
from openkyc.jobs.pad import LivenessConfigs, liveness_configs
from openkyc.jobs.v2_forms import (
    DecodedSubmission,
    SmartSelfieSubmission,
    decode_submission,
    form_body,
    read_form,
    read_submission,
    refuse_declared_oversize,
)
from openkyc.offload import run_bounded
from openkyc.partner_input import PartnerParams, parse_partner_params
from openkyc.partners.auth import Caller, authenticate
from openkyc.products import (
    JOB_TYPES,
    Product,
    ProductResult,
    smart_selfie_authentication,
    smart_selfie_compare,
    smart_selfie_registration,
)
from openkyc.products.evidence import evidence_record
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment
from openkyc.storage import BlobNotFound
from openkyc.storage.keys import job_image_key, liveness_frame_key
from openkyc.users.service import require_authenticable, require_enrollable
from openkyc.webdeps import RuntimeDep

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v2", tags=["smart-selfie"])


class Reference(Enum):
    """What the selfie is compared with."""

    NONE = "none"
    ENROLLED_FACE = "enrolled_face"
    COMPARISON_IMAGE = "comparison_image"


@dataclass(frozen=True)
class Endpoint:
    product: Product  # its value is the v2 response's job_type
    user_id_required: bool
    # Registration and compare register the selfie: an enrolled user_id is 2209 unless re-enrolling.
    enrols: bool
    reference: Reference

    @property
    def job_type(self) -> JobType:
        return JOB_TYPES[self.product]


ENROLL = Endpoint(Product.SMART_SELFIE_REGISTRATION, False, True, Reference.NONE)
AUTHENTICATE = Endpoint(Product.SMART_SELFIE_AUTHENTICATION, True, False, Reference.ENROLLED_FACE)
COMPARE = Endpoint(Product.SMART_SELFIE_COMPARE, True, True, Reference.COMPARISON_IMAGE)


class SmartSelfieAnswer(BaseModel):
    """The job's result in the v2 shape (its v1-format result goes to the callback, if any)."""

    code: str = Field(description="The result code.", examples=["0840"])
    created_at: str = Field(examples=["2026-12-03T19:04:54.644Z"])
    job_id: str = Field(examples=["job-5"])
    job_type: str = Field(examples=[Product.SMART_SELFIE_REGISTRATION.value])
    message: str = Field(examples=["Enroll User"])
    partner_id: str = Field(examples=["1001"])
    partner_params: dict[str, str] = Field(
        description="Every value a string.",
        examples=[{"job_id": "job-5", "app": "x", "user_id": "user-1", "job_type": "4"}],
    )
    status: str = Field(description="approved, rejected or pending (provisional).", examples=["approved"])
    updated_at: str = Field(examples=["2026-12-03T19:04:56.806Z"])
    user_id: str = Field(examples=["user-1"])


_ERRORS = error_responses(
    INVALID_JSON,
    WRONG_DATA_TYPE,
    UNAUTHORIZED,
    INVALID_VALUE,
    JOB_EXISTS,
    USER_DISABLED,
    USER_DELETED,
    USER_ALREADY_ENROLLED,
    NO_ENROLLED_USER,
    REENROLL_REQUIRED,
    NO_PHOTO_ON_FILE,
    PAYLOAD_TOO_LARGE,
    PRODUCTION_NOT_ENABLED,
    SYSTEM_ERROR,
    SERVICE_UNAVAILABLE,
)


def _documented(endpoint: Endpoint) -> dict[str, Any]:
    """The route's documentation: its form parts (signed in the SmileID-* headers), answer, errors."""
    return {
        "response_model": None,
        "openapi_extra": {
            **form_body(
                compare=endpoint.reference is Reference.COMPARISON_IMAGE,
                user_id_required=endpoint.user_id_required,
            ),
            "parameters": SIGNATURE_HEADERS,
        },
        "responses": {200: {"model": SmartSelfieAnswer, "description": "The result."}, **_ERRORS},
    }


@router.post("/smart-selfie-enroll", **_documented(ENROLL))
async def smart_selfie_enroll(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Register a user's face (job_type 4); ``allow_new_enroll`` replaces an enrolled one."""
    return await _submit(request, runtime, ENROLL)


@router.post("/smart-selfie-authentication", **_documented(AUTHENTICATE))
async def smart_selfie_authentication_v2(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Compare a returning user's selfie with their enrolled face (job_type 2)."""
    return await _submit(request, runtime, AUTHENTICATE)


@router.post("/smart-selfie-compare", **_documented(COMPARE))
async def smart_selfie_compare_v2(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Compare a selfie with a partner-supplied image and enrol it on a match (job_type 3)."""
    return await _submit(request, runtime, COMPARE)


async def _submit(request: Request, runtime: Runtime, endpoint: Endpoint) -> dict[str, Any]:
    limit = runtime.settings.max_multipart_body
    refuse_declared_oversize(request, limit)
    # Header-signed, so checked before the body is read: a bad signature costs no parsing.
    caller = authenticate(runtime, headers=request.headers, body=None)
    form = await read_form(request, limit)
    try:
        submission = await read_submission(form, compare=endpoint.reference is Reference.COMPARISON_IMAGE)
    finally:
        await form.close()
    params = partner_params_for(submission, endpoint)
    # Decoding and verification take a core each: on their own bounded pool, not Starlette's 40.
    return await run_bounded(
        "sync-verification",
        runtime.settings.sync_verification_workers,
        _run,
        runtime,
        caller,
        endpoint,
        params,
        submission,
    )


def partner_params_for(submission: SmartSelfieSubmission, endpoint: Endpoint) -> PartnerParams:
    """The job's partner params: the partner's keys (echoed), with user_id, job_id and job_type set.

    The ``user_id`` part wins over one inside partner_params (the SDKs send it as its own part);
    enrolment generates a user_id when none is given, as the Android SDK does client-side, and a
    missing job_id is generated (Android sends none).
    """
    raw = dict(submission.partner_params)
    user_id = submission.user_id or _present(raw.get("user_id"))
    if user_id is None:
        if endpoint.user_id_required:
            raise ApiError(INVALID_VALUE, "user_id is required.")
        user_id = f"user-{uuid.uuid4()}"
    job_id = _present(raw.get("job_id")) or f"job-{uuid.uuid4()}"
    # The endpoint decides the job type; a partner's job_type (compare's docs send "3") is informative.
    return parse_partner_params({**raw, "user_id": user_id, "job_id": job_id, "job_type": endpoint.job_type})


def _present(value: Any) -> Any:
    return None if value in (None, "") else value


def _run(
    runtime: Runtime,
    caller: Caller,
    endpoint: Endpoint,
    params: PartnerParams,
    submission: SmartSelfieSubmission,
) -> dict[str, Any]:
    """The whole job, in a worker thread: checks, job row, images, verification, publication."""
    images = decode_submission(submission)
    enrolled_face = _check_user(runtime, caller, endpoint, params, submission.allow_new_enroll)
    job = _open_job(runtime, caller, params, submission)
    stored = _store_images(runtime, job, submission)
    outcome = _verify_or_fail(
        runtime, job, stored, endpoint, images, enrolled_face, _sandbox(caller, submission)
    )
    published = publish_result(runtime, job, outcome, stored)  # a fraud report may have overruled it
    return _response(runtime, job, endpoint, published)


def _check_user(
    runtime: Runtime,
    caller: Caller,
    endpoint: Endpoint,
    params: PartnerParams,
    allow_new_enroll: bool,
) -> DecodedImage | None:
    """Refuse what the job could never do (2207-2211, 2216); the enrolled face for authentication."""
    with transaction(runtime.sessions) as session:
        who: dict[str, Any] = {
            "db_session": session,
            "partner_id": caller.partner_id,
            "environment": caller.environment,
            "user_id": params.user_id,
        }
        if endpoint.enrols:
            require_enrollable(**who, allow_new_enroll=allow_new_enroll)
        if endpoint.reference is not Reference.ENROLLED_FACE:
            return None
        selfie_key = require_authenticable(**who).selfie_blob
    if not selfie_key:
        raise ApiError(NO_PHOTO_ON_FILE)
    # The registered photo itself, not only its embedding: re-sending it must be caught as a replay.
    try:
        return load_image(runtime.blobs.get(selfie_key))
    except (BlobNotFound, ImageError) as error:
        raise ApiError(NO_PHOTO_ON_FILE) from error


def _open_job(
    runtime: Runtime, caller: Caller, params: PartnerParams, submission: SmartSelfieSubmission
) -> Job:
    with transaction(runtime.sessions) as session:
        job = service.create_sync_job(
            db_session=session,
            partner_id=caller.partner_id,
            environment=caller.environment,
            api_key_id=caller.key_id,
            params=params,
            callback_url=submission.callback_url,
        )
        if submission.comparison_image_type is not None:
            job.inputs = {"comparison_image_type": submission.comparison_image_type}
        session.flush()
        session.expunge(job)
    callbacks.warn_at_intake(
        job.smile_job_id, submission.callback_url, allow_private=runtime.settings.allow_private_callbacks
    )
    return job


def _store_images(runtime: Runtime, job: Job, submission: SmartSelfieSubmission) -> dict[str, Any]:
    """The images, encrypted, for image links, reviewers and enrolment ("selfie" is enrolled)."""
    stored: dict[str, Any] = {"selfie": job_image_key(job.smile_job_id, "selfie")}
    runtime.blobs.put(stored["selfie"], submission.selfie)
    if submission.comparison is not None:
        stored["comparison"] = job_image_key(job.smile_job_id, "comparison")
        runtime.blobs.put(stored["comparison"], submission.comparison)
    if submission.liveness:
        stored["liveness"] = [
            liveness_frame_key(job.smile_job_id, index) for index in range(len(submission.liveness))
        ]
        for key, frame in zip(stored["liveness"], submission.liveness, strict=True):
            runtime.blobs.put(key, frame)
    return stored


def _sandbox(caller: Caller, submission: SmartSelfieSubmission) -> str | None:
    """``sandbox_result`` forces an outcome in the sandbox only (compatibility §10.2)."""
    return submission.sandbox_result if caller.environment == Environment.SANDBOX else None


def _verify_or_fail(
    runtime: Runtime,
    job: Job,
    stored: dict[str, Any],
    endpoint: Endpoint,
    images: DecodedSubmission,
    enrolled_face: DecodedImage | None,
    sandbox_result: str | None,
) -> ProductResult:
    """The product's decision; an unexpected failure still gives the job its documented final
    "System Error" result (so no job is left in processing) and the request 2201."""
    try:
        return _decide(endpoint, images, enrolled_face, sandbox_result, liveness_configs(runtime))
    except Exception as error:
        log.exception("job %s: v2 verification failed unexpectedly", job.smile_job_id)
        publish_result(runtime, job, system_error(job), stored)
        raise ApiError(SYSTEM_ERROR) from error


def _decide(
    endpoint: Endpoint,
    images: DecodedSubmission,
    enrolled_face: DecodedImage | None,
    sandbox_result: str | None,
    configs: LivenessConfigs,
) -> ProductResult:
    reference = enrolled_face if endpoint.reference is Reference.ENROLLED_FACE else images.comparison
    evidence = assess_smart_selfie(
        images.selfie,
        images.liveness,
        reference=reference.bgr if reference is not None else None,
        liveness_config=configs.active,
        selfie_config=configs.passive,
    )
    record = evidence_record(evidence, root="selfie")
    if endpoint.product is Product.SMART_SELFIE_AUTHENTICATION:
        return smart_selfie_authentication.decide(evidence, sandbox_result=sandbox_result).with_evidence(
            record
        )
    decide = (
        smart_selfie_compare.decide
        if endpoint.product is Product.SMART_SELFIE_COMPARE
        else smart_selfie_registration.decide
    )
    # Both register the selfie when they approve it (ProductResult.enrols_selfie).
    result = decide(evidence, sandbox_result=sandbox_result).with_evidence(record)
    return result.with_enrolment(evidence.selfie_analysis.embedding)


def _response(runtime: Runtime, job: Job, endpoint: Endpoint, outcome: ProductResult) -> dict[str, Any]:
    """The v2 answer, in the documented key order; code/message/status are the product's."""
    with transaction(runtime.sessions) as session:
        stored = service.get_job(db_session=session, smile_job_id=job.smile_job_id)
        created_at, updated_at = stored.created_at, stored.completed_at or stored.updated_at
    v2 = outcome.v2()
    return {
        "code": v2["code"],
        "created_at": _iso(created_at),
        "job_id": job.job_id,
        "job_type": endpoint.product.value,
        "message": v2["message"],
        "partner_id": job.partner_id,
        "partner_params": wire_partner_params(job.partner_params),
        "status": v2["status"],
        "updated_at": _iso(updated_at),
        "user_id": job.user_id,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def wire_partner_params(params: dict[str, Any]) -> dict[str, str]:
    """partner_params with every value a string: Android decodes them as Map<String, String>."""
    return {key: _as_text(value) for key, value in params.items()}


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))
