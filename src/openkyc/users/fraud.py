"""Fraud reports on a partner's users (V3 ``report_fraud``): every report kept and audited, and the
flag it raises or lowers, with which later jobs are blocked.

A report that the user is a fraudster raises the user's flag (one per partner, environment and
user_id) and keeps the user's face: the descriptor the engine's match score is computed from, of
the enrolled selfie, encrypted on the flag. From then on (``openkyc.jobs.fraud_screen``):

* every later job of that user_id is rejected (any product), and
* every later job whose selfie the engine's matcher finds to be that face, at its default
  operating point's threshold, is rejected too, whatever its user_id (one person behind many
  accounts). Only the partner's own flagged users, in the same environment, are compared.

A report that the user is no fraudster lowers the flag and drops the face: later jobs are decided
as before. Reports are never deleted; who reported (an email address) and the notes are sealed.
Deleting the user (``retention.user_purge``) drops the face from the flag as from everything else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from openkyc import audit
from openkyc.crypto import SecretBox
from openkyc.engine.face import DEFAULT_OPERATING_POINT, OPERATING_POINTS, FaceAnalysis, analyse_face
from openkyc.engine.face.compare import match_score
from openkyc.engine.images.decode import load_image
from openkyc.storage import BlobStore
from openkyc.users.fraud_models import FraudFlag, FraudReport
from openkyc.users.models import EnrolledUser, UserStatus

MAX_NOTES = 500
_DESCRIPTOR = "<f8"


class FraudReason(StrEnum):
    """Why a user is reported, as the V3 spec names the reasons (in its order)."""

    FIRST_PARTY_FRAUD = "FIRST_PARTY_FRAUD"
    SECOND_PARTY_FRAUD = "SECOND_PARTY_FRAUD"
    THIRD_PARTY_FRAUD = "THIRD_PARTY_FRAUD"
    SYNTHETIC_IDENTITY = "SYNTHETIC_IDENTITY"
    ACCOUNT_TAKEOVER = "ACCOUNT_TAKEOVER"
    DOCUMENT_FORGERY = "DOCUMENT_FORGERY"
    IDENTITY_FARMING = "IDENTITY_FARMING"
    MULE_ACCOUNT = "MULE_ACCOUNT"
    OTHER = "OTHER"


@dataclass(frozen=True)
class Report:
    """One report as the partner made it (checked by the caller against the spec's rules)."""

    is_fraud: bool
    reason: FraudReason | None  # required when is_fraud, ignored otherwise
    notes: str | None  # required when clearing and for OTHER, at most MAX_NOTES
    reported_by: str  # an email address: sealed

    def __post_init__(self) -> None:
        if self.is_fraud and self.reason is None:
            raise ValueError("a report of fraud needs a reason")
        if (not self.is_fraud or self.reason is FraudReason.OTHER) and not self.notes:
            raise ValueError("clearing a user, or reporting an OTHER reason, needs notes")
        if self.notes is not None and len(self.notes) > MAX_NOTES:
            raise ValueError(f"notes are at most {MAX_NOTES} characters")


@dataclass(frozen=True)
class FaceHit:
    """A selfie found to be a flagged user's face: the flag (our row id, not the user) and the score."""

    flag_id: int
    score: float
    threshold: float
    operating_point: str

    def record(self) -> dict[str, Any]:
        """Evidence for the blocked job: the match, never whose face it is."""
        return {
            "cause": "face_match",
            "flag": self.flag_id,
            "score": round(self.score, 6),
            "threshold": self.threshold,
            "operating_point": self.operating_point,
        }


def find_flag(db_session: Session, *, partner_id: str, environment: str, user_id: str) -> FraudFlag | None:
    return db_session.scalar(
        select(FraudFlag).where(
            FraudFlag.partner_id == partner_id,
            FraudFlag.environment == environment,
            FraudFlag.user_id == user_id,
        )
    )


def active_flag(db_session: Session, *, partner_id: str, environment: str, user_id: str) -> FraudFlag | None:
    """The user's flag while it is raised, else None."""
    flag = find_flag(db_session, partner_id=partner_id, environment=environment, user_id=user_id)
    return flag if flag is not None and flag.active else None


def record_report(
    db_session: Session,
    box: SecretBox,
    *,
    partner_id: str,
    environment: str,
    user_id: str,
    report: Report,
    api_key_id: str,
    face: NDArray[np.float64] | None,
) -> FraudReport:
    """Keep ``report``, raise or lower the user's flag, audit both (in the caller's transaction).

    ``face``: the user's face descriptor (:func:`enrolled_face`) kept on a raised flag, None when
    the user has no usable enrolled face (the flag then blocks the user_id only).
    """
    row = FraudReport(
        partner_id=partner_id,
        environment=environment,
        user_id=user_id,
        is_fraud=report.is_fraud,
        reason=report.reason.value if report.is_fraud and report.reason is not None else None,
        details={"reported_by": report.reported_by, "notes": report.notes},
        api_key_id=api_key_id,
    )
    db_session.add(row)
    db_session.flush()
    flag = find_flag(db_session, partner_id=partner_id, environment=environment, user_id=user_id)
    if flag is None and report.is_fraud:
        flag = FraudFlag(partner_id=partner_id, environment=environment, user_id=user_id, active=True)
        db_session.add(flag)
    if flag is not None:
        flag.active = report.is_fraud
        flag.reason = row.reason
        flag.face_encrypted = (
            box.encrypt(np.asarray(face, dtype=_DESCRIPTOR).tobytes())
            if report.is_fraud and face is not None
            else None
        )
        flag.report_id = row.id
        db_session.flush()
    audit.record(
        db_session,
        actor=audit.Actor.partner(partner_id),
        action="user.fraud_reported" if report.is_fraud else "user.fraud_cleared",
        target_type="fraud_report",
        target_id=str(row.id),
        detail={
            "partner_id": partner_id,
            "environment": environment,
            "reason": row.reason,
            "flag": flag.id if flag is not None else None,
            "face": bool(flag is not None and flag.face_encrypted is not None),
            "api_key_id": api_key_id,
        },
    )
    return row


def reports_of(db_session: Session, *, partner_id: str, environment: str, user_id: str) -> list[FraudReport]:
    """The user's reports, oldest first."""
    return list(
        db_session.scalars(
            select(FraudReport)
            .where(
                FraudReport.partner_id == partner_id,
                FraudReport.environment == environment,
                FraudReport.user_id == user_id,
            )
            .order_by(FraudReport.id)
        )
    )


def _flagged_faces_query(partner_id: str, environment: str, exclude_user_id: str) -> Any:
    return select(FraudFlag.id, FraudFlag.face_encrypted).where(
        FraudFlag.partner_id == partner_id,
        FraudFlag.environment == environment,
        FraudFlag.active.is_(True),
        FraudFlag.face_encrypted.is_not(None),
        FraudFlag.user_id != exclude_user_id,
    )


def has_flagged_faces(
    db_session: Session, *, partner_id: str, environment: str, exclude_user_id: str
) -> bool:
    """Whether any other flagged user of the partner has a face to compare with (a cheap test, so
    a partner that flags nobody pays nothing for the 1:N check)."""
    query = _flagged_faces_query(partner_id, environment, exclude_user_id)
    return bool(db_session.scalar(select(exists(query))))


def flagged_faces(
    db_session: Session, box: SecretBox, *, partner_id: str, environment: str, exclude_user_id: str
) -> list[tuple[int, NDArray[np.float64]]]:
    """(flag id, face descriptor) of the partner's other flagged users that have a face."""
    rows = db_session.execute(_flagged_faces_query(partner_id, environment, exclude_user_id)).all()
    return [(flag_id, _descriptor(box.decrypt(token))) for flag_id, token in rows if token is not None]


def _descriptor(data: bytes) -> NDArray[np.float64]:
    return np.frombuffer(data, dtype=_DESCRIPTOR).astype(np.float64)


def face_descriptor(bgr: NDArray[Any]) -> NDArray[np.float64] | None:
    """The descriptor of the primary face of an image (None without a face): the engine's own
    analysis, whose descriptor its match score compares."""
    analysis = analyse_face(bgr)
    return analysis.mobilenet if analysis.found else None


def enrolled_face(blobs: BlobStore, user: EnrolledUser | None) -> NDArray[np.float64] | None:
    """The face descriptor of a user's enrolled selfie; None when there is none to use (not
    enrolled, deleted, no selfie on file, or no face found in it)."""
    if user is None or user.status == UserStatus.DELETED or not user.selfie_blob:
        return None
    return face_descriptor(load_image(blobs.get(user.selfie_blob)).bgr)


def best_match(
    descriptor: NDArray[np.float64], faces: Iterable[tuple[int, NDArray[np.float64]]]
) -> FaceHit | None:
    """The flagged face ``descriptor`` matches best, if the engine's matcher calls it a match: its
    match score (:func:`openkyc.engine.face.compare.match_score`) at or above the threshold of its
    default operating point."""
    operating_point = DEFAULT_OPERATING_POINT
    threshold = OPERATING_POINTS[operating_point]
    probe = _analysis(descriptor)
    best: FaceHit | None = None
    for flag_id, face in faces:
        score = match_score(probe, _analysis(face))
        if score is None or score < threshold:
            continue
        if best is None or score > best.score:
            best = FaceHit(flag_id=flag_id, score=score, threshold=threshold, operating_point=operating_point)
    return best


def _analysis(descriptor: NDArray[np.float64]) -> FaceAnalysis:
    # The matcher scores analyses by their descriptors; a stored face has nothing else.
    return FaceAnalysis(faces=(), primary=None, mobilenet=descriptor)


def forget_face(db_session: Session, *, partner_id: str, environment: str, user_id: str) -> None:
    """Drop the face kept on the user's flag (the user is deleted: biometric data goes everywhere;
    the flag itself stays, and still blocks the user_id)."""
    flag = find_flag(db_session, partner_id=partner_id, environment=environment, user_id=user_id)
    if flag is not None:
        flag.face_encrypted = None
