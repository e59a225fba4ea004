"""Enhanced KYC (v1, compatibility §4.4) and Basic KYC (v2, §9.1) jobs, from a parsed request to
the published result: checks, job, look-up, result, callback.

The API's endpoints (openkyc.web.id_verification) parse and sign around :func:`run`; the portal's
SmartCheck runs the same function for a member, so both open, count, look up and record alike.

Async requests are verified within the request too (a look-up takes at most the authority's
timeout): the result and its callback delivery are stored before ``{"success": true}`` is
answered, so an acknowledged job always gets its callback, retried by the callback dispatcher.

The V3 API's async Enhanced KYC answers 202 at once instead (:func:`queue`): its job is checked
and counted as :func:`run` does, then committed as a queued job whose look-up is kept (sealed) in
its ``v3_request``, and a worker makes the look-up (:func:`run_queued`, from flows.process_job).
A worker that dies mid-way leaves the job to the sweep, which queues it again: the accepted job
is never lost, and its result is always called back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from openkyc.api_errors import JOB_EXISTS, MISSING_PARAMETER, SYSTEM_ERROR, ApiError
from openkyc.callbacks import service as callbacks
from openkyc.db import transaction, utcnow
from openkyc.idverification.basic_kyc import basic_kyc_result
from openkyc.idverification.enhanced_kyc import enhanced_kyc_result
from openkyc.idverification.lookup import LookupOutcome, look_up, malformed
from openkyc.idverification.request import VerificationRequest, parse_request
from openkyc.job_types import JobType
from openkyc.jobs import fraud_screen, service, v3_sandbox
from openkyc.jobs.lookup_products import COUNTED, count_lookup
from openkyc.jobs.models import ApiVersion, Job, JobState
from openkyc.jobs.submission import Submitter, record_opened
from openkyc.jobs.sync import publish_sync_result
from openkyc.partners.models import Partner
from openkyc.runtime import Runtime

ResultBuilder = Callable[[VerificationRequest, LookupOutcome], tuple[dict[str, Any], bool]]


@dataclass(frozen=True)
class Product:
    name: str
    build: ResultBuilder
    needs_details: bool  # Basic KYC has nothing to do without details to match


ENHANCED_KYC = Product("Enhanced KYC", enhanced_kyc_result, needs_details=False)
BASIC_KYC = Product("Basic KYC", basic_kyc_result, needs_details=True)

# Where a queued (V3 async) job keeps its look-up: the request's ID and person fields, in its
# sealed v3_request; and, in its inputs, whether the number was well formed (then it was counted).
QUEUED_LOOKUP = "queued_lookup"
WELL_FORMED = "well_formed"
# The v3_request key that marks a queued job: kept when the job is purged (retention.scrub), which
# takes QUEUED_LOOKUP, so that a job purged before its look-up still gets its answer and callback.
QUEUED = "queued"


def run(
    runtime: Runtime,
    submitter: Submitter,
    request: VerificationRequest,
    product: Product,
    *,
    asynchronous: bool = False,
    callback_url_required: bool = False,
    api_version: str = ApiVersion.V1,
    v3_request: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the whole job; its result (unsigned: the API signs it, the portal shows it).

    Async results go to the request's callback_url, else the partner's default (one of them is
    required); a sync request with a callback_url also gets its callback. ``api_version`` and
    ``v3_request``: a V3 job's, set when its row is inserted.
    """
    if product.needs_details and not request.person.anything:
        raise ApiError(
            MISSING_PARAMETER,
            "at least one of first_name, middle_name, last_name, dob, gender, phone_number is required",
        )
    if callback_url_required and request.callback_url is None:
        raise ApiError(MISSING_PARAMETER, "callback_url is required")
    if asynchronous:
        _require_callback_destination(runtime, submitter, request)
    environment = submitter.environment.value
    with transaction(runtime.sessions) as session:
        _refuse_duplicate(session, submitter, request)  # before counting: a 2215 is not a look-up
    well_formed = count_lookup(
        runtime, request, partner_id=submitter.partner_id, environment=environment, api_version=api_version
    )
    smile_job_id = _open_job(runtime, submitter, request, api_version=api_version, v3_request=v3_request)
    callbacks.warn_at_intake(
        smile_job_id, request.callback_url, allow_private=runtime.settings.allow_private_callbacks
    )
    if fraud_screen.user_flagged(
        runtime, partner_id=submitter.partner_id, environment=environment, user_id=request.params.user_id
    ):
        # A user reported for fraud: rejected, no look-up made (jobs.fraud_screen).
        wire, private = fraud_screen.blocked_id_verification(request, product.build)
    else:
        # A V3 sandbox job asks no authority: its test identity says what the look-up finds.
        forced = v3_sandbox.enhanced_kyc_lookup(
            api_version=api_version,
            environment=environment,
            job_type=JobType.ENHANCED_KYC,
            v3_request=v3_request,
        )
        outcome = (
            forced.outcome
            if forced is not None
            else look_up(runtime, request, partner_id=submitter.partner_id, environment=environment)
            if well_formed
            else malformed()
        )
        wire, success = product.build(request, outcome)
        private = {"_success": success, **(forced.private if forced is not None else {})}
    result = {"SmileJobID": smile_job_id, "PartnerParams": request.params.raw, **wire}
    publish_sync_result(
        runtime,
        smile_job_id,
        result,
        call_back=asynchronous or request.callback_url is not None,
        private=private,
    )
    return result


