"""Running a queued job: intake → verification engine → product decision → result, enrolment,
callback. Called by the worker pool with a job it has claimed.
"""

from __future__ import annotations

import logging
from typing import Any

from openkyc.api_errors import SYSTEM_ERROR, ApiError
from openkyc.callbacks import service as callbacks
from openkyc.db import transaction
from openkyc.engine.document_verification import assess_document_verification
from openkyc.engine.images.decode import DecodedImage, load_image
from openkyc.engine.smart_selfie import assess_smart_selfie
from openkyc.job_types import JobType
from openkyc.jobs import lookup_products, service
from openkyc.jobs.intake import IntakeError, IntakeLimits, JobPayload, codes, read_job_payload
from openkyc.jobs.models import Job
from openkyc.jobs.pad import liveness_configs
from openkyc.products import (
    ProductResult,
    document_verification,
    intake_failure,
    smart_selfie_authentication,
    smart_selfie_registration,
)
from openkyc.products.codes.document_verification import DocumentVerification as Docv
from openkyc.products.failures import PRODUCTS_BY_JOB_TYPE
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment
from openkyc.storage.keys import enrolled_selfie_key, job_image_key
from openkyc.users import service as users

log = logging.getLogger(__name__)

RESULT_SOURCE = "WebAPI"


# Attempts before a job that keeps failing unexpectedly gets a final "System Error" result.
MAX_ATTEMPTS = 3


def process_job(runtime: Runtime, smile_job_id: str) -> None:
    """Verify one claimed job and publish its result (idempotent: a rerun replaces the answer).

    An unexpected error requeues the job; after MAX_ATTEMPTS it is answered with the documented
    "System Error" result, so no accepted job is left without an answer.
    """
    with transaction(runtime.sessions) as session:
        job = service.get_job(db_session=session, smile_job_id=smile_job_id)
        session.expunge(job)
    try:
        _verify_and_publish(runtime, job)
    except Exception:
        log.exception("job %s: verification failed unexpectedly (attempt %d)", smile_job_id, job.attempts)
        if job.attempts < MAX_ATTEMPTS:
            with transaction(runtime.sessions) as session:
                requeued = service.requeue(
                    db_session=session, smile_job_id=smile_job_id, attempt=job.attempts
                )
            if requeued:
                runtime.queue.job_queued(smile_job_id)
            return
        publish_result(runtime, job, system_error(job), {})


def system_error(job: Job) -> ProductResult:
    """The documented final answer of a job that could not be verified for an unexpected reason."""
    # Every product's table has this general failure row; intake_failure answers with the product's own.
    return intake_failure(job.job_type, code=Docv.SYSTEM_ERROR.code, text=Docv.SYSTEM_ERROR.text)


# Code and text of the answer to a look-up job (ID, business) cut short by a restart.
LOOKUP_SYSTEM_ERROR = (SYSTEM_ERROR.code, SYSTEM_ERROR.text)


def _verify_and_publish(runtime: Runtime, job: Job) -> None:
    if job.job_type not in PRODUCTS_BY_JOB_TYPE:
        _fail_interrupted_lookup(runtime, job)
        return
    if "payload" not in job.inputs:
        # A synchronous (v2) job left in processing by a restart: its request has already failed,
        # and there is no zip to verify again, so it gets the documented answer at once.
        publish_result(runtime, job, system_error(job), job.inputs.get("images", {}))
        return
    try:
        payload = read_job_payload(runtime.blobs.get(job.inputs["payload"]), IntakeLimits())
        images = _store_images(runtime, job, payload)
        outcome = _decide(runtime, job, payload)
    except IntakeError as error:
        images = {}
        outcome = intake_failure(job.job_type, code=error.code, text=error.message)
        log.info("job %s: payload refused (%s)", job.smile_job_id, error.reason)
    except ApiError as error:
        # The enrolled user changed after the upload was accepted (disabled, deleted, flagged):
        # retrying cannot help, so the job is answered now rather than after MAX_ATTEMPTS.
        images = {}
        outcome = system_error(job)
        log.info("job %s: enrolled user no longer usable (%s)", job.smile_job_id, error.spec.code)
    publish_result(runtime, job, outcome, images)


