"""Running a queued job: intake → verification engine → product decision → result, enrolment,
callback. Called by the worker pool with a job it has claimed.
"""

from __future__ import annotations

import logging
from typing import Any

import cv2
from numpy.typing import NDArray

from openkyc.api_errors import SYSTEM_ERROR, ApiError
from openkyc.db import transaction
from openkyc.engine.document_verification import assess_document_verification
from openkyc.engine.images.decode import DecodedImage, load_image
from openkyc.engine.images.resize import fit_long_side
from openkyc.engine.smart_selfie import assess_smart_selfie
from openkyc.job_types import JobType
from openkyc.jobs import id_verification, lookup_products, results_out, service, v3_sandbox
from openkyc.jobs.fraud_screen import screen_for_fraud
from openkyc.jobs.intake import IntakeError, IntakeLimits, JobPayload, codes, read_job_payload
from openkyc.jobs.models import ApiVersion, Job
from openkyc.jobs.pad import liveness_configs
from openkyc.products import (
    ProductResult,
    document_verification,
    intake_failure,
    smart_selfie_authentication,
    smart_selfie_compare,
    smart_selfie_registration,
)
from openkyc.products.codes.document_verification import DocumentVerification as Docv
from openkyc.products.evidence import evidence_record
from openkyc.products.failures import PRODUCTS_BY_JOB_TYPE
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment
from openkyc.storage.keys import job_image_key, liveness_frame_key
from openkyc.users import service as users

log = logging.getLogger(__name__)

RESULT_SOURCE = "WebAPI"


# Attempts before a job that keeps failing unexpectedly gets a final "System Error" result.
MAX_ATTEMPTS = 3

# The cropped document kept for the portal's job and review pages: the engine's crop is up to
# 2400 px (what OCR and the portrait need); a reviewer's screen needs less, so the blob stays a few
# hundred kB. Kept under the image kind "document" (jobs.status.stored_images lists it).
CROPPED_DOCUMENT_KIND = "document"
CROPPED_DOCUMENT_LONG_SIDE = 1600
CROPPED_DOCUMENT_JPEG_QUALITY = 90


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
        if id_verification.is_queued(job):
            id_verification.fail_queued(runtime, job)
            return
        publish_result(runtime, job, system_error(job), {})


def system_error(job: Job) -> ProductResult:
    """The documented final answer of a job that could not be verified for an unexpected reason."""
    # Every product's table has this general failure row; intake_failure answers with the product's own.
    return intake_failure(job.job_type, code=Docv.SYSTEM_ERROR.code, text=Docv.SYSTEM_ERROR.text)


# Code and text of the answer to a look-up job (ID, business) cut short by a restart.
LOOKUP_SYSTEM_ERROR = (SYSTEM_ERROR.code, SYSTEM_ERROR.text)


def _verify_and_publish(runtime: Runtime, job: Job) -> None:
    if id_verification.is_queued(job):
        # A V3 async Enhanced KYC job: its look-up is made here, by the worker.
        id_verification.run_queued(runtime, job)
        return
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
        # A V3 sandbox job answers with its test identity's row (jobs.v3_sandbox); others as decided.
        outcome = v3_sandbox.force(job, _decide(runtime, job, payload, images), _selfie_of(payload))
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
    """Keep the job's images (encrypted) for image_links, review and enrolment; the liveness frames
    too, as the v2 endpoints keep them, for a reviewer to see what the liveness check saw."""
    stored: dict[str, Any] = {}
    found = payload.images
    for kind, image in (("selfie", found.selfie), ("id_front", found.id_front), ("id_back", found.id_back)):
        if image is not None:
            key = job_image_key(job.smile_job_id, kind)
            runtime.blobs.put(key, image.data)
            stored[kind] = key
    if found.liveness:
        stored["liveness"] = [liveness_frame_key(job.smile_job_id, n) for n in range(len(found.liveness))]
        for key, frame in zip(stored["liveness"], found.liveness, strict=True):
            runtime.blobs.put(key, frame.data)
    return stored


def _sandbox_result(job: Job) -> str | None:
    """``sandbox_result`` forces the outcome of biometric jobs, in sandbox only (compatibility §10.2)."""
    if job.environment != Environment.SANDBOX.value:
        return None
    value = job.partner_params.get("sandbox_result")
    return str(value) if value is not None else None