def _require_callback_destination(
    runtime: Runtime, submitter: Submitter, request: VerificationRequest
) -> None:
    """An async job needs somewhere to send the result: its callback_url or the partner's default."""
    if request.callback_url is not None:
        return
    with transaction(runtime.sessions) as session:
        partner = session.get(Partner, submitter.partner_id)
        if partner is None or not partner.callback_url_for(submitter.environment.value):
            raise ApiError(
                MISSING_PARAMETER, "callback_url is required (no default callback URL is configured)"
            )


def _refuse_duplicate(session: Session, submitter: Submitter, request: VerificationRequest) -> None:
    existing = service.find_job_by_partner_job_id(
        db_session=session,
        partner_id=submitter.partner_id,
        environment=submitter.environment.value,
        job_id=request.params.job_id,
    )
    if existing is not None and not _may_retry(existing, request):
        raise ApiError(JOB_EXISTS)


def _may_retry(job: Job, request: VerificationRequest) -> bool:
    # Only a finished ID verification job is redone with retry (a 1015 answer is worth retrying).
    return request.retry and job.job_type == JobType.ENHANCED_KYC and job.state in service.FINISHED_STATES


def _open_job(
    runtime: Runtime,
    submitter: Submitter,
    request: VerificationRequest,
    *,
    api_version: str = ApiVersion.V1,
    v3_request: dict[str, Any] | None = None,
) -> str:
    with transaction(runtime.sessions) as session:
        existing = service.find_job_by_partner_job_id(
            db_session=session,
            partner_id=submitter.partner_id,
            environment=submitter.environment.value,
            job_id=request.params.job_id,
        )
        if existing is None:
            job = service.create_sync_job(
                db_session=session,
                partner_id=submitter.partner_id,
                environment=submitter.environment.value,
                api_key_id=submitter.key_id,
                params=request.params,
                callback_url=request.callback_url,
                api_version=api_version,
                v3_request=v3_request,
            )
            record_opened(session, submitter, job)
            return job.smile_job_id
        if not _may_retry(existing, request):
            raise ApiError(JOB_EXISTS)
        existing.state, existing.attempts = JobState.PROCESSING, existing.attempts + 1
        existing.partner_params, existing.callback_url = request.params.raw, request.callback_url
        existing.user_id, existing.api_key_id = request.params.user_id, submitter.key_id
        record_opened(session, submitter, existing)
        return existing.smile_job_id


