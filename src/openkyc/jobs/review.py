"""Human review: a provisional result (e.g. 0814/0824/0825, "Under Review") resolved by a reviewer
becomes the job's final result, is appended to its history and called back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from openkyc import audit
from openkyc.api_errors import JOB_NOT_FOUND, ApiError
from openkyc.audit.models import AuditEvent
from openkyc.callbacks import service as callbacks
from openkyc.db import rows_matched, transaction, utcnow
from openkyc.engine.face.analyse import analyse_face
from openkyc.engine.images.decode import load_image
from openkyc.jobs import results_out, service
from openkyc.jobs.models import Job, JobState
from openkyc.products import ProductResult, resolve_review, resolve_review_per_action
from openkyc.runtime import Runtime
from openkyc.users import service as users


class NotUnderReview(ValueError):
    """The job has no provisional result waiting for a reviewer."""


class AlreadyDecided(NotUnderReview):
    """Someone else decided the job first: its final result, and who decided when (if recorded)."""

    def __init__(
        self, smile_job_id: str, result_code: str, result_text: str, decision: Decided | None
    ) -> None:
        super().__init__(f"job {smile_job_id} was decided already: {result_code} {result_text}")
        self.smile_job_id = smile_job_id
        self.result_code = result_code
        self.result_text = result_text
        self.decision = decision


@dataclass(frozen=True)
class Decided:
    """Who decided a job under review, and when (from the audit log)."""

    actor_type: str
    actor_id: str
    at: datetime


@dataclass(frozen=True)
class ReviewOutcome:
    """What a decision did: the final (public) result, and whether a callback was scheduled."""

    result: dict[str, Any]
    callback_scheduled: bool


# The audit action of a reviewer's decision (the dashboard counts them: jobs.stats).
DECIDED = "review.decided"
# A reviewer's free-text note stays with the job, sealed like its result (it may name a person),
# under this private key; the audit log records only that there was one.
NOTE_KEY = "_review_note"
MAX_NOTE = 1000


def resolve(runtime: Runtime, smile_job_id: str, *, approve: bool, reason: str | None) -> dict[str, Any]:
    """Apply a reviewer's decision on the whole job; returns the final (public) result that was
    called back. The CLI's `openkyc jobs review`, acting as the OS account that runs it."""
    decided = _decide(
        runtime,
        smile_job_id,
        lambda provisional: resolve_review(provisional, approve=approve, reason=reason),
        actor=audit.reviewer(),
        detail={"approve": approve, "reason": reason},
    )
    return decided.result


def decide_per_action(
    runtime: Runtime,
    smile_job_id: str,
    *,
    partner_id: str,
    actor: audit.Actor,
    verdicts: Mapping[str, bool],
    reason: str | None,
    note: str | None = None,
) -> ReviewOutcome:
    """Apply a reviewer's verdict on each Human_Review_* check of one of ``partner_id``'s jobs
    (:func:`openkyc.products.resolve_review_per_action`); ``actor`` is recorded as who decided.

    Raises :class:`AlreadyDecided` when another decision came first (exactly one of two concurrent
    decisions wins), :class:`NotUnderReview` when the job never waited for one, ApiError
    (JOB_NOT_FOUND) for a job that is not the partner's, ValueError for verdicts the product refuses.
    """
    if note is not None and len(note) > MAX_NOTE:
        raise ValueError(f"the note is longer than {MAX_NOTE} characters")
    shown = ";".join(
        f"{name}:{'Passed' if passed else 'Failed'}" for name, passed in sorted(verdicts.items())
    )
    return _decide(
        runtime,
        smile_job_id,
        lambda provisional: resolve_review_per_action(provisional, verdicts=verdicts, reason=reason),
        actor=actor,
        detail={"approve": all(verdicts.values()), "reason": reason, "verdicts": shown, "note": bool(note)},
        partner_id=partner_id,
        note=note or None,
    )


