"""The human review queue: a partner's jobs with a provisional result, and the reviewer's decision.

``/portal/review`` lists the jobs waiting (longest first); ``/portal/review/<id>`` shows one with
its images side by side and the evidence that left the machine unsure, and, for a member who may
operate, a verdict per Human_Review_* check. The decision itself is ``jobs.review``'s: the final
result is computed by the products' review rules, appended to the history, audited as the member
and called back; of two reviewers deciding one job at once, exactly one wins (the other is told
who did and what the result became).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openkyc import audit
from openkyc.api_errors import ApiError
from openkyc.crypto import SecretBox
from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job, JobState
from openkyc.jobs.review import (
    MAX_NOTE,
    AlreadyDecided,
    Decided,
    NotUnderReview,
    decide_per_action,
    last_decision,
    review_note,
    waiting_for_review,
)
from openkyc.portal import accounts
from openkyc.portal.evidence import job_evidence_for_page
from openkyc.portal.models import PortalUser
from openkyc.portal.pages import (
    FormText,
    Operator,
    PortalRefusal,
    Reader,
    SignedIn,
    box_of,
    form_field,
    new_router,
    page,
)
from openkyc.portal.roles import Permission
from openkyc.portal.views import PRODUCTS
from openkyc.products import Action, ActionValue, ProductResult, ReviewReason, review_checks, review_reasons
from openkyc.users import service as users
from openkyc.webdeps import RuntimeDep

router = new_router()

QUEUE_LIMIT = 200
# Job types whose selfie is compared with the user's registered face (SmartSelfie authentication).
_AGAINST_ENROLLED = {2}
PASSED, FAILED = "passed", "failed"
# What each reason means, in the reviewer's words (the result rows they lead to are the products').
REASON_LABELS = {
    ReviewReason.SPOOF: "Spoof: a photo of a photo, a screen, a mask",
    ReviewReason.IMAGE_UNUSABLE: "Image unusable: too dark or too blurry to judge",
    ReviewReason.NO_MATCH: "Not the same person",
    ReviewReason.CROPPED_DOCUMENT: "Document cropped: key elements are missing",
    ReviewReason.NOT_A_DOCUMENT: "Not a document",
    ReviewReason.POTENTIAL_FRAUD: "Potential fraud: photo of a photo, alteration or manipulation",
    ReviewReason.UNREADABLE_DOCUMENT: "Unreadable document: blurry, damaged, key details hidden",
    ReviewReason.UNSUPPORTED_DOCUMENT: "Unsupported document type",
    ReviewReason.WRONG_DOCUMENT_TYPE: "Wrong document type selected on submission",
}
CHECK_LABELS = {
    Action.HUMAN_REVIEW_LIVENESS_CHECK: "Liveness: a live person took the selfie",
    Action.HUMAN_REVIEW_SELFIE_CHECK: "Selfie: a real, usable face",
    Action.HUMAN_REVIEW_COMPARE: "Compare: the selfie and the reference are the same person",
    Action.HUMAN_REVIEW_DOCUMENT_CHECK: "Document: genuine, readable and of the declared type",
}
_NOT_FOUND = PortalRefusal(404, "No such job", "Your team has no job with this id.")


def _age(since: datetime, now: datetime) -> str:
    minutes = max(int((now - since) / timedelta(minutes=1)), 0)
    if minutes < 1:
        return "under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _waiting_since(job: Job) -> datetime:
    # The provisional result's time: record_result stamps completed_at with it.
    return job.completed_at or job.created_at


def _partner_job(db: Session, member: SignedIn, smile_job_id: str) -> Job:
    """The member's partner's job, else a 404 (another partner's job is no job at all)."""
    if not (smile_job_id.isascii() and smile_job_id.isdigit() and len(smile_job_id) <= 20):
        raise _NOT_FOUND
    job = db.get(Job, smile_job_id)
    if job is None or job.partner_id != member.user.partner_id:
        raise _NOT_FOUND
    return job


def _provisional(job: Job) -> ProductResult | None:
    record = (job.result or {}).get("_decision")
    if job.state != JobState.REVIEW or not isinstance(record, dict):
        return None
    provisional = ProductResult.from_record(record)
    return None if provisional.is_final else provisional


def _decider(db: Session, box: SecretBox, member: SignedIn, decided: Decided | None) -> str:
    """Who decided, as this team reads it: one of them by address, else where it was done."""
    if decided is None:
        return "a reviewer"
    if decided.actor_type == audit.ActorType.PORTAL_USER.value and decided.actor_id.isdigit():
        if int(decided.actor_id) == member.user.id:
            return "you"
        user = db.get(PortalUser, int(decided.actor_id))
        if user is not None and user.partner_id == member.user.partner_id:
            return accounts.email_of(box, user)
    if decided.actor_type == audit.ActorType.REVIEWER.value:
        return "a reviewer on the server (openkyc jobs review)"
    return "a reviewer"


@dataclass(frozen=True)
class Outcome:
    """A decided job as the decided page shows it."""

    smile_job_id: str
    result_code: str
    result_text: str
    by: str
    at: str
    note: str | None


def _outcome(db: Session, request: Request, member: SignedIn, job: Job) -> Outcome:
    decided = last_decision(db, job.smile_job_id)
    result = job.result or {}
    return Outcome(
        smile_job_id=job.smile_job_id,
        result_code=str(result.get("ResultCode", "")),
        result_text=str(result.get("ResultText", "")),
        by=_decider(db, box_of(request), member, decided),
        at=decided.at.strftime("%Y-%m-%d %H:%M:%S") if decided else "",
        note=review_note(job),
    )


@router.get("/review")
def review_queue(request: Request, runtime: RuntimeDep, member: Reader) -> Response:
    now = utcnow()
    with transaction(runtime.sessions) as db:
        jobs, total = waiting_for_review(db, partner_id=member.user.partner_id, limit=QUEUE_LIMIT)
        rows = [
            {
                "smile_job_id": job.smile_job_id,
                "product": PRODUCTS.get(job.job_type, str(job.job_type)),
                "environment": job.environment,
                "job_id": job.job_id,
                "user_id": job.user_id,
                "result_code": (job.result or {}).get("ResultCode") or "",
                "result_text": (job.result or {}).get("ResultText") or "",
                "since": _waiting_since(job).strftime("%Y-%m-%d %H:%M:%S"),
                "age": _age(_waiting_since(job), now),
            }
            for job in jobs
        ]
    return page(
        request,
        "review_queue.html",
        member=member,
        rows=rows,
        total=total,
        can_decide=member.can(Permission.OPERATE),
    )


def _registered_face(db: Session, job: Job) -> bool:
    """Whether the page shows the user's registered face: the job compared the selfie with it,
    and it is still on file."""
    if job.job_type not in _AGAINST_ENROLLED and not job.use_enrolled_image:
        return False
    user = users.find_user(
        db_session=db, partner_id=job.partner_id, environment=job.environment, user_id=job.user_id
    )
    return user is not None and bool(user.selfie_blob)


def _review_page(
    request: Request,
    member: SignedIn,
    job: Job,
    provisional: ProductResult,
    *,
    registered_face: bool,
    status: int = 200,
    error: str = "",
) -> Response:
    # The checks the reviewer must decide first, then those the machine settled.
    checks = sorted(review_checks(provisional), key=lambda check: not check.under_review)
    unsure = [
        name.value
        for check in checks
        for name, value in check.machine.items()
        if value is ActionValue.UNDER_REVIEW
    ]
    now = utcnow()
    return page(
        request,
        "review_job.html",
        status=status,
        member=member,
        job=job,
        product=PRODUCTS.get(job.job_type, str(job.job_type)),
        provisional=provisional,
        since=_waiting_since(job).strftime("%Y-%m-%d %H:%M:%S"),
        age=_age(_waiting_since(job), now),
        evidence=job_evidence_for_page(request, job),
        enrolled_face=registered_face,
        checks=checks,
        check_labels=CHECK_LABELS,
        unsure=unsure or [name.value for check in checks if check.under_review for name in check.machine],
        reasons=[(reason.value, REASON_LABELS[reason]) for reason in review_reasons(provisional.product)],
        max_note=MAX_NOTE,
        can_decide=member.can(Permission.OPERATE),
        error=error,
    )


@router.get("/review/{smile_job_id}")
def review_job(smile_job_id: str, request: Request, runtime: RuntimeDep, member: Reader) -> Response:
    with transaction(runtime.sessions) as db:
        job = _partner_job(db, member, smile_job_id)
        provisional = _provisional(job)
        if provisional is None:
            if last_decision(db, job.smile_job_id) is None or job.state not in (
                JobState.COMPLETE,
                JobState.FAILED,
            ):
                raise PortalRefusal(
                    409,
                    "Not waiting for review",
                    f"Job {job.smile_job_id} has no provisional result for a reviewer (it is {job.state}).",
                )
            return page(
                request,
                "review_decided.html",
                member=member,
                outcome=_outcome(db, request, member, job),
                first=True,
            )
        return _review_page(request, member, job, provisional, registered_face=_registered_face(db, job))


def _verdict(value: str) -> bool | None:
    if value == "":
        return None
    if value not in (PASSED, FAILED):
        raise PortalRefusal(400, "Unknown verdict", "Each check is either passed or failed.")
    return value == PASSED


@router.post("/review/{smile_job_id}")
def decide(
    smile_job_id: str,
    request: Request,
    runtime: RuntimeDep,
    member: Operator,
    liveness: Annotated[str, Form(alias=Action.HUMAN_REVIEW_LIVENESS_CHECK.value)] = "",
    selfie: Annotated[str, Form(alias=Action.HUMAN_REVIEW_SELFIE_CHECK.value)] = "",
    compare: Annotated[str, Form(alias=Action.HUMAN_REVIEW_COMPARE.value)] = "",
    document: Annotated[str, Form(alias=Action.HUMAN_REVIEW_DOCUMENT_CHECK.value)] = "",
    reason: FormText = "",
    note: FormText = "",
) -> Response:
    sent = {
        Action.HUMAN_REVIEW_LIVENESS_CHECK: liveness,
        Action.HUMAN_REVIEW_SELFIE_CHECK: selfie,
        Action.HUMAN_REVIEW_COMPARE: compare,
        Action.HUMAN_REVIEW_DOCUMENT_CHECK: document,
    }
    verdicts: dict[str, bool] = {}
    for action, value in sent.items():
        passed = _verdict(form_field(value, 16))
        if passed is not None:
            verdicts[action.value] = passed
    note_text = form_field(note, MAX_NOTE).strip() or None
    with transaction(runtime.sessions) as db:
        job = _partner_job(db, member, smile_job_id)
        provisional = _provisional(job)
        registered_face = _registered_face(db, job)
        db.expunge(job)
    if provisional is not None:
        allowed = {item.value for item in review_reasons(provisional.product)}
        if reason and reason not in allowed:
            raise PortalRefusal(
                400, "Unknown reason", "Choose a reason from the list, or leave it to the likeliest."
            )
        if not verdicts:
            return _review_page(
                request,
                member,
                job,
                provisional,
                registered_face=registered_face,
                status=400,
                error="Nothing was decided: give each check under review a verdict (passed or failed).",
            )
    try:
        decided = decide_per_action(
            runtime,
            job.smile_job_id,
            partner_id=member.user.partner_id,
            actor=audit.Actor.portal_user(member.user.id),
            verdicts=verdicts,
            reason=reason or None,
            note=note_text,
        )
    except AlreadyDecided:
        with transaction(runtime.sessions) as db:
            outcome = _outcome(db, request, member, _partner_job(db, member, smile_job_id))
        return page(request, "review_decided.html", status=409, member=member, outcome=outcome, first=False)
    except NotUnderReview as error:
        raise PortalRefusal(409, "Not waiting for review", str(error)) from None
    except ApiError:
        raise _NOT_FOUND from None
    except ValueError as error:
        # The products' rules refused this combination (a check left undecided, a reason about a
        # check that passed): the same page again, saying what to change.
        if provisional is None:
            raise PortalRefusal(409, "Not waiting for review", str(error)) from None
        return _review_page(
            request,
            member,
            job,
            provisional,
            registered_face=registered_face,
            status=400,
            error=f"Not recorded: {error}.",
        )
    with transaction(runtime.sessions) as db:
        following, _ = waiting_for_review(db, partner_id=member.user.partner_id, limit=1)
    return page(
        request,
        "review_done.html",
        member=member,
        smile_job_id=job.smile_job_id,
        result=decided.result,
        callback_scheduled=decided.callback_scheduled,
        next_job=following[0].smile_job_id if following else None,
    )


@router.get("/review/{smile_job_id}/enrolled-face")
def enrolled_face(smile_job_id: str, runtime: RuntimeDep, member: Reader) -> Response:
    """The registered face the job's selfie was compared with (SmartSelfie authentication, or a
    job sent with use_enrolled_image). Served from this origin, never cached, and audited."""
    with transaction(runtime.sessions) as db:
        job = _partner_job(db, member, smile_job_id)
        user = users.find_user(
            db_session=db, partner_id=job.partner_id, environment=job.environment, user_id=job.user_id
        )
        if user is None or not user.selfie_blob:
            raise PortalRefusal(404, "No registered face", "This job's user has no registered face on file.")
        audit.record(
            db,
            actor=audit.Actor.portal_user(member.user.id),
            action="job.image_viewed",
            target_type="job",
            target_id=job.smile_job_id,
            detail={"kind": "enrolled_selfie", "stored": True},
        )
        blob = user.selfie_blob
    data = runtime.blobs.get(blob)
    media_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return Response(content=data, media_type=media_type, headers={"cache-control": "private, no-store"})