def _decide(runtime: Runtime, job: Job, payload: JobPayload, stored: dict[str, Any]) -> ProductResult:
    """The product's decision on ``job``; an image the engine made (the cropped document) is stored
    and its key added to ``stored``, the job's images."""
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
        return result.with_enrolment(evidence.selfie_analysis.embedding).with_evidence(
            evidence_record(evidence, root="selfie")
        )
    if job.job_type == JobType.SMART_SELFIE_AUTHENTICATION and reuses_enrolled_image(job, payload):
        return _authenticate_enrolled_image(runtime, job, sandbox_result, stored)
    if job.job_type == JobType.SMART_SELFIE_AUTHENTICATION:
        selfie = _require_selfie(images.selfie)
        # The registered selfie itself, not only its embedding: re-sending that very photo must be
        # caught as the same image (a replay), which needs its pixels.
        try:
            reference = _enrolled_selfie(runtime, job).bgr
        except ApiError as error:
            refusal = _account_refusal(job, error)
            if refusal is None:
                raise
            return refusal
        evidence = assess_smart_selfie(
            selfie, frames, reference=reference, liveness_config=configs.active, selfie_config=configs.passive
        )
        return smart_selfie_authentication.decide(evidence, sandbox_result=sandbox_result).with_evidence(
            evidence_record(evidence, root="selfie")
        )
    if job.job_type == JobType.SMART_SELFIE_COMPARE:
        return _smart_selfie_compare(runtime, job, payload, frames, sandbox_result, stored)
    if job.job_type == JobType.BIOMETRIC_KYC:
        selfie = _require_selfie(images.selfie)
        return lookup_products.decide_biometric_kyc(runtime, job, payload, selfie, frames, sandbox_result)
    docv = _document_verification(runtime, job, payload, frames, sandbox_result, stored)
    if job.job_type == JobType.ENHANCED_DOCUMENT_VERIFICATION:
        edv = lookup_products.decide_enhanced_document_verification(runtime, job, payload, docv)
        return edv.with_evidence(docv.evidence)
    # /v1/upload admits no other job type (job_types.UPLOAD_JOB_TYPES).
    return docv


def reuses_enrolled_image(job: Job, payload: JobPayload) -> bool:
    """A V3 authentication sent with ``use_enrolled_image`` and no selfie (``v3.selfie``): a
    server-side re-verification on the enrolled selfie. A v1 job's flag keeps its own meaning
    (Document Verification against the enrolled selfie)."""
    return job.api_version == ApiVersion.V3 and bool(job.use_enrolled_image) and payload.images.selfie is None


def _authenticate_enrolled_image(
    runtime: Runtime, job: Job, sandbox_result: str | None, stored: dict[str, Any]
) -> ProductResult:
    """SmartSelfie Authentication on the user's enrolled selfie, without a capture: the account's
    state first (disabled, re-enrolment required: its own row, V3 ``account_locked``), then the
    engine's passive checks on that selfie (face, quality, passive liveness; no frames, so no
    active liveness) and its match with the embedding stored at enrolment, without the
    same-photograph check that would reject the enrolled photo by design. The selfie is kept as
    the job's own ("selfie"), so the fraud screen's 1:N check and the job's images see what was
    judged; the result's reasons and evidence say it was the enrolled image."""
    try:
        user = _enrolled_user(runtime, job)
    except ApiError as error:
        refusal = _account_refusal(job, error)
        if refusal is None:
            raise
        return refusal
    if not user.selfie_blob:
        raise IntakeError(codes.DATA_INVALID, Docv.IMAGES_CORRUPT.text, reason="enrolled.no_selfie")
    data = runtime.blobs.get(user.selfie_blob)
    key = job_image_key(job.smile_job_id, "selfie")
    runtime.blobs.put(key, data)
    stored["selfie"] = key
    evidence = assess_smart_selfie(
        load_image(data),
        enrolled_embedding=users.enrolled_embedding(box=runtime.box, user=user),
        selfie_config=liveness_configs(runtime).passive,
    )
    result = smart_selfie_authentication.decide(evidence, sandbox_result=sandbox_result, enrolled_image=True)
    reused = {
        "reason": smart_selfie_authentication.ENROLLED_IMAGE_REASON,
        "enrolled_by_job": user.enrolled_by_job,
    }
    return result.with_evidence({**evidence_record(evidence, root="selfie"), "enrolled_image": reused})


# A queued SmartSelfie Compare job's v3_request key: False when the selfie is not to be enrolled
# (no user_id was given), whatever the comparison says.
COMPARE_ENROLS = "enrols_on_match"


