"""Opening upload jobs for whoever submits them: a partner's signed API call or a portal member.

The API opens a job at prep-upload (:func:`open_upload_job`) and takes its zip in at the PUT
(:func:`accept_upload`). The portal's SmartCheck holds the images already: it packs them as an
SDK would and does both at once (:func:`submit_payload`) through the same two functions, so its
jobs are checked, stored, queued, verified, enrolled and called back exactly as the API's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from openkyc import audit
from openkyc.api_errors import PAYLOAD_TOO_LARGE, REENROLL_REQUIRED, USER_DISABLED, ApiError
from openkyc.callbacks import service as callbacks
from openkyc.db import transaction, utcnow
from openkyc.job_types import JobType
from openkyc.jobs import lookup_products, results_out, service, uploads
from openkyc.jobs.intake import read_job_payload
from openkyc.jobs.models import ApiVersion, Job
from openkyc.jobs.service import UploadTicket
from openkyc.jobs.status import EXTRA_IMAGES
from openkyc.partner_input import PartnerParams
from openkyc.partners.auth import Caller
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment
from openkyc.storage.keys import job_image_key
from openkyc.users.service import require_authenticable, require_enrollable

# What a V3 authentication (a capture, or a re-verification on the enrolled image) takes in and
# answers as its result (jobs.flows: the account's own row, V3 block / account_locked) rather than
# refusing: V3 reports a locked account as an authentication's outcome, and has no 400 for it.
ACCOUNT_STATE_ANSWERS = frozenset({USER_DISABLED.code, REENROLL_REQUIRED.code})

# The key id a portal member's jobs carry in place of an API key's (jobs.api_key_id): no key sent
# them. The member's account number follows.
PORTAL_KEY_PREFIX = "portal:"


@dataclass(frozen=True)
class Submitter:
    """Whose job it is, in which environment, and what sent it."""

    partner_id: str
    environment: Environment
    key_id: str  # the API key that signed the request, or PORTAL_KEY_PREFIX + the member's number
    # Audited as opening the job (a portal member); None for the API, whose requests are signed.
    actor: audit.Actor | None = None

    @classmethod
    def of(cls, caller: Caller) -> Submitter:
        return cls(partner_id=caller.partner_id, environment=caller.environment, key_id=caller.key_id)

    @classmethod
    def portal_member(cls, partner_id: str, environment: Environment, member_id: int) -> Submitter:
        return cls(
            partner_id=partner_id,
            environment=environment,
            key_id=f"{PORTAL_KEY_PREFIX}{member_id}",
            actor=audit.Actor.portal_user(member_id),
        )


def is_portal_key(key_id: str) -> bool:
    """Whether a job was sent from the portal rather than with an API key."""
    return key_id.startswith(PORTAL_KEY_PREFIX)


def record_opened(db_session: Session, submitter: Submitter, job: Job) -> None:
    """Audit a job opened by a portal member (the API's jobs are not: their requests are signed)."""
    if submitter.actor is None:
        return
    audit.record(
        db_session,
        actor=submitter.actor,
        action="job.submitted",
        target_type="job",
        target_id=job.smile_job_id,
        detail={
            "partner_id": submitter.partner_id,
            "environment": submitter.environment.value,
            "job_type": job.job_type,
            "source": submitter.key_id,
        },
    )


def refuse_impossible_user(
    db_session: Session,
    submitter: Submitter,
    params: PartnerParams,
    *,
    allow_new_enroll: bool,
    use_enrolled_image: bool,
    api_version: str = ApiVersion.V1,
) -> None:
    """Refuse at prep-upload what the job could never do (2207/2208/2209/2210/2211/2216); a V3
    authentication answers 2207/2211 as its result instead."""
    who: dict[str, Any] = {
        "db_session": db_session,
        "partner_id": submitter.partner_id,
        "environment": submitter.environment,
        "user_id": params.user_id,
    }
    if params.job_type == JobType.SMART_SELFIE_REGISTRATION:
        require_enrollable(**who, allow_new_enroll=allow_new_enroll)
    elif params.job_type == JobType.SMART_SELFIE_AUTHENTICATION or (
        params.job_type == JobType.DOCUMENT_VERIFICATION and use_enrolled_image
    ):
        answered_by_job = (
            api_version == ApiVersion.V3 and params.job_type == JobType.SMART_SELFIE_AUTHENTICATION
        )
        try:
            require_authenticable(**who)
        except ApiError as error:
            if not (answered_by_job and error.spec.code in ACCOUNT_STATE_ANSWERS):
                raise


def open_upload_job(
    runtime: Runtime,
    submitter: Submitter,
    params: PartnerParams,
    *,
    callback_url: str | None,
    use_enrolled_image: bool,
    retry: bool,
    allow_new_enroll: bool,
    api_version: str = ApiVersion.V1,
    v3_request: dict[str, Any] | None = None,
) -> UploadTicket:
    """A job awaiting its zip (prep-upload), or an existing one re-armed by ``retry``."""
    with transaction(runtime.sessions) as session:
        refuse_impossible_user(
            session,
            submitter,
            params,
            allow_new_enroll=allow_new_enroll,
            use_enrolled_image=use_enrolled_image,
            api_version=api_version,
        )
        ticket = service.create_upload_job(
            db_session=session,
            partner_id=submitter.partner_id,
            environment=submitter.environment,
            api_key_id=submitter.key_id,
            params=params,
            callback_url=callback_url,
            use_enrolled_image=use_enrolled_image,
            retry=retry,
            upload_ttl=runtime.settings.upload_url_ttl,
            api_version=api_version,
            v3_request=v3_request,
        )
        record_opened(session, submitter, ticket.job)
    callbacks.warn_at_intake(
        ticket.job.smile_job_id, callback_url, allow_private=runtime.settings.allow_private_callbacks
    )
    if ticket.retried:
        uploads.discard_direct_upload(runtime, ticket.job.smile_job_id)
    return ticket


def accept_upload(runtime: Runtime, token: str, payload: bytes, lookup: dict[str, object]) -> None:
    """The zip of the job ``token`` opened, checked already: stored (encrypted) and queued."""
    with transaction(runtime.sessions) as session:
        job = service.job_for_upload(db_session=session, token=token, now=utcnow())
        uploads.store_and_queue(runtime, db_session=session, job=job, payload=payload, lookup=lookup)
        smile_job_id = job.smile_job_id
    runtime.queue.job_queued(smile_job_id)


def submit_payload(
    runtime: Runtime,
    submitter: Submitter,
    params: PartnerParams,
    payload: bytes,
    *,
    use_enrolled_image: bool = False,
    allow_new_enroll: bool = False,
    callback_url: str | None = None,
    api_version: str = ApiVersion.V1,
    v3_request: dict[str, Any] | None = None,
    extra_images: Mapping[str, bytes] | None = None,
) -> str:
    """Open a job and take its zip in at once, as a prep-upload and its PUT do; its SmileJobID.
    Its result is called back to ``callback_url``, else to the partner's default.

    A V3 job (``api_version``, ``v3_request``) is one from its INSERT on. ``extra_images``
    (kind -> bytes, such as a V3 residency job's ``visa``) are kept with the job, encrypted, before
    it is queued; the zip's images are the product's inputs, these are kept for the results.

    Refused before any job is opened: a zip over the PUT's size limit (2413), and any zip intake
    would not verify (:class:`~openkyc.jobs.intake.IntakeError`), a corrupt image included, which
    the API can only accept as a failed job since its PUT answers before anyone looks. Then what
    prep-upload and the PUT refuse (ApiError: the user's state, a job_id taken, the look-up's
    checks of job types 1 and 11).
    """
    if len(payload) > runtime.settings.max_zip_body:
        raise ApiError(
            PAYLOAD_TOO_LARGE, f"The job's files come to more than {runtime.settings.max_zip_body} bytes"
        )
    parsed = read_job_payload(payload, uploads.CHECK_LIMITS)
    ticket = open_upload_job(
        runtime,
        submitter,
        params,
        callback_url=callback_url,
        use_enrolled_image=use_enrolled_image,
        retry=False,
        allow_new_enroll=allow_new_enroll,
        api_version=api_version,
        v3_request=v3_request,
    )
    inputs = dict(lookup_products.check_upload(runtime, ticket.job, parsed))
    if extra_images:
        kept = {kind: job_image_key(ticket.job.smile_job_id, kind) for kind in extra_images}
        for kind, key in kept.items():
            runtime.blobs.put(key, extra_images[kind])
        inputs[EXTRA_IMAGES] = kept
    accept_upload(runtime, ticket.upload_token, payload, inputs)
    return ticket.job.smile_job_id


class V3SyncRequest(Protocol):
    """What a V3 request answered within itself (AML screening, address verification) opens its
    job with, once its view has checked it."""

    @property
    def job_id(self) -> str: ...  # the job's TypeID
    @property
    def user_id(self) -> str: ...
    @property
    def partner_params(self) -> dict[str, str]: ...
    @property
    def callback_url(self) -> str | None: ...
    @property
    def v3_request(self) -> dict[str, Any]: ...


def publish_v3_sync_job(
    runtime: Runtime,
    submitter: Submitter,
    job_type: int,
    request: V3SyncRequest,
    result: dict[str, Any],
    *,
    call_back: bool = True,
    alongside: Callable[[Session, Job], None] | None = None,
) -> Job:
    """Open the finished job of ``request`` with its final ``result``, and (with ``call_back``)
    its V3 callback, in one transaction; ``alongside`` adds its own rows in it (a monitored
    person). Raises ``ApiError(JOB_EXISTS)`` when the job id is taken. The returned job is
    detached, its attributes loaded."""
    delivery = None
    with transaction(runtime.sessions) as session:
        job = service.create_v3_sync_job(
            db_session=session,
            partner_id=submitter.partner_id,
            environment=submitter.environment.value,
            api_key_id=submitter.key_id,
            job_type=job_type,
            job_id=request.job_id,
            user_id=request.user_id,
            partner_params=request.partner_params,
            callback_url=request.callback_url,
            v3_request=request.v3_request,
        )
        record_opened(session, submitter, job)
        service.record_result(db_session=session, job=job, result=result, final=True)
        if alongside is not None:
            alongside(session, job)
        if call_back:
            delivery = results_out.schedule_v3(runtime, db_session=session, job=job)
        session.flush()
        session.expunge(job)
    if delivery is not None:
        runtime.queue.callback_due(delivery.id, delivery.attempts)
    return job