def _fail_interrupted_lookup(runtime: Runtime, job: Job) -> None:
    """A synchronous look-up (Enhanced or Basic KYC, business verification) left in processing by
    a restart. Its request already failed, so the partner got no answer and expects no callback;
    the job is closed as failed (job_status says so) and may be redone with ``retry``."""
    code, text = LOOKUP_SYSTEM_ERROR
    result = {
        "SmileJobID": job.smile_job_id,
        "PartnerParams": job.partner_params,
        "ResultCode": code,
        "ResultText": text,
        "IsFinalResult": "true",
    }
    with transaction(runtime.sessions) as session:
        stored = service.get_job(db_session=session, smile_job_id=job.smile_job_id)
        service.record_result(db_session=session, job=stored, result=result, final=True, failed=True)


def _store_images(runtime: Runtime, job: Job, payload: JobPayload) -> dict[str, Any]:
    """Keep the job's images (encrypted) for image_links, review and enrolment."""
    stored: dict[str, Any] = {}
    found = payload.images
    for kind, image in (("selfie", found.selfie), ("id_front", found.id_front), ("id_back", found.id_back)):
        if image is not None:
            key = job_image_key(job.smile_job_id, kind)
            runtime.blobs.put(key, image.data)
            stored[kind] = key
    return stored


def _sandbox_result(job: Job) -> str | None:
    """``sandbox_result`` forces the outcome of biometric jobs, in sandbox only (compatibility §10.2)."""
    if job.environment != Environment.SANDBOX.value:
        return None
    value = job.partner_params.get("sandbox_result")
    return str(value) if value is not None else None


def _decide(runtime: Runtime, job: Job, payload: JobPayload) -> ProductResult:
    images = payload.images
    frames = [frame.decoded for frame in images.liveness]
    sandbox_result = _sandbox_result(job)
    configs = liveness_configs(runtime)
    if job.job_type == JobType.SMART_SELFIE_REGISTRATION:
        selfie = _require_selfie(images.selfie)
        evidence = assess_smart_selfie(
            selfie, frames, liveness_config=configs.active, selfie_config=configs.passive
        )
        result = smart_selfie_registration.decide(evidence, sandbox_result=sandbox_result)
        return result.with_enrolment(evidence.selfie_analysis.embedding)
    if job.job_type == JobType.SMART_SELFIE_AUTHENTICATION:
        selfie = _require_selfie(images.selfie)
        # The registered selfie itself, not only its embedding: re-sending that very photo must be
        # caught as the same image (a replay), which needs its pixels.
        reference = _enrolled_selfie(runtime, job).bgr
        evidence = assess_smart_selfie(
            selfie, frames, reference=reference, liveness_config=configs.active, selfie_config=configs.passive
        )
        return smart_selfie_authentication.decide(evidence, sandbox_result=sandbox_result)
    if job.job_type == JobType.BIOMETRIC_KYC:
        selfie = _require_selfie(images.selfie)
        return lookup_products.decide_biometric_kyc(runtime, job, payload, selfie, frames, sandbox_result)
    docv = _document_verification(runtime, job, payload, frames, sandbox_result)
    if job.job_type == JobType.ENHANCED_DOCUMENT_VERIFICATION:
        return lookup_products.decide_enhanced_document_verification(runtime, job, payload, docv)
    # /v1/upload admits no other job type (job_types.UPLOAD_JOB_TYPES).
    return docv


