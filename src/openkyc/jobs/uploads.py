"""Taking in a job's zip: from the API's own PUT, or found in S3 after a direct (presigned) PUT.

Both paths run the same checks. A PUT to the API answers request errors (2203/2204/2213/2314,
the look-up checks of job types 1 and 11) itself; a direct upload went to storage, which cannot
answer them, so they become the job's failed result and its callback instead.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from itertools import islice

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from openkyc.api_errors import NO_ZIP, PAYLOAD_TOO_LARGE, ApiError, ErrorSpec
from openkyc.db import rows_matched, transaction, utcnow
from openkyc.engine.images.decode import ImageLimits
from openkyc.jobs import lookup_products, results_out, service
from openkyc.jobs.intake import IntakeError, IntakeLimits, JobPayload, codes, read_job_payload
from openkyc.jobs.models import Job, JobState
from openkyc.offload import run_bounded
from openkyc.runtime import Runtime
from openkyc.storage import BlobNotFound, UploadTooLarge
from openkyc.storage.keys import UPLOADS_PREFIX, direct_upload_job, direct_upload_key, payload_key

log = logging.getLogger(__name__)

# A direct upload started just before its URL expired may finish a little later.
UPLOAD_GRACE = timedelta(minutes=10)
# The upload's checks need each image only to decode (the worker looks at the pixels): a JPEG is
# decoded at 1/8 of its size by the decoder's DCT scaling, which still reads (and so checks) all
# of its data, at a fraction of the memory and time. Every limit is on the image as sent, so the
# same uploads are refused with the same codes as at full size.
CHECK_LIMITS = IntakeLimits(image=ImageLimits(max_long_side=256))


def discard_direct_upload(runtime: Runtime, smile_job_id: str) -> None:
    """Delete a zip left under a job's direct-upload key (S3 mode): a retry re-arms the same key,
    and a zip PUT there earlier (a second PUT through the old URL, not yet swept) must not be taken
    in as the retried job's upload."""
    if runtime.settings.uses_s3:
        runtime.blobs.delete(direct_upload_key(smile_job_id))


def upload_url(runtime: Runtime, smile_job_id: str, token: str, base_url: str) -> str:
    """Where the partner PUTs the zip: a presigned storage URL when the store offers one."""
    direct = runtime.blobs.direct_upload_url(direct_upload_key(smile_job_id), runtime.settings.upload_url_ttl)
    return direct or f"{base_url}/v1/uploads/{token}"


def refuse_request_errors(payload: bytes) -> JobPayload | None:
    """A zip whose info.json is malformed (2203/2204/2213/2314) is a request error, as Smile ID's documentation
    list these; a job-level problem (0001: a corrupt zip or image) is accepted and becomes
    the job's rejected result, as on the hosted platform (None)."""
    if not payload:
        raise ApiError(NO_ZIP)
    try:
        return read_job_payload(payload, CHECK_LIMITS)
    except IntakeError as error:
        if error.code not in codes.JOB_RESULT_CODES:
            raise ApiError(ErrorSpec(error.code, error.message, error.http_status)) from error
        return None


def check_payload(runtime: Runtime, job: Job, payload: bytes) -> dict[str, object]:
    """The request-level checks of an upload: its info.json, then (job types 1 and 11) the ID it
    names, counted against the rate limit. Returns the look-up inputs to keep with the job."""
    parsed = refuse_request_errors(payload)
    return dict(lookup_products.check_upload(runtime, job, parsed)) if parsed is not None else {}


async def check_payload_off_loop(runtime: Runtime, job: Job, payload: bytes) -> dict[str, object]:
    """:func:`check_payload` on the bounded upload-check pool, so that the event loop goes on
    answering (health checks, other partners) while images are decoded. The pool, not the request
    count, bounds how many checks run at once: further uploads wait for a free thread."""
    return await run_bounded(
        "upload-check", runtime.settings.upload_check_workers, check_payload, runtime, job, payload
    )


def store_and_queue(
    runtime: Runtime, *, db_session: Session, job: Job, payload: bytes, lookup: dict[str, object]
) -> None:
    """Keep the zip (encrypted) and queue the job, within the caller's transaction."""
    key = payload_key(job.smile_job_id)
    runtime.blobs.put(key, payload)
    service.mark_queued(db_session=db_session, job=job, inputs={"payload": key, **lookup})


def pending_direct_uploads(runtime: Runtime, limit: int = 200) -> list[str]:
    """Jobs that may have a finished direct upload waiting: awaiting one with a URL still valid
    (or just expired), or being taken in by a worker that stopped renewing its claim."""
    now = utcnow()
    with transaction(runtime.sessions) as session:
        return list(
            session.scalars(
                select(Job.smile_job_id)
                .where(
                    or_(
                        and_(
                            Job.state == JobState.AWAITING_UPLOAD,
                            Job.upload_expires_at > now - UPLOAD_GRACE,
                        ),
                        and_(
                            Job.state == JobState.RECEIVING,
                            Job.updated_at < now - runtime.settings.job_lease,
                        ),
                    )
                )
                .order_by(Job.created_at)
                .limit(limit)
            ).all()
        )


