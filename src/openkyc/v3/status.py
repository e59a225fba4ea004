"""``GET /v3/status/{jobId}`` and ``POST /v3/replay/{job_id}``: a V3 job's status, and its callback
sent again.

Only V3 jobs are found here (``jobs.api_version == "v3"``, their ``job_id`` a ``job_…`` TypeID): a
job sent through the v1/v2 API has the partner's own job id, its status is ``POST
/v1/job_status`` and its callbacks are v1 results, so it is "not found" here even when the
partner happened to name it like a TypeID. A job of another partner or environment, and, for a
token scoped to one ``user_id``, a job of another user, is not found either (a token a partner
hands to its front end must not read or re-route another user's results).

Status is the job's V3 outcome (``openkyc.jobs.v3_results.outcome``): ``processing`` (202) until
its result is final (a job waiting for a human reviewer is still processing), then ``clear``,
``attention``, ``block`` or ``error`` (200). The answer carries no result: results go to the
callback URL, which replay sends them to again, as a fresh delivery of the same V3 payload through
the ordinary callback dispatcher (signed headers, https only, retried), audited.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from openkyc import audit
from openkyc.db import transaction, utcnow
from openkyc.jobs import results_out, v3_results
from openkyc.jobs.models import ApiVersion, Job
from openkyc.jobs.service import find_job_by_partner_job_id
from openkyc.observability.context import bind_job, bind_partner
from openkyc.partners.models import Partner
from openkyc.runtime import Runtime
from openkyc.signing.sid_request import format_js_iso
from openkyc.v3.auth import V3Caller, token_caller
from openkyc.v3.errors import V3Error, bad_request
from openkyc.v3.fields import https_url
from openkyc.v3.forms import read_form
from openkyc.webdeps import RuntimeDep

log = logging.getLogger(__name__)

router = APIRouter(tags=["V3: status and callbacks"])

# The Smile ID V3 API release whose spec openkyc serves (v3/spec/README.md), in the status answers'
# api_version header as Smile ID's own servers put theirs.
API_VERSION = "v3.952.0"

# Each operation's job id as its spec parameter describes it (status: Crockford base32, as TypeIDs
# are written; replay: any lower-case letter or digit). An id of that form that names no job is
# 404; any other is 400.
STATUS_JOB_ID = re.compile(r"^job_[0-9a-hjkmnp-tv-z]{26}$")
REPLAY_JOB_ID = re.compile(r"^job_[0-9a-z]{26}$")

COMPLETED = "Job completed"
STILL_PROCESSING = "Job is still processing"
NOT_FOUND = "Job not found"
REPLAY_QUEUED = "Callback replay queued successfully."
REPLAY_TOO_EARLY = "Job is still processing. Callbacks can only be replayed for completed jobs."
NO_CALLBACK_URL = "No valid callback URL available"
UNKNOWN_PRODUCT = "Unable to determine product for this job"


def _find(session: Any, caller: V3Caller, job_id: str) -> Job | None:
    """The caller's V3 job ``job_id`` (see the module docstring for what is not found)."""
    job = find_job_by_partner_job_id(
        db_session=session,
        partner_id=caller.partner_id,
        environment=caller.environment.value,
        job_id=job_id,
    )
    if job is None or job.api_version != ApiVersion.V3:
        return None
    if caller.scope.user_id is not None and job.user_id != caller.scope.user_id:
        return None
    return job


# -- GET /v3/status/{jobId} ---------------------------------------------------------------------


@dataclass(frozen=True)
class StatusAnswer:
    http_status: int
    status: str
    user_id: str
    message: str


def _status(runtime: Runtime, caller: V3Caller, job_id: str) -> StatusAnswer:
    with transaction(runtime.sessions) as session:
        job = _find(session, caller, job_id)
        if job is None:
            return StatusAnswer(404, "not_found", "unknown", NOT_FOUND)
        answer = v3_results.outcome(job)
        if answer.terminal:
            return StatusAnswer(200, answer.status.value, job.user_id, COMPLETED)
        return StatusAnswer(202, v3_results.V3Status.PROCESSING.value, job.user_id, STILL_PROCESSING)


