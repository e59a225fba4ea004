"""Sending a job's current result to its callback URL again, when a person asks (the portal's
"Resend callback"): a fresh delivery through the callbacks service, audited, handed to the queue.
A V3 job's is its V3 body (:mod:`openkyc.jobs.results_out`)."""

from __future__ import annotations

from openkyc import audit
from openkyc.db import transaction
from openkyc.jobs import results_out, v3_results
from openkyc.jobs.models import Job
from openkyc.runtime import Runtime


class NothingToResend(ValueError):
    """The job has no result yet, or no callback URL (its own, or the partner's default)."""


class JobNotFound(LookupError):
    """No job with this id for this partner."""


def resend_result(runtime: Runtime, *, smile_job_id: str, partner_id: str, actor: audit.Actor) -> int:
    """Schedule a fresh delivery of the job's current result; its id. Another partner's job is
    not found, like an unknown one."""
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        if job is None or job.partner_id != partner_id:
            raise JobNotFound(smile_job_id)
        if not job.result:
            raise NothingToResend("This job has no result yet: it is called back once it has one.")
        if v3_results.is_v3(job) and not v3_results.outcome(job).terminal:
            # V3 sends no provisional result: the job is called back once a reviewer decides.
            raise NothingToResend("This job waits for a reviewer: it is called back once one decides.")
        delivery = results_out.resend_result(runtime, db_session=session, job=job, actor=actor)
        if delivery is None:
            raise NothingToResend(
                "Neither this job nor your team has a callback URL: set a default callback URL first."
            )
        delivery_id, attempts = delivery.id, delivery.attempts
    runtime.queue.callback_due(delivery_id, attempts)
    return delivery_id