def queue(
    runtime: Runtime,
    submitter: Submitter,
    request: VerificationRequest,
    *,
    api_version: str,
    v3_request: dict[str, Any],
) -> str:
    """Open an Enhanced KYC job whose look-up a worker makes; its SmileJobID, once it is committed
    and queued. Refused first as :func:`run` refuses (2215; the rate limit's 2222/429, counted
    here: a malformed number is not counted and gets its 1014 result from the worker)."""
    environment = submitter.environment.value
    with transaction(runtime.sessions) as session:
        _refuse_duplicate(session, submitter, request)
    well_formed = count_lookup(
        runtime, request, partner_id=submitter.partner_id, environment=environment, api_version=api_version
    )
    lookup = {
        "country": request.country,
        "id_type": request.id_type,
        "id_number": request.id_number,
        "bank_code": request.bank_code,
        **vars(request.person),
    }
    with transaction(runtime.sessions) as session:
        job = service.create_sync_job(
            db_session=session,
            partner_id=submitter.partner_id,
            environment=environment,
            api_key_id=submitter.key_id,
            params=request.params,
            callback_url=request.callback_url,
            api_version=api_version,
            v3_request={
                **v3_request,
                QUEUED: True,
                QUEUED_LOOKUP: {name: value for name, value in lookup.items() if value is not None},
            },
        )
        # Committed queued, never processing: the sweep hands a queued job over again if no worker
        # takes it (a lost wake-up, a process killed between this commit and the hand-over).
        job.state, job.attempts, job.queued_at = JobState.QUEUED, 0, utcnow()
        job.inputs = {COUNTED: well_formed, WELL_FORMED: well_formed}
        record_opened(session, submitter, job)
        smile_job_id = job.smile_job_id
    callbacks.warn_at_intake(
        smile_job_id, request.callback_url, allow_private=runtime.settings.allow_private_callbacks
    )
    runtime.queue.job_queued(smile_job_id)
    return smile_job_id


def is_queued(job: Job) -> bool:
    """Whether ``job`` is a queued look-up (:func:`queue`), whose worker runs :func:`run_queued`."""
    request = job.v3_request or {}
    return job.job_type == JobType.ENHANCED_KYC and bool(request.get(QUEUED) or request.get(QUEUED_LOOKUP))


def run_queued(runtime: Runtime, job: Job) -> None:
    """A worker's part of a queued job (claimed as ``job.attempts``): the look-up, the result and
    its callback. A rerun looks the number up again without counting it again. A job purged
    before its look-up (its user deleted) has nothing left to look up: System Error, called back."""
    kept = (job.v3_request or {}).get(QUEUED_LOOKUP)
    if not kept:
        fail_queued(runtime, job)
        return
    lookup = dict(kept)
    request = parse_request(
        {"partner_params": job.partner_params, **lookup, "callback_url": job.callback_url}
    )
    if fraud_screen.user_flagged(
        runtime, partner_id=job.partner_id, environment=job.environment, user_id=job.user_id
    ):
        # A user reported for fraud: rejected, no look-up made, as run() does (jobs.fraud_screen).
        wire, private = fraud_screen.blocked_id_verification(request, ENHANCED_KYC.build)
    else:
        forced = v3_sandbox.enhanced_kyc_lookup(
            api_version=job.api_version,
            environment=job.environment,
            job_type=job.job_type,
            v3_request=job.v3_request,
        )
        outcome = (
            forced.outcome
            if forced is not None
            else look_up(runtime, request, partner_id=job.partner_id, environment=job.environment)
            if (job.inputs or {}).get(WELL_FORMED)
            else malformed()
        )
        wire, success = ENHANCED_KYC.build(request, outcome)
        private = {"_success": success, **(forced.private if forced is not None else {})}
    result = {"SmileJobID": job.smile_job_id, "PartnerParams": request.params.raw, **wire}
    publish_sync_result(
        runtime, job.smile_job_id, result, call_back=True, private=private, attempt=job.attempts
    )


def fail_queued(runtime: Runtime, job: Job) -> None:
    """The final answer of a queued job that kept failing unexpectedly: System Error, called back."""
    result = {
        "SmileJobID": job.smile_job_id,
        "PartnerParams": job.partner_params,
        "ResultCode": SYSTEM_ERROR.code,
        "ResultText": SYSTEM_ERROR.text,
        "IsFinalResult": "true",
    }
    publish_sync_result(
        runtime,
        job.smile_job_id,
        result,
        call_back=True,
        private={"_success": False},
        attempt=job.attempts,
        failed=True,
    )