@router.get(
    "/v3/status/{jobId}",
    summary="Get verification status",
    responses={200: {}, 202: {}, 400: {}, 401: {}, 403: {}, 404: {}},
)
async def job_status(
    job_id: Annotated[str, Path(alias="jobId")], request: Request, runtime: RuntimeDep
) -> JSONResponse:
    caller = await token_caller(request, runtime)
    if not STATUS_JOB_ID.match(job_id):
        raise bad_request("\"jobId\" must be a valid TypeID with prefix 'job_'")
    answer = await run_in_threadpool(_status, runtime, caller, job_id)
    body = {
        "status": answer.status,
        "job_id": job_id,
        "user_id": answer.user_id,
        "message": answer.message,
        "created_at": format_js_iso(utcnow()),
    }
    headers = {"api_version": API_VERSION, "job_id": job_id, "user_id": _header_value(answer.user_id)}
    return JSONResponse(status_code=answer.http_status, content=body, headers=headers)


def _header_value(text: str) -> str:
    """``text`` as a header value can carry it: a V3 user id is any text the partner chose (up to
    its length limit), and a header takes neither control characters nor anything past Latin-1."""
    if all(0x20 <= ord(char) < 0x7F for char in text):
        return text
    return "".join(char if 0x20 <= ord(char) < 0x7F else "?" for char in text)


# -- POST /v3/replay/{job_id} --------------------------------------------------------------------


@dataclass(frozen=True)
class Replayed:
    user_id: str
    delivery_id: int
    attempts: int


def _replay(runtime: Runtime, caller: V3Caller, job_id: str, sent_url: str | None) -> Replayed:
    with transaction(runtime.sessions) as session:
        job = _find(session, caller, job_id)
        if job is None:
            raise V3Error(404, NOT_FOUND)
        if not v3_results.outcome(job).terminal:
            raise V3Error(409, REPLAY_TOO_EARLY)
        try:
            v3_results.product_of(job)
        except ValueError:
            raise bad_request(UNKNOWN_PRODUCT) from None
        partner = session.get(Partner, job.partner_id)
        # The URL: one bound in the token, else the request's, else the job's, else the partner's
        # default for the environment; the first that is an https URL (a v1 default may be http).
        candidates = (
            ("token", caller.scope.payload.get("callback_url")),
            ("request", sent_url),
            ("job", job.callback_url),
            ("partner_default", partner.callback_url_for(job.environment) if partner else None),
        )
        source, url = next(
            ((name, value) for name, value in candidates if isinstance(value, str) and _is_https(value)),
            ("", None),
        )
        if url is None:
            raise bad_request(NO_CALLBACK_URL)
        delivery = results_out.schedule_v3(runtime, db_session=session, job=job, url=url)
        if delivery is None:  # not terminal: checked above, in this same transaction
            raise V3Error(409, REPLAY_TOO_EARLY)
        audit.record(
            session,
            actor=audit.Actor.partner(caller.partner_id),
            action="callback.replayed",
            target_type="job",
            target_id=job.smile_job_id,
            # Where the URL came from, never the URL (its path or query may hold a secret).
            detail={"partner_id": caller.partner_id, "delivery_id": delivery.id, "url_from": source},
        )
        with bind_job(job.smile_job_id), bind_partner(caller.partner_id):
            log.info(
                "callback replay of job %s queued (delivery %d, URL from %s)",
                job.smile_job_id,
                delivery.id,
                source,
            )
        replayed = Replayed(job.user_id, delivery.id, delivery.attempts)
    # Handed to the dispatcher once committed (publishing a Celery task is network I/O: off the loop too).
    runtime.queue.callback_due(replayed.delivery_id, replayed.attempts)
    return replayed


def _is_https(url: str) -> bool:
    try:
        return https_url(url, "callback_url") is not None
    except V3Error:
        return False


@router.post(
    "/v3/replay/{job_id}",
    summary="Replay a callback for a completed verification",
    status_code=202,
    responses={202: {}, 400: {}, 401: {}, 403: {}, 404: {}, 409: {}, 415: {}},
)
async def replay_callback(job_id: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    caller = await token_caller(request, runtime)
    if not REPLAY_JOB_ID.match(job_id):
        raise bad_request("\"job_id\" must be a valid TypeID with prefix 'job_'")
    # The SDKs send no body (nor a Content-Type) unless they override the URL.
    form = await read_form(request, body_optional=True)
    sent_url = https_url(form.text("callback_url"), "callback_url")
    replayed = await run_in_threadpool(_replay, runtime, caller, job_id, sent_url)
    return JSONResponse(
        status_code=202,
        content={
            "status": "accepted",
            "job_id": job_id,
            "user_id": replayed.user_id,
            "message": REPLAY_QUEUED,
        },
    )