def _smart_selfie_compare(
    runtime: Runtime,
    job: Job,
    payload: JobPayload,
    frames: list[DecodedImage],
    sandbox_result: str | None,
    stored: dict[str, Any],
) -> ProductResult:
    """SmartSelfie Compare, queued (the V3 API; /v2 runs it in its request, jobs.v2_views): the
    selfie against the comparison image, which the job's zip carries as its document front (the
    only other role a zip's image has). It is kept as the job's "comparison" image."""
    images = payload.images
    selfie = _require_selfie(images.selfie)
    if images.id_front is None:
        raise IntakeError(codes.DATA_INVALID, "No comparison image", reason="compare.no_comparison_image")
    if "id_front" in stored:
        stored["comparison"] = stored.pop("id_front")
    configs = liveness_configs(runtime)
    evidence = assess_smart_selfie(
        selfie,
        frames,
        reference=images.id_front.decoded.bgr,
        liveness_config=configs.active,
        selfie_config=configs.passive,
    )
    result = smart_selfie_compare.decide(evidence, sandbox_result=sandbox_result).with_evidence(
        evidence_record(evidence, root="selfie")
    )
    if (job.v3_request or {}).get(COMPARE_ENROLS) is False:
        return result
    # A match registers the selfie as the user's face, as /v2/smart-selfie-compare does.
    return result.with_enrolment(evidence.selfie_analysis.embedding)


def _document_verification(
    runtime: Runtime,
    job: Job,
    payload: JobPayload,
    frames: list[DecodedImage],
    sandbox_result: str | None,
    stored: dict[str, Any],
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
    cropped = cropped_document_jpeg(evidence.document.image)
    if cropped is not None:
        key = job_image_key(job.smile_job_id, CROPPED_DOCUMENT_KIND)
        runtime.blobs.put(key, cropped)
        stored[CROPPED_DOCUMENT_KIND] = key
    result = document_verification.decide(
        evidence,
        sandbox=job.environment == Environment.SANDBOX,
        sandbox_result=sandbox_result,
        use_enrolled_image=use_enrolled,
    )
    if not use_enrolled:
        result = result.with_enrolment(evidence.selfie.selfie_analysis.embedding)
    return result.with_evidence(evidence_record(evidence))


def cropped_document_jpeg(bgr: NDArray[Any]) -> bytes | None:
    """The engine's cropped, upright document as a JPEG, scaled down to a long side of at most
    :data:`CROPPED_DOCUMENT_LONG_SIDE`; None if OpenCV cannot encode it (the job's decision does
    not depend on this copy, so it goes on without it)."""
    if bgr.size == 0:
        return None
    small, _ = fit_long_side(bgr, CROPPED_DOCUMENT_LONG_SIDE)
    encoded, data = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, CROPPED_DOCUMENT_JPEG_QUALITY])
    if not encoded:
        log.warning("cropped document of %d x %d px could not be encoded", small.shape[1], small.shape[0])
        return None
    return bytes(data.tobytes())


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _selfie_of(payload: JobPayload) -> DecodedImage | None:
    selfie = payload.images.selfie
    return selfie.decoded if selfie is not None else None


def _require_selfie(image: Any) -> DecodedImage:
    if image is None:
        raise IntakeError(codes.DATA_INVALID, Docv.IMAGES_CORRUPT.text, reason="selfie.missing")
    decoded: DecodedImage = image.decoded
    return decoded


def _account_refusal(job: Job, error: ApiError) -> ProductResult | None:
    """A V3 authentication's answer when its enrolled user may not be authenticated (disabled,
    due to re-enrol: the account's own row, V3 ``account_locked``; intake took such jobs in,
    jobs.submission.ACCOUNT_STATE_ANSWERS); None for anything else, a v1 job's included."""
    if job.api_version != ApiVersion.V3:
        return None
    refusal = smart_selfie_authentication.account_refusal(error.spec.code)
    if refusal is not None:
        log.info("job %s: enrolled user may not be authenticated (%s)", job.smile_job_id, error.spec.code)
    return refusal


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


def publish_result(
    runtime: Runtime, job: Job, outcome: ProductResult, images: dict[str, Any]
) -> ProductResult:
    """Store the result and history, enrol the face if the product says so, schedule the callback.

    Shared by the queued v1 jobs and the synchronous v2 endpoints, so both answer alike in
    job_status, history and callbacks. ``images`` maps kinds to blob keys ("selfie" is enrolled).
    A decision on a user reported for fraud, or on a reported user's face, becomes a rejection
    first (jobs.fraud_screen): the decision published is returned (a synchronous answer says it).
    """
    outcome = screen_for_fraud(runtime, job, outcome, images)
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
            return outcome
        stored.inputs = {**stored.inputs, "images": images}
        if outcome.enrolment_embedding is not None and "selfie" in images:
            users.enrol_job_selfie(
                runtime,
                db_session=session,
                job=job,
                selfie_key=images["selfie"],
                embedding=outcome.enrolment_embedding,
            )
        service.record_result(
            db_session=session, job=stored, result=result, final=outcome.is_final, failed=outcome.failed
        )
        delivery = results_out.schedule_result(runtime, db_session=session, job=stored, result=result)
    if delivery is not None:
        runtime.queue.callback_due(delivery.id, delivery.attempts)
    return outcome
