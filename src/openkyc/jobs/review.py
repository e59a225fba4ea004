"""Human review: a provisional result (e.g. 0814/0824/0825, "Under Review") resolved by a reviewer
becomes the job's final result, is appended to its history and called back."""

from __future__ import annotations

from typing import Any

from openkyc import audit
from openkyc.api_errors import JOB_NOT_FOUND, ApiError
from openkyc.callbacks import service as callbacks
from openkyc.db import transaction
from openkyc.engine.face.analyse import analyse_face
from openkyc.engine.images.decode import load_image
from openkyc.jobs import service
from openkyc.jobs.models import Job, JobState
from openkyc.products import ProductResult, resolve_review
from openkyc.runtime import Runtime
from openkyc.storage.keys import enrolled_selfie_key
from openkyc.users import service as users


class NotUnderReview(ValueError):
    """The job has no provisional result waiting for a reviewer."""


def resolve(runtime: Runtime, smile_job_id: str, *, approve: bool, reason: str | None) -> dict[str, Any]:
    """Apply a reviewer's decision; returns the final (public) result that was called back."""
    with transaction(runtime.sessions) as session:
        job = service.get_job(db_session=session, smile_job_id=smile_job_id)
        if job.state != JobState.REVIEW or not job.result or "_decision" not in job.result:
            raise NotUnderReview(f"job {smile_job_id} is not waiting for review (state {job.state})")
        provisional = ProductResult.from_record(job.result["_decision"])
        final = resolve_review(provisional, approve=approve, reason=reason)
        result = {
            **{k: v for k, v in job.result.items() if k not in ("Actions", "_decision", "_success")},
            **final.wire(),
            "_success": final.approved,
            "_decision": final.to_record(),
        }
        selfie_key = (job.inputs or {}).get("images", {}).get("selfie")
        if final.enrols_selfie and isinstance(selfie_key, str):
            _enrol_reviewed_selfie(runtime, session, job, selfie_key)
        service.record_result(db_session=session, job=job, result=result, final=True)
        audit.record(
            session,
            actor=audit.reviewer(),
            action="review.decided",
            target_type="job",
            target_id=smile_job_id,
            detail={"approve": approve, "reason": reason, "result_code": final.result_code},
        )
        delivery = callbacks.schedule_result(
            db_session=session, job=job, result=result, horizon=runtime.settings.callback_retry_horizon
        )
    if delivery is not None:
        runtime.queue.callback_due(delivery.id, delivery.attempts)
    return {k: v for k, v in result.items() if not k.startswith("_")}


def _enrol_reviewed_selfie(runtime: Runtime, session: Any, job: Any, selfie_key: str) -> None:
    """A registration approved by a reviewer registers the face only now (never before approval)."""
    analysis = analyse_face(load_image(runtime.blobs.get(selfie_key)).bgr)
    if analysis.embedding is None:
        return
    user_blob = enrolled_selfie_key(job.partner_id, job.smile_job_id)
    runtime.blobs.put(user_blob, runtime.blobs.get(selfie_key))
    users.enrol(
        db_session=session,
        box=runtime.box,
        partner_id=job.partner_id,
        environment=job.environment,
        user_id=job.user_id,
        embedding=analysis.embedding,
        selfie_blob=user_blob,
        smile_job_id=job.smile_job_id,
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
