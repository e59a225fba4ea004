"""Enrolled users: look-up with the documented refusals, enrolment, disable/enable/delete/re-enrol."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from openkyc import audit
from openkyc.api_errors import (
    NO_ENROLLED_USER,
    NO_PHOTO_ON_FILE,
    REENROLL_REQUIRED,
    USER_ALREADY_ENROLLED,
    USER_DELETED,
    USER_DISABLED,
    ApiError,
)
from openkyc.crypto import SecretBox
from openkyc.runtime import Runtime
from openkyc.storage.keys import enrolled_selfie_key
from openkyc.users.models import EnrolledUser, UserStatus

_REFUSALS = {
    UserStatus.DISABLED: USER_DISABLED,
    UserStatus.DELETED: USER_DELETED,
    UserStatus.REENROLL_REQUIRED: REENROLL_REQUIRED,
}


class UserNotFound(LookupError):
    pass


def find_user(*, db_session: Session, partner_id: str, environment: str, user_id: str) -> EnrolledUser | None:
    return db_session.scalar(
        select(EnrolledUser).where(
            EnrolledUser.partner_id == partner_id,
            EnrolledUser.environment == environment,
            EnrolledUser.user_id == user_id,
        )
    )


def require_authenticable(
    *, db_session: Session, partner_id: str, environment: str, user_id: str
) -> EnrolledUser:
    """The enrolled user a selfie may be compared with, or the documented 2207/2208/2210/2211/2216."""
    user = find_user(db_session=db_session, partner_id=partner_id, environment=environment, user_id=user_id)
    if user is None:
        raise ApiError(NO_ENROLLED_USER)
    refusal = _REFUSALS.get(UserStatus(user.status))
    if refusal is not None:
        raise ApiError(refusal)
    if user.embedding_encrypted is None:
        raise ApiError(NO_PHOTO_ON_FILE)
    return user


def require_enrollable(
    *, db_session: Session, partner_id: str, environment: str, user_id: str, allow_new_enroll: bool
) -> None:
    """Registration of ``user_id``: refused when it is already enrolled (2209) unless re-enrolling.

    A user flagged for re-enrolment may register again; a disabled or deleted one may not.
    """
    # Only the status is needed: a one-column read on every prep-upload of a registration.
    status = db_session.scalar(
        select(EnrolledUser.status).where(
            EnrolledUser.partner_id == partner_id,
            EnrolledUser.environment == environment,
            EnrolledUser.user_id == user_id,
        )
    )
    if status is None or status == UserStatus.REENROLL_REQUIRED:
        return
    if status == UserStatus.DISABLED:
        raise ApiError(USER_DISABLED)
    if status == UserStatus.DELETED and not allow_new_enroll:
        raise ApiError(USER_DELETED)
    if status == UserStatus.ACTIVE and not allow_new_enroll:
        raise ApiError(USER_ALREADY_ENROLLED)


def enrol(
    *,
    db_session: Session,
    box: SecretBox,
    partner_id: str,
    environment: str,
    user_id: str,
    embedding: NDArray[np.float64],
    selfie_blob: str,
    smile_job_id: str,
) -> EnrolledUser:
    """Register (or re-register) the user's face; the embedding is stored encrypted."""
    user = find_user(db_session=db_session, partner_id=partner_id, environment=environment, user_id=user_id)
    if user is None:
        user = EnrolledUser(partner_id=partner_id, environment=environment, user_id=user_id)
        db_session.add(user)
    user.status = UserStatus.ACTIVE
    user.embedding_encrypted = box.encrypt(np.asarray(embedding, dtype="<f8").tobytes())
    user.selfie_blob = selfie_blob
    user.enrolled_by_job = smile_job_id
    db_session.flush()
    return user


class EnrollingJob(Protocol):
    """The job whose selfie becomes a user's enrolled face (a ``jobs.models.Job``)."""

    partner_id: str
    environment: str
    user_id: str
    smile_job_id: str


def enrol_job_selfie(
    runtime: Runtime,
    *,
    db_session: Session,
    job: EnrollingJob,
    selfie_key: str,
    embedding: NDArray[np.float64],
) -> EnrolledUser:
    """Register the job's user with the face of the selfie stored at ``selfie_key``: a copy of that
    selfie is kept under the enrolment's own key (the job's images go with the job's retention; the
    enrolment keeps its photo until the user is deleted or enrols again)."""
    photo = enrolled_selfie_key(job.partner_id, job.smile_job_id)
    runtime.blobs.put(photo, runtime.blobs.get(selfie_key))
    return enrol(
        db_session=db_session,
        box=runtime.box,
        partner_id=job.partner_id,
        environment=job.environment,
        user_id=job.user_id,
        embedding=embedding,
        selfie_blob=photo,
        smile_job_id=job.smile_job_id,
    )


def enrolled_embedding(*, box: SecretBox, user: EnrolledUser) -> NDArray[np.float64]:
    if user.embedding_encrypted is None:
        raise ApiError(NO_PHOTO_ON_FILE)
    return np.frombuffer(box.decrypt(user.embedding_encrypted), dtype="<f8").astype(np.float64)


def list_users(
    *,
    db_session: Session,
    partner_id: str,
    environment: str | None = None,
    user_id_prefix: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[EnrolledUser]:
    """A partner's enrolled users, oldest first; those whose user_id starts with
    ``user_id_prefix`` (taken literally: % and _ are no wildcards) when given."""
    query = select(EnrolledUser).where(EnrolledUser.partner_id == partner_id)
    if environment is not None:
        query = query.where(EnrolledUser.environment == environment)
    if user_id_prefix:
        query = query.where(EnrolledUser.user_id.startswith(user_id_prefix, autoescape=True))
    query = query.order_by(EnrolledUser.created_at, EnrolledUser.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(db_session.scalars(query))


def set_status(
    *,
    db_session: Session,
    partner_id: str,
    environment: str,
    user_id: str,
    status: UserStatus,
    actor: audit.Actor | None = None,
) -> EnrolledUser:
    """Disable, enable, delete or flag for re-enrolment. Deleting also drops the face on file
    (:func:`openkyc.retention.user_purge.purge_user_biometrics` then erases the images). ``actor``: the
    local operator unless said otherwise."""
    user = find_user(db_session=db_session, partner_id=partner_id, environment=environment, user_id=user_id)
    if user is None:
        raise UserNotFound(user_id)
    user.status = status
    audit.record(
        db_session,
        actor=actor or audit.operator(),
        action="user.status_changed",
        target_type="enrolled_user",
        target_id=str(user.id),
        detail={"status": status.value, "partner_id": partner_id, "environment": environment},
    )
    if status == UserStatus.DELETED:
        user.embedding_encrypted = None
    return user