def _decide(
    runtime: Runtime,
    smile_job_id: str,
    final_of: Callable[[ProductResult], ProductResult],
    *,
    actor: audit.Actor,
    detail: dict[str, audit.Scalar],
    partner_id: str | None = None,
    note: str | None = None,
) -> ReviewOutcome:
    with transaction(runtime.sessions) as session:
        # The claim comes first, as one conditional UPDATE: a second decision waits on the row (a
        # row lock on PostgreSQL, the write lock on SQLite) and then matches nothing, so exactly one
        # of two concurrent decisions goes on. Reading first would let both see "review".
        owned = [Job.partner_id == partner_id] if partner_id is not None else []
        claimed = session.execute(
            update(Job)
            .where(Job.smile_job_id == smile_job_id, Job.state == JobState.REVIEW, *owned)
            .values(updated_at=utcnow())
        )
        job = service.get_job(db_session=session, smile_job_id=smile_job_id)
        if partner_id is not None and job.partner_id != partner_id:
            raise ApiError(JOB_NOT_FOUND)  # another partner's job is no job at all
        if rows_matched(claimed) != 1:
            raise _not_under_review(session, job)
        if not job.result or "_decision" not in job.result:
            raise NotUnderReview(f"job {smile_job_id} has no provisional decision to review")
        provisional = ProductResult.from_record(job.result["_decision"])
        final = final_of(provisional)
        result = {
            **{k: v for k, v in job.result.items() if k not in ("Actions", "_decision", "_success")},
            **final.wire(),
            "_success": final.approved,
            "_decision": final.to_record(),
        }
        if note is not None:
            result[NOTE_KEY] = note
        # How long the job waited for a reviewer: since its provisional result was recorded (the
        # decision below moves completed_at on). Kept with the decision for the time-to-review figure.
        waited = (utcnow() - job.completed_at).total_seconds() if job.completed_at is not None else None
        selfie_key = (job.inputs or {}).get("images", {}).get("selfie")
        if final.enrols_selfie and isinstance(selfie_key, str):
            _enrol_reviewed_selfie(runtime, session, job, selfie_key)
        service.record_result(db_session=session, job=job, result=result, final=True)
        audit.record(
            session,
            actor=actor,
            action=DECIDED,
            target_type="job",
            target_id=smile_job_id,
            detail={
                **detail,
                "result_code": final.result_code,
                **({"waited_s": round(max(waited, 0.0))} if waited is not None else {}),
            },
        )
        delivery = results_out.schedule_result(runtime, db_session=session, job=job, result=result)
    if delivery is not None:
        runtime.queue.callback_due(delivery.id, delivery.attempts)
    return ReviewOutcome(
        result={k: v for k, v in result.items() if not k.startswith("_")},
        callback_scheduled=delivery is not None,
    )


def _not_under_review(session: Session, job: Job) -> NotUnderReview:
    decided = last_decision(session, job.smile_job_id)
    if decided is not None and job.state in (JobState.COMPLETE, JobState.FAILED) and job.result:
        return AlreadyDecided(
            job.smile_job_id,
            str(job.result.get("ResultCode", "")),
            str(job.result.get("ResultText", "")),
            decided,
        )
    return NotUnderReview(f"job {job.smile_job_id} is not waiting for review (state {job.state})")


def last_decision(session: Session, smile_job_id: str) -> Decided | None:
    """Who last decided ``smile_job_id`` as a reviewer, and when (None: nobody did)."""
    event = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action == DECIDED,
            AuditEvent.target_type == "job",
            AuditEvent.target_id == smile_job_id,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    return None if event is None else Decided(event.actor_type, event.actor_id, event.at)


def review_note(job: Job) -> str | None:
    """The note the reviewer who decided ``job`` wrote, if any."""
    note = (job.result or {}).get(NOTE_KEY)
    return note if isinstance(note, str) else None


def waiting_for_review(db_session: Session, *, partner_id: str, limit: int) -> tuple[list[Job], int]:
    """``partner_id``'s jobs waiting for a reviewer, the longest-waiting first (at most ``limit``),
    and how many wait in all. A job waits from when its provisional result was given."""
    waiting = (Job.partner_id == partner_id, Job.state == JobState.REVIEW)
    jobs = db_session.scalars(
        select(Job).where(*waiting).order_by(Job.completed_at, Job.created_at, Job.smile_job_id).limit(limit)
    ).all()
    total = db_session.scalar(select(func.count()).select_from(Job).where(*waiting)) or 0
    return list(jobs), total


def _enrol_reviewed_selfie(runtime: Runtime, session: Any, job: Any, selfie_key: str) -> None:
    """A registration approved by a reviewer registers the face only now (never before approval)."""
    analysis = analyse_face(load_image(runtime.blobs.get(selfie_key)).bgr)
    if analysis.embedding is None:
        return
    users.enrol_job_selfie(
        runtime, db_session=session, job=job, selfie_key=selfie_key, embedding=analysis.embedding
    )


def job_summary(runtime: Runtime, smile_job_id: str) -> dict[str, Any]:
    """A job as an operator sees it: state, partner ids, result, history and callback log."""
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        if job is None:
            raise ApiError(JOB_NOT_FOUND)
        return {
            "smile_job_id": job.smile_job_id,
            "partner_id": job.partner_id,
            "environment": job.environment,
            "user_id": job.user_id,
            "job_id": job.job_id,
            "job_type": job.job_type,
            "state": job.state,
            "result": {k: v for k, v in (job.result or {}).items() if not k.startswith("_")},
            "reasons": (job.result or {}).get("_decision", {}).get("reasons", []),
            "history_codes": [entry.get("ResultCode") for entry in job.history or []],
            "callbacks": callbacks.delivery_log(db_session=session, smile_job_id=smile_job_id),
        }
