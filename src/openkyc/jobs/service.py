"""Jobs: creation at prep-upload, the upload capability, queueing, results and history."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openkyc.api_errors import (
    JOB_EXISTS,
    JOB_NOT_FOUND,
    PRODUCT_NOT_ACTIVATED,
    UPLOAD_ALREADY_RECEIVED,
    UPLOAD_URL_INVALID,
    ApiError,
)
from openkyc.db import rows_matched, utcnow
from openkyc.job_types import UPLOAD_JOB_TYPES, JobType
from openkyc.jobs.models import ApiVersion, Job, JobState
from openkyc.partner_input import PartnerParams

# The state a job's partner-visible answer no longer changes from (besides a reviewer's decision).
FINISHED_STATES = frozenset({JobState.COMPLETE, JobState.FAILED})
# The V3 API queues SmartSelfie Compare too (/v1/upload does not take it: /v2 runs it in its request).
V3_UPLOAD_JOB_TYPES = UPLOAD_JOB_TYPES | {JobType.SMART_SELFIE_COMPARE}


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _new_smile_job_id() -> str:
    """A random zero-padded 10-digit id (the primary key catches the rare clash)."""
    return f"{secrets.randbelow(10**10):010d}"


def _new_job(
    partner_id: str,
    environment: str,
    api_key_id: str,
    params: PartnerParams,
    callback_url: str | None,
    api_version: str = ApiVersion.V1,
    v3_request: dict[str, Any] | None = None,
) -> Job:
    """A new job row; a V3 job carries its API version and request from its INSERT on (a worker
    may publish it as soon as it is committed)."""
    return Job(
        smile_job_id=_new_smile_job_id(),
        partner_id=partner_id,
        environment=environment,
        api_key_id=api_key_id,
        user_id=params.user_id,
        job_id=params.job_id,
        job_type=params.job_type,
        partner_params=params.raw,
        callback_url=callback_url,
        api_version=api_version,
        v3_request=v3_request,
    )


@dataclass(frozen=True)
class UploadTicket:
    job: Job
    upload_token: str  # goes into the upload URL; only its hash is stored
    # An existing job re-armed by ``retry``: a zip left under its direct-upload key must go.
    retried: bool = False


def create_upload_job(
    *,
    db_session: Session,
    partner_id: str,
    environment: str,
    api_key_id: str,
    params: PartnerParams,
    callback_url: str | None,
    use_enrolled_image: bool,
    retry: bool,
    upload_ttl: timedelta,
    api_version: str = ApiVersion.V1,
    v3_request: dict[str, Any] | None = None,
) -> UploadTicket:
    """A job awaiting its zip, or a fresh upload ticket for an existing job when ``retry`` is set.

    ``api_version``/``v3_request``: a V3 job's (the V3 API never retries: its job ids are new)."""
    allowed = V3_UPLOAD_JOB_TYPES if api_version == ApiVersion.V3 else UPLOAD_JOB_TYPES
    if params.job_type not in allowed:
        raise ApiError(
            PRODUCT_NOT_ACTIVATED, f"job_type {params.job_type} is not available through /v1/upload"
        )
    token = secrets.token_urlsafe(32)

    def fresh() -> Job:
        return _new_job(
            partner_id,
            environment,
            api_key_id,
            params,
            callback_url,
            api_version=api_version,
            v3_request=v3_request,
        )

    # The common case, a new job_id, is one INSERT: the unique constraints catch a job_id already
    # used (and the one-in-ten-billion clash of random SmileJobIDs) without a look-up first.
    job = fresh()
    job.use_enrolled_image = use_enrolled_image
    _arm_upload(job, token, upload_ttl)
    db_session.add(job)
    try:
        db_session.flush()
        return UploadTicket(job=job, upload_token=token)
    except IntegrityError:
        db_session.rollback()
    existing = find_job_by_partner_job_id(
        db_session=db_session, partner_id=partner_id, environment=environment, job_id=params.job_id
    )
    if existing is None:  # the SmileJobID clashed, not the job_id: draw another
        job = fresh()
        job.use_enrolled_image = use_enrolled_image
        db_session.add(job)
    elif not retry:
        raise ApiError(JOB_EXISTS)
    elif existing.state in (JobState.RECEIVING, JobState.QUEUED, JobState.PROCESSING):
        raise ApiError(JOB_EXISTS, "Job is still being processed; retry once it has a result")
    elif existing.state == JobState.REVIEW:
        # Its provisional result waits for a reviewer: re-arming the upload would take the job out
        # of the review queue (and fail the reviewer's decision), so a retry cannot bypass review.
        raise ApiError(
            JOB_EXISTS, "Job is waiting for a reviewer's decision; retry once it has a final result"
        )
    else:
        job = existing
        job.state = JobState.AWAITING_UPLOAD
        job.partner_params, job.callback_url = params.raw, callback_url
        job.user_id, job.job_type, job.api_key_id = params.user_id, params.job_type, api_key_id
        job.use_enrolled_image = use_enrolled_image
        job.result = None
        job.purged_at = None  # the retried job's new images fall under retention again
    _arm_upload(job, token, upload_ttl)
    try:
        db_session.flush()
    except IntegrityError as error:  # a concurrent request created the same job_id meanwhile
        raise ApiError(JOB_EXISTS) from error
    return UploadTicket(job=job, upload_token=token, retried=job is existing)