def remove_leftover_uploads(runtime: Runtime, limit: int = 1000) -> list[str]:
    """Delete the raw direct uploads no job waits for; the SmileJobIDs whose upload went.

    A presigned URL stays valid until it expires, so a partner may PUT again after a worker took
    the first zip in (and deleted it): nothing would ever read or remove that second zip, kept as
    sent, unencrypted. An upload is left alone while its job awaits it (within its URL's life and
    the grace) or a worker is taking it in; every other one (job queued, done, failed, expired or
    gone) is deleted. A job in those states read its upload already, if it ever had one.
    """
    names = list(islice(runtime.blobs.keys(UPLOADS_PREFIX), limit))
    # A name we never hand out is left for whoever wrote it.
    by_job = {smile_job_id: name for name in names if (smile_job_id := direct_upload_job(name)) is not None}
    if not by_job:
        return []
    now = utcnow()
    with transaction(runtime.sessions) as session:
        waiting = set(
            session.scalars(
                select(Job.smile_job_id).where(
                    Job.smile_job_id.in_(list(by_job)),
                    or_(
                        and_(
                            Job.state == JobState.AWAITING_UPLOAD,
                            Job.upload_expires_at > now - UPLOAD_GRACE,
                        ),
                        Job.state == JobState.RECEIVING,  # a stalled taker's is found by the sweep
                    ),
                )
            ).all()
        )
    removed: list[str] = []
    for smile_job_id, name in by_job.items():
        if smile_job_id in waiting:
            continue
        # A retry re-arms the same key, but only a retry made after the look-up above, whose
        # partner then fetched the new URL and PUT to it, could be caught by this delete.
        runtime.blobs.delete(name)
        removed.append(smile_job_id)
    if removed:
        log.info("removed %d direct upload(s) no job was waiting for", len(removed))
    return removed


def collect_direct_upload(runtime: Runtime, smile_job_id: str) -> bool:
    """Take in a job's direct upload if it has arrived; True when this call took it in."""
    key = direct_upload_key(smile_job_id)
    if runtime.blobs.uploaded_size(key) is None:
        return False
    if not _claim_upload(runtime, smile_job_id):
        return False  # another worker takes it in, or it is already in
    try:
        payload = runtime.blobs.read_upload(key, runtime.settings.max_zip_body)
    except UploadTooLarge:
        _reject(runtime, smile_job_id, ApiError(PAYLOAD_TOO_LARGE))
    except BlobNotFound:
        # Gone between the look and the claim (a concurrent taker finished): hand the claim back.
        _release_upload(runtime, smile_job_id)
        return False
    else:
        _accept(runtime, smile_job_id, payload)
    # The raw upload was stored as the partner sent it; only the encrypted copy is kept.
    runtime.blobs.delete(key)
    return True


def _claim_upload(runtime: Runtime, smile_job_id: str) -> bool:
    now = utcnow()
    with transaction(runtime.sessions) as session:
        claimed = session.execute(
            update(Job)
            .where(
                Job.smile_job_id == smile_job_id,
                or_(
                    Job.state == JobState.AWAITING_UPLOAD,
                    and_(
                        Job.state == JobState.RECEIVING,
                        Job.updated_at < now - runtime.settings.job_lease,
                    ),
                ),
            )
            .values(state=JobState.RECEIVING, updated_at=now)
        )
        return rows_matched(claimed) == 1


def _release_upload(runtime: Runtime, smile_job_id: str) -> None:
    with transaction(runtime.sessions) as session:
        session.execute(
            update(Job)
            .where(Job.smile_job_id == smile_job_id, Job.state == JobState.RECEIVING)
            .values(state=JobState.AWAITING_UPLOAD)
        )


def _accept(runtime: Runtime, smile_job_id: str, payload: bytes) -> None:
    with transaction(runtime.sessions) as session:
        job = service.get_job(db_session=session, smile_job_id=smile_job_id)
        session.expunge(job)
    try:
        lookup = check_payload(runtime, job, payload)
    except ApiError as error:
        _reject(runtime, smile_job_id, error)
        return
    with transaction(runtime.sessions) as session:
        job = service.get_job(db_session=session, smile_job_id=smile_job_id)
        if job.state != JobState.RECEIVING:
            # This worker stalled past its lease and another one took the upload in meanwhile.
            log.warning("job %s: upload claim lost; taken in by another worker", smile_job_id)
            return
        store_and_queue(runtime, db_session=session, job=job, payload=payload, lookup=lookup)
    runtime.queue.job_queued(smile_job_id)


def _reject(runtime: Runtime, smile_job_id: str, error: ApiError) -> None:
    """A direct upload the API would have refused: the refusal (its documented code and text)
    becomes the job's failed final result and is called back; ``retry`` may redo the job."""
    log.info("job %s: direct upload refused (%s)", smile_job_id, error.spec.code)
    with transaction(runtime.sessions) as session:
        job = service.get_job(db_session=session, smile_job_id=smile_job_id)
        if job.state != JobState.RECEIVING:
            return
        result = {
            "SmileJobID": job.smile_job_id,
            "PartnerParams": job.partner_params,
            "ResultCode": error.spec.code,
            "ResultText": error.message,
            "IsFinalResult": "true",
        }
        service.record_result(db_session=session, job=job, result=result, final=True, failed=True)
        delivery = results_out.schedule_result(runtime, db_session=session, job=job, result=result)
    if delivery is not None:
        runtime.queue.callback_due(delivery.id, delivery.attempts)
