"""Erasing a deleted user's biometric data everywhere: the registered face and every job's images.

The management API, the CLI and the portal delete a user with :func:`delete_user`: the status goes
to deleted first (so no new job can use the face meanwhile), then :func:`purge_user_biometrics`
erases what is stored. Safe to run again: each step is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from openkyc import audit
from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job
from openkyc.retention.purge import enrolment_copies, purge_job
from openkyc.runtime import Runtime
from openkyc.users import fraud
from openkyc.users.models import EnrolledUser, UserStatus
from openkyc.users.service import UserNotFound, find_user, set_status


@dataclass(frozen=True)
class UserPurge:
    jobs: int
    blobs: int


def delete_user(
    runtime: Runtime, *, partner_id: str, environment: str, user_id: str, actor: audit.Actor
) -> UserPurge:
    """Delete an enrolled user: jobs for it get 2208 from now on, and its face and every job's
    images and PII are erased (audited, each step). Raises UserNotFound."""
    with transaction(runtime.sessions) as session:
        set_status(
            db_session=session,
            partner_id=partner_id,
            environment=environment,
            user_id=user_id,
            status=UserStatus.DELETED,
            actor=actor,
        )
    return purge_user_biometrics(
        runtime, partner_id=partner_id, environment=environment, user_id=user_id, actor=actor
    )


def purge_user_biometrics(
    runtime: Runtime, *, partner_id: str, environment: str, user_id: str, actor: audit.Actor
) -> UserPurge:
    """Delete the user's enrolled selfie, embedding (also the face a fraud flag keeps), and the
    images and PII of all its jobs.

    Jobs keep their results without PII (job_status still answers). A job still in flight loses
    its images too, and ends with a System Error: the user asked to be forgotten.
    """
    now = utcnow()
    with transaction(runtime.sessions) as session:
        user = find_user(db_session=session, partner_id=partner_id, environment=environment, user_id=user_id)
        if user is None:
            raise UserNotFound(user_id)
        row_id, selfie_blob = user.id, user.selfie_blob
        jobs = list(
            session.scalars(
                select(Job).where(
                    Job.partner_id == partner_id, Job.environment == environment, Job.user_id == user_id
                )
            )
        )
        session.expunge_all()
    # A job purged earlier by retention kept the copy that was the registered face: it goes now.
    leftovers = {selfie_blob} if selfie_blob else set()
    for job in jobs:
        leftovers |= enrolment_copies(runtime, job)
    for key in sorted(leftovers):
        runtime.blobs.delete(key)
    purged, blobs = 0, len(leftovers)
    for job in jobs:
        deleted = purge_job(
            runtime, job.smile_job_id, now=now, reason="user_deleted", actor=actor, keep_enrolled=False
        )
        if deleted is not None:
            purged, blobs = purged + 1, blobs + deleted
    with transaction(runtime.sessions) as session:
        user = session.get(EnrolledUser, row_id)
        if user is not None:
            user.embedding_encrypted, user.selfie_blob = None, None
        # A fraud flag keeps the user's face for the 1:N check: it goes too (the flag stays).
        fraud.forget_face(session, partner_id=partner_id, environment=environment, user_id=user_id)
        audit.record(
            session,
            actor=actor,
            action="user.biometrics_purged",
            target_type="enrolled_user",
            target_id=str(row_id),
            detail={"partner_id": partner_id, "environment": environment, "jobs": purged, "blobs": blobs},
        )
    return UserPurge(jobs=purged, blobs=blobs)