def _arm_upload(job: Job, token: str, ttl: timedelta) -> None:
    job.upload_token_hash = _hash_token(token)
    job.upload_expires_at = utcnow() + ttl


def create_sync_job(
    *,
    db_session: Session,
    partner_id: str,
    environment: str,
    api_key_id: str,
    params: PartnerParams,
    callback_url: str | None,
    api_version: str = ApiVersion.V1,
    v3_request: dict[str, Any] | None = None,
) -> Job:
    """A job of a synchronous (v2) endpoint, verified within its request: it starts processing.

    The v2 endpoints have no retry flag, so a job_id already used is always 2215.
    """
    existing = find_job_by_partner_job_id(
        db_session=db_session, partner_id=partner_id, environment=environment, job_id=params.job_id
    )
    if existing is not None:
        raise ApiError(JOB_EXISTS)
    job = _new_job(
        partner_id,
        environment,
        api_key_id,
        params,
        callback_url,
        api_version=api_version,
        v3_request=v3_request,
    )
    job.state, job.attempts, job.inputs = JobState.PROCESSING, 1, {}
    db_session.add(job)
    try:
        db_session.flush()
    except IntegrityError as error:  # a concurrent request created the same job_id first
        raise ApiError(JOB_EXISTS) from error
    return job


def create_v3_sync_job(
    *,
    db_session: Session,
    partner_id: str,
    environment: str,
    api_key_id: str,
    job_type: int,
    job_id: str,
    user_id: str,
    partner_params: dict[str, str],
    callback_url: str | None,
    v3_request: dict[str, Any],
) -> Job:
    """A V3 job answered within its request (AML screening, address verification): its
    partner_params carry its ids and type as a v1 job's do, its V3 request is sealed beside them."""
    params = PartnerParams(
        user_id=user_id,
        job_id=job_id,
        job_type=job_type,
        raw={**partner_params, "user_id": user_id, "job_id": job_id, "job_type": job_type},
    )
    return create_sync_job(
        db_session=db_session,
        partner_id=partner_id,
        environment=environment,
        api_key_id=api_key_id,
        params=params,
        callback_url=callback_url,
        api_version=ApiVersion.V3,
        v3_request=v3_request,
    )


def find_job_by_partner_job_id(
    *, db_session: Session, partner_id: str, environment: str, job_id: str
) -> Job | None:
    return db_session.scalar(
        select(Job).where(Job.partner_id == partner_id, Job.environment == environment, Job.job_id == job_id)
    )


def job_for_upload(*, db_session: Session, token: str, now: datetime) -> Job:
    """The job an upload URL's token belongs to, if the URL is still valid (constant-time by hash)."""
    job = db_session.scalar(select(Job).where(Job.upload_token_hash == _hash_token(token)))
    if job is None or job.upload_expires_at is None or job.upload_expires_at < now:
        raise ApiError(UPLOAD_URL_INVALID)
    if job.state != JobState.AWAITING_UPLOAD:
        raise ApiError(UPLOAD_ALREADY_RECEIVED)
    return job


def mark_queued(*, db_session: Session, job: Job, inputs: dict[str, Any]) -> None:
    """The payload is stored: the job enters the queue (the worker pool picks it from the table)."""
    job.inputs = inputs
    job.state = JobState.QUEUED
    job.queued_at = utcnow()
    job.upload_token_hash = None  # the capability is spent
    db_session.flush()


def claim_next_queued(*, db_session: Session) -> str | None:
    """Atomically move one queued job to processing and return its id (None when the queue is empty)."""
    candidates = db_session.scalars(
        select(Job.smile_job_id).where(Job.state == JobState.QUEUED).order_by(Job.queued_at).limit(5)
    ).all()
    for smile_job_id in candidates:
        claimed = db_session.execute(
            update(Job)
            .where(Job.smile_job_id == smile_job_id, Job.state == JobState.QUEUED)
            .values(state=JobState.PROCESSING, attempts=Job.attempts + 1, updated_at=utcnow())
        )
        if rows_matched(claimed) == 1:
            return smile_job_id
    return None


