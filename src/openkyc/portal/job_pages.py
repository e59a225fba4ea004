"""A job's page (its ids, evidence, history and callback deliveries, with "Resend callback") and
the enrolled users of the member's partner (list, disable/enable, flag for re-enrolment, delete).

Every look-up is by the member's partner: another partner's job or user is answered exactly as an
unknown one (404), so the pages do not tell which ids exist elsewhere.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, select

from openkyc import audit
from openkyc.callbacks.service import delivery_log
from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job
from openkyc.jobs.resend import JobNotFound, NothingToResend, resend_result
from openkyc.portal.evidence import job_evidence_for_page
from openkyc.portal.link_pages import job_sources
from openkyc.portal.pages import (
    Admin,
    FormText,
    Operator,
    PortalRefusal,
    Reader,
    form_field,
    new_router,
    page,
    redirect,
    small_number,
)
from openkyc.portal.roles import Permission
from openkyc.portal.views import PRODUCTS
from openkyc.receipts.service import link_for as receipt_link_for
from openkyc.retention.user_purge import delete_user
from openkyc.signing.environment import Environment
from openkyc.users import service as users
from openkyc.users.models import UserStatus
from openkyc.webdeps import RuntimeDep

router = new_router()

USERS_PER_PAGE = 50
# The status changes an operator makes from the list; deleting is an admin's, with its own form.
STATUS_ACTIONS = {
    "disable": UserStatus.DISABLED,
    "enable": UserStatus.ACTIVE,
    "flag-reenroll": UserStatus.REENROLL_REQUIRED,
}
# What the list says after an action (the redirect names it).
DONE = {
    "disable": "disabled",
    "enable": "enabled",
    "flag-reenroll": "flagged for re-enrolment",
    "delete": "deleted: its face and images are erased",
}
MAX_USER_ID = 200  # the column's width
ENVIRONMENTS = tuple(item.value for item in Environment)


def _no_job() -> PortalRefusal:
    return PortalRefusal(404, "No such job", "There is no job with this id for your team.")


def _job_id(smile_job_id: str) -> str:
    # SmileJobIDs are digits; anything else (a NUL, which PostgreSQL refuses) is unknown at once.
    if not (smile_job_id.isascii() and smile_job_id.isdigit() and len(smile_job_id) <= 20):
        raise _no_job()
    return smile_job_id


def _moment(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def _callback_target(url: str) -> str:
    """Where a callback went, without its query (it may carry the partner's own token)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "?"
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


@router.get("/jobs/{smile_job_id}")
def job_page(request: Request, runtime: RuntimeDep, member: Reader, smile_job_id: str) -> Response:
    smile_job_id = _job_id(smile_job_id)
    with transaction(runtime.sessions) as db:
        job = db.get(Job, smile_job_id)
        if job is None or job.partner_id != member.user.partner_id:
            raise _no_job()
        result = job.result or {}
        history = [
            {
                "code": entry.get("ResultCode", ""),
                "text": entry.get("ResultText", ""),
                "final": entry.get("IsFinalResult", ""),
                "machine": entry.get("IsMachineResult", ""),
            }
            for entry in job.history or []
            if isinstance(entry, dict)
        ]
        deliveries = [
            {**delivery, "target": _callback_target(delivery["url"])}
            for delivery in delivery_log(db_session=db, smile_job_id=smile_job_id)
        ]
        details = {
            "smile_job_id": job.smile_job_id,
            "job_id": job.job_id,
            "user_id": job.user_id,
            "product": PRODUCTS.get(job.job_type, str(job.job_type)),
            "environment": job.environment,
            "state": job.state,
            "created_at": _moment(job.created_at),
            "completed_at": _moment(job.completed_at),
            "result_code": result.get("ResultCode", ""),
            "result_text": result.get("ResultText", ""),
            "source": job_sources(db, member.user.partner_id, [job.api_key_id])[job.api_key_id],
        }
        evidence = job_evidence_for_page(request, job)
        # "Print PDF": the KYC receipt through its expiring signed link, same origin like the images.
        receipt = receipt_link_for(
            job,
            links=runtime.links,
            base_url=str(request.scope.get("root_path", "")),
            expires=utcnow() + runtime.settings.image_link_ttl,
        )
        # As job_status records a partner reading a result: who on the team saw this one.
        audit.record(
            db,
            actor=audit.Actor.portal_user(member.user.id),
            action="job.result_viewed",
            target_type="job",
            target_id=smile_job_id,
            detail={"partner_id": member.user.partner_id, "via": "portal", "images": len(evidence.images)},
        )
    return page(
        request,
        "job.html",
        member=member,
        job=details,
        evidence=evidence,
        history=history,
        deliveries=deliveries,
        can_operate=member.can(Permission.OPERATE),
        resent=request.query_params.get("resent") == "1",
        receipt=receipt,
    )


@router.post("/jobs/{smile_job_id}/resend-callback")
def resend_callback(request: Request, runtime: RuntimeDep, member: Operator, smile_job_id: str) -> Response:
    smile_job_id = _job_id(smile_job_id)
    try:
        resend_result(
            runtime,
            smile_job_id=smile_job_id,
            partner_id=member.user.partner_id,
            actor=audit.Actor.portal_user(member.user.id),
        )
    except JobNotFound:
        raise _no_job() from None
    except NothingToResend as nothing:
        raise PortalRefusal(409, "Nothing to resend", str(nothing)) from None
    return redirect(request, f"/jobs/{smile_job_id}?resent=1")


# --- enrolled users ----------------------------------------------------------------------------


def _environment(value: str) -> str:
    if value not in ENVIRONMENTS:
        raise PortalRefusal(400, "Unknown environment", "Choose sandbox or production.")
    return value


def _user_id(value: str) -> str:
    value = form_field(value, MAX_USER_ID)
    if not value:
        raise PortalRefusal(400, "No user id", "Say which user.")
    return value


def _users_link(environment: str, user_id: str = "") -> str:
    query = {"environment": environment, **({"user_id": user_id} if user_id else {})}
    return "/users?" + urlencode(query)


def _no_user() -> PortalRefusal:
    return PortalRefusal(404, "No such user", "Your team has no enrolled user with this id here.")


@router.get("/users")
def users_page(request: Request, runtime: RuntimeDep, member: Reader) -> Response:
    params = request.query_params
    environment = _environment(params.get("environment") or Environment.SANDBOX.value)
    prefix = form_field(params.get("user_id", "").strip(), MAX_USER_ID)
    page_number = max(small_number(params.get("page", "1")) or 1, 1)
    with transaction(runtime.sessions) as db:
        found = users.list_users(
            db_session=db,
            partner_id=member.user.partner_id,
            environment=environment,
            user_id_prefix=prefix or None,
            offset=(page_number - 1) * USERS_PER_PAGE,
            limit=USERS_PER_PAGE + 1,  # one more says whether a next page exists
        )
        rows = [
            {
                "user_id": user.user_id,
                "status": user.status,
                "enrolled_by_job": user.enrolled_by_job or "",
                "face_on_file": user.embedding_encrypted is not None,
                "updated_at": _moment(user.updated_at),
            }
            for user in found[:USERS_PER_PAGE]
        ]
    kept = {"environment": environment, **({"user_id": prefix} if prefix else {})}
    return page(
        request,
        "users.html",
        member=member,
        rows=rows,
        environment=environment,
        environments=ENVIRONMENTS,
        prefix=prefix,
        page_number=page_number,
        previous_link="?" + urlencode({**kept, "page": page_number - 1}) if page_number > 1 else None,
        next_link="?" + urlencode({**kept, "page": page_number + 1}) if len(found) > USERS_PER_PAGE else None,
        can_operate=member.can(Permission.OPERATE),
        can_delete=member.can(Permission.ADMINISTER),
        notice=DONE.get(params.get("done", "")),
    )


@router.post("/users/status")
def set_user_status(
    request: Request,
    runtime: RuntimeDep,
    member: Operator,
    environment: FormText = "",
    user_id: FormText = "",
    action: FormText = "",
) -> Response:
    status = STATUS_ACTIONS.get(action)
    if status is None:
        raise PortalRefusal(400, "Unknown action", "Choose disable, enable or flag for re-enrolment.")
    environment, user_id = _environment(environment), _user_id(user_id)
    try:
        with transaction(runtime.sessions) as db:
            users.set_status(
                db_session=db,
                partner_id=member.user.partner_id,
                environment=environment,
                user_id=user_id,
                status=status,
                actor=audit.Actor.portal_user(member.user.id),
            )
    except users.UserNotFound:
        raise _no_user() from None
    return redirect(request, _users_link(environment, user_id) + f"&done={action}")


@router.post("/users/delete")
def delete_enrolled_user(
    request: Request,
    runtime: RuntimeDep,
    member: Admin,
    environment: FormText = "",
    user_id: FormText = "",
    confirm: FormText = "",
) -> Response:
    environment, user_id = _environment(environment), _user_id(user_id)
    who = {"partner_id": member.user.partner_id, "environment": environment, "user_id": user_id}
    if confirm != "yes":
        # The first step: what will be erased, and a second form that says so.
        with transaction(runtime.sessions) as db:
            user = users.find_user(db_session=db, **who)
            if user is None:
                raise _no_user()
            jobs = db.scalar(
                select(func.count())
                .select_from(Job)
                .where(
                    Job.partner_id == member.user.partner_id,
                    Job.environment == environment,
                    Job.user_id == user_id,
                )
            )
        return page(
            request, "user_delete.html", member=member, environment=environment, user_id=user_id, jobs=jobs
        )
    try:
        delete_user(runtime, **who, actor=audit.Actor.portal_user(member.user.id))
    except users.UserNotFound:
        raise _no_user() from None
    return redirect(request, _users_link(environment, user_id) + "&done=delete")
