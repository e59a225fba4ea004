"""Where a job's result goes out as a callback: the one call every place that publishes a result
makes (the queued flow, the synchronous look-ups, the reviewers' decisions, refused uploads, a
person's "Resend callback").

A v1 job's callback is its v1 result, as it always was (:func:`openkyc.callbacks.service.schedule_result`).
A V3 job's is its V3 body (:func:`openkyc.jobs.v3_results.callback_payload`), scheduled with
``wire="v3"`` so that delivery signs it in the ``Response-Signature`` headers; and only once its
result is final: V3 has no provisional callbacks, so a job waiting for a reviewer gets its one
callback when the reviewer decides.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from openkyc import audit
from openkyc.callbacks import service as callbacks
from openkyc.callbacks.models import CallbackDelivery
from openkyc.jobs.models import Job
from openkyc.jobs.v3_results import callback_payload, is_v3, outcome
from openkyc.partners.models import Partner
from openkyc.runtime import Runtime

RESENT = "callback.resent"


def destination(db_session: Session, job: Job) -> str | None:
    """The job's callback URL, else its partner's default for the job's environment; None when neither."""
    if job.callback_url:
        return job.callback_url
    partner = db_session.get(Partner, job.partner_id)
    return partner.callback_url_for(job.environment) if partner is not None else None


def schedule_result(
    runtime: Runtime, *, db_session: Session, job: Job, result: dict[str, Any]
) -> CallbackDelivery | None:
    """Queue the callback of ``job``'s result, just recorded (``result``: the v1 body a v1 job
    sends); None when there is nowhere to send it, or a V3 job's result is not final yet."""
    if is_v3(job):
        return schedule_v3(runtime, db_session=db_session, job=job)
    return callbacks.schedule_result(
        db_session=db_session, job=job, result=result, horizon=runtime.settings.callback_retry_horizon
    )


def schedule_v3(
    runtime: Runtime, *, db_session: Session, job: Job, url: str | None = None
) -> CallbackDelivery | None:
    """Queue ``job``'s V3 callback body to ``url``, else the job's destination; None while the job
    is not finished (or waits for a reviewer), or when there is nowhere to send it. Replay uses it
    with the URL it was given."""
    if not outcome(job).terminal:
        return None
    target = url or destination(db_session, job)
    if not target:
        return None
    return callbacks.schedule(
        db_session=db_session,
        job=job,
        payload=callback_payload(runtime, job),
        url=target,
        horizon=runtime.settings.callback_retry_horizon,
        wire=callbacks.WIRE_V3,
    )


def resend_result(
    runtime: Runtime, *, db_session: Session, job: Job, actor: audit.Actor
) -> CallbackDelivery | None:
    """Queue the job's current result again as a fresh delivery (a person asked), audited: a v1 job's
    v1 result, a V3 job's V3 body. None when there is nothing to send or nowhere to send it."""
    if not is_v3(job):
        return callbacks.resend_result(
            db_session=db_session,
            job=job,
            result=job.result or {},
            horizon=runtime.settings.callback_retry_horizon,
            actor=actor,
        )
    delivery = schedule_v3(runtime, db_session=db_session, job=job)
    if delivery is not None:
        audit.record(
            db_session,
            actor=actor,
            action=RESENT,
            target_type="job",
            target_id=job.smile_job_id,
            detail={"partner_id": job.partner_id, "delivery_id": delivery.id},
        )
    return delivery