def _document_verification(
    runtime: Runtime, job: Job, payload: JobPayload, frames: list[DecodedImage], sandbox_result: str | None
) -> ProductResult:
    images = payload.images
    if images.id_front is None:
        raise IntakeError(codes.DATA_INVALID, Docv.ID_CARD_NOT_PROVIDED.text, reason="docv.no_id_image")
    use_enrolled = bool(job.use_enrolled_image or payload.use_enrolled_image)
    selfie = _enrolled_selfie(runtime, job) if use_enrolled else _require_selfie(images.selfie)
    configs = liveness_configs(runtime)
    evidence = assess_document_verification(
        images.id_front.decoded,
        selfie,
        frames=frames,
        back=images.id_back.decoded if images.id_back else None,
        declared_id_type=_text(payload.id_info.get("id_type")),
        declared_country=_text(payload.id_info.get("country")),
        liveness_config=configs.active,
        selfie_config=configs.passive,
    )
    result = document_verification.decide(
        evidence,
        sandbox=job.environment == Environment.SANDBOX,
        sandbox_result=sandbox_result,
        use_enrolled_image=use_enrolled,
    )
    if not use_enrolled:
        result = result.with_enrolment(evidence.selfie.selfie_analysis.embedding)
    return result


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _require_selfie(image: Any) -> DecodedImage:
    if image is None:
        raise IntakeError(codes.DATA_INVALID, Docv.IMAGES_CORRUPT.text, reason="selfie.missing")
    decoded: DecodedImage = image.decoded
    return decoded


def _enrolled_user(runtime: Runtime, job: Job) -> Any:
    with transaction(runtime.sessions) as session:
        user = users.require_authenticable(
            db_session=session, partner_id=job.partner_id, environment=job.environment, user_id=job.user_id
        )
        session.expunge(user)
    return user


def _enrolled_selfie(runtime: Runtime, job: Job) -> DecodedImage:
    user = _enrolled_user(runtime, job)
    if not user.selfie_blob:
        raise IntakeError(codes.DATA_INVALID, Docv.IMAGES_CORRUPT.text, reason="enrolled.no_selfie")
    return load_image(runtime.blobs.get(user.selfie_blob))


def publish_result(runtime: Runtime, job: Job, outcome: ProductResult, images: dict[str, Any]) -> None:
    """Store the result and history, enrol the face if the product says so, schedule the callback.

    Shared by the queued v1 jobs and the synchronous v2 endpoints, so both answer alike in
    job_status, history and callbacks. ``images`` maps kinds to blob keys ("selfie" is enrolled).
    """
    result = {
        "SmileJobID": job.smile_job_id,
        "PartnerParams": job.partner_params,
        **outcome.wire(),
        "Source": RESULT_SOURCE,
        "_success": outcome.approved,
        "_decision": outcome.to_record(),  # what a reviewer resolves (jobs/review.py)
    }
    with transaction(runtime.sessions) as session:
        stored = service.get_job(db_session=session, smile_job_id=job.smile_job_id)
        if not service.holds_claim(stored, job.attempts):
            # Another worker took the job over (this one outlived its lease): its answer counts,
            # so this one is dropped rather than published twice.
            log.warning("job %s: claim %d superseded; result dropped", job.smile_job_id, job.attempts)
            return
        stored.inputs = {**stored.inputs, "images": images}
        if outcome.enrolment_embedding is not None and "selfie" in images:
            selfie_key = enrolled_selfie_key(job.partner_id, job.smile_job_id)
            runtime.blobs.put(selfie_key, runtime.blobs.get(images["selfie"]))
            users.enrol(
                db_session=session,
                box=runtime.box,
                partner_id=job.partner_id,
                environment=job.environment,
                user_id=job.user_id,
                embedding=outcome.enrolment_embedding,
                selfie_blob=selfie_key,
                smile_job_id=job.smile_job_id,
            )
        service.record_result(
            db_session=session, job=stored, result=result, final=outcome.is_final, failed=outcome.failed
        )
        delivery = callbacks.schedule_result(
            db_session=session, job=stored, result=result, horizon=runtime.settings.callback_retry_horizon
        )
    if delivery is not None:
        runtime.queue.callback_due(delivery.id, delivery.attempts)