def claim_job(*, db_session: Session, smile_job_id: str, lease: timedelta) -> int | None:
    """Move one job to processing if it is queued, or processing under a lease nobody renewed.

    Returns the claim's attempt number (the fence its result is published under), None when the
    job is not claimable (finished, awaiting its upload, or held by a live worker).
    """
    now = utcnow()
    claimed = db_session.execute(
        update(Job)
        .where(
            Job.smile_job_id == smile_job_id,
            or_(
                Job.state == JobState.QUEUED,
                and_(Job.state == JobState.PROCESSING, Job.updated_at < now - lease),
            ),
        )
        .values(state=JobState.PROCESSING, attempts=Job.attempts + 1, updated_at=now)
    )
    if rows_matched(claimed) != 1:
        return None
    return db_session.scalar(select(Job.attempts).where(Job.smile_job_id == smile_job_id))


def renew_lease(*, db_session: Session, smile_job_id: str, attempt: int) -> bool:
    """Keep a claim alive while it is verified; False when another worker has taken the job over."""
    renewed = db_session.execute(
        update(Job)
        .where(Job.smile_job_id == smile_job_id, Job.state == JobState.PROCESSING, Job.attempts == attempt)
        .values(updated_at=utcnow())
    )
    return rows_matched(renewed) == 1


def holds_claim(job: Job, attempt: int) -> bool:
    """Whether ``attempt`` is still the claim under which ``job`` is processed (the result fence)."""
    return job.state == JobState.PROCESSING and job.attempts == attempt


def requeue(*, db_session: Session, smile_job_id: str, attempt: int | None = None) -> bool:
    """Put a job whose processing failed back in the queue for another attempt (if still ours)."""
    conditions = [Job.smile_job_id == smile_job_id]
    if attempt is not None:
        conditions += [Job.state == JobState.PROCESSING, Job.attempts == attempt]
    result = db_session.execute(
        update(Job).where(*conditions).values(state=JobState.QUEUED, queued_at=utcnow())
    )
    return rows_matched(result) == 1


def jobs_to_redispatch(
    *, db_session: Session, lease: timedelta, redispatch_after: timedelta, limit: int = 100
) -> list[str]:
    """Jobs whose hand-over may have been lost, stamped so the next sweep leaves them alone.

    Processing jobs whose lease nobody renewed (their worker died) go back to the queue; queued
    jobs that no worker started within ``redispatch_after`` (a lost message, an API process killed
    between its commit and its publish) are handed over again. A duplicate hand-over is harmless:
    claims are atomic.
    """
    now = utcnow()
    stale = (Job.state == JobState.PROCESSING) & (Job.updated_at < now - lease)
    overdue = (Job.state == JobState.QUEUED) & (Job.queued_at < now - redispatch_after)
    found: list[str] = []
    for condition in (stale, overdue):
        ids = db_session.scalars(select(Job.smile_job_id).where(condition).limit(limit)).all()
        for smile_job_id in ids:
            stamped = db_session.execute(
                update(Job)
                .where(Job.smile_job_id == smile_job_id, condition)
                .values(state=JobState.QUEUED, queued_at=now)
            )
            if rows_matched(stamped) == 1:
                found.append(smile_job_id)
    return found


def requeue_interrupted(*, db_session: Session, older_than: timedelta) -> int:
    """Jobs left in processing by a crashed worker go back to the queue (no accepted job is lost)."""
    cutoff = utcnow() - older_than
    result = db_session.execute(
        update(Job)
        .where(Job.state == JobState.PROCESSING, Job.updated_at < cutoff)
        .values(state=JobState.QUEUED, updated_at=utcnow())
    )
    return rows_matched(result)


def record_result(
    *, db_session: Session, job: Job, result: dict[str, Any], final: bool, failed: bool = False
) -> None:
    """Store ``result`` as the job's current answer and append it to the history."""
    job.result = result
    job.history = [*(job.history or []), result]
    if failed:
        job.state = JobState.FAILED
    else:
        job.state = JobState.COMPLETE if final else JobState.REVIEW
    job.completed_at = utcnow()
    db_session.flush()


def get_job_for_status(
    *, db_session: Session, partner_id: str, environment: str, user_id: str, job_id: str
) -> Job:
    job = find_job_by_partner_job_id(
        db_session=db_session, partner_id=partner_id, environment=environment, job_id=job_id
    )
    if job is None or job.user_id != user_id:
        raise ApiError(JOB_NOT_FOUND)
    return job


def get_job(*, db_session: Session, smile_job_id: str) -> Job:
    job = db_session.get(Job, smile_job_id)
    if job is None:
        raise ApiError(JOB_NOT_FOUND)
    return job
