"""Fraud reports applied to jobs: a flagged user's later jobs, and later jobs whose selfie is a
flagged user's face, are rejected (``openkyc.users.fraud`` keeps the reports and flags).

Where: every job the engine decided is published through :func:`openkyc.jobs.flows.publish_result`
(queued v1 and V3 jobs, the synchronous v2 SmartSelfie endpoints), which passes the product's
decision through :func:`screen_for_fraud` first; the synchronous ID look-ups (Enhanced and Basic KYC) ask
:func:`user_flagged` before they look the number up and answer :func:`blocked_id_verification`
instead. A job whose payload could not be verified at all (intake failure, system error) keeps
that answer: nothing was decided about the person.

The result is openkyc's fraud row of the product (``products.codes.fraud``): 0871 for a flagged
user, 0881 for a face match, Rejected, final, nothing enrolled; the V3 API says ``block`` /
``high_risk``. The evidence names the flag's row id and the match score, never the other
user. The 1:N comparison runs only when the partner has flagged users with a face (in the job's
environment), so partners who report nobody pay one cheap query per job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from openkyc.db import transaction
from openkyc.engine.errors import ImageError
from openkyc.engine.images.decode import load_image
from openkyc.idverification.lookup import LookupOutcome
from openkyc.idverification.request import VerificationRequest
from openkyc.idverification.results import result_head
from openkyc.jobs.models import Job
from openkyc.products import ActionValue, ProductResult
from openkyc.products.authority import RecordNotFound
from openkyc.products.codes.fraud import FraudReported
from openkyc.products.failures import is_not_verified
from openkyc.products.fraud import USER_FLAGGED_REASON, fraud_blocked
from openkyc.runtime import Runtime
from openkyc.storage import BlobNotFound
from openkyc.users import fraud
from openkyc.users import service as users
from openkyc.users.models import EnrolledUser, UserStatus

log = logging.getLogger(__name__)

IdVerificationBuild = Callable[[VerificationRequest, LookupOutcome], tuple[dict[str, Any], bool]]


def screen_for_fraud(
    runtime: Runtime, job: Job, outcome: ProductResult, images: dict[str, Any]
) -> ProductResult:
    """``outcome``, or the fraud rejection that replaces it (``images``: the job's blob keys)."""
    if is_not_verified(outcome.result_code):
        return outcome
    with transaction(runtime.sessions) as session:
        flag = fraud.active_flag(
            session, partner_id=job.partner_id, environment=job.environment, user_id=job.user_id
        )
        if flag is not None:
            log.info("job %s: its user is flagged for fraud; rejected", job.smile_job_id)
            return fraud_blocked(
                outcome,
                face_match=False,
                record={"cause": "user_flagged", "flag": flag.id, "reason": flag.reason},
            )
        selfie_key = images.get("selfie")
        if not isinstance(selfie_key, str) or not fraud.has_flagged_faces(
            session, partner_id=job.partner_id, environment=job.environment, exclude_user_id=job.user_id
        ):
            return outcome
        faces = fraud.flagged_faces(
            session,
            runtime.box,
            partner_id=job.partner_id,
            environment=job.environment,
            exclude_user_id=job.user_id,
        )
    descriptor = fraud.face_descriptor(load_image(runtime.blobs.get(selfie_key)).bgr)
    hit = fraud.best_match(descriptor, faces) if descriptor is not None else None
    if hit is None:
        return outcome
    log.info("job %s: the selfie matches a face flagged for fraud; rejected", job.smile_job_id)
    return fraud_blocked(outcome, face_match=True, record=hit.record())


def user_flagged(runtime: Runtime, *, partner_id: str, environment: str, user_id: str) -> bool:
    with transaction(runtime.sessions) as session:
        flag = fraud.active_flag(session, partner_id=partner_id, environment=environment, user_id=user_id)
        return flag is not None


def blocked_id_verification(
    request: VerificationRequest, build: IdVerificationBuild
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Enhanced or Basic KYC result of a flagged user's job, and the private keys stored with
    it: the product's own shape for a look-up that was not made (nothing returned, Verify_ID_Number
    "Not Done"), headed by the fraud row; never a success."""
    wire, _ = build(request, LookupOutcome(failure=RecordNotFound("not looked up: user reported for fraud")))
    actions = {**wire["Actions"], "Verify_ID_Number": ActionValue.NOT_DONE.value}
    private = {"_success": False, "_reasons": [USER_FLAGGED_REASON]}
    return {**wire, **result_head(FraudReported.USER_FLAGGED, actions)}, private


def report(
    runtime: Runtime, *, partner_id: str, environment: str, api_key_id: str, user_id: str, given: fraud.Report
) -> bool:
    """Take a partner's report on ``user_id``: kept, audited, the flag raised (with the user's
    enrolled face) or lowered. False, and nothing kept, when the partner knows no such user.

    Blocking work (the enrolled selfie is decoded and analysed): call it off the event loop.
    """
    where = {"partner_id": partner_id, "environment": environment, "user_id": user_id}
    with transaction(runtime.sessions) as session:
        if not known_user(session, **where):
            return False
        user = users.find_user(db_session=session, **where)
        if user is not None:
            session.expunge(user)
    face = _enrolled_face(runtime, user) if given.is_fraud else None
    with transaction(runtime.sessions) as session:
        # Deleted meanwhile: its face went everywhere, it must not come back on the flag.
        current = users.find_user(db_session=session, **where)
        if current is None or current.status == UserStatus.DELETED:
            face = None
        fraud.record_report(session, runtime.box, **where, report=given, api_key_id=api_key_id, face=face)
    return True


def _enrolled_face(runtime: Runtime, user: EnrolledUser | None) -> NDArray[np.float64] | None:
    try:
        return fraud.enrolled_face(runtime.blobs, user)
    except (BlobNotFound, ImageError) as error:
        # The flag still blocks the user_id; only the 1:N check of other users' selfies is lost.
        log.warning(
            "enrolled selfie of a reported user unusable (%s): flag kept without a face", type(error).__name__
        )
        return None


def known_user(db_session: Session, *, partner_id: str, environment: str, user_id: str) -> bool:
    """Whether the partner has a job or an enrolment for ``user_id`` in ``environment`` (the users
    a fraud report may name)."""
    if users.find_user(
        db_session=db_session, partner_id=partner_id, environment=environment, user_id=user_id
    ):
        return True
    query = select(Job.smile_job_id).where(
        Job.partner_id == partner_id, Job.environment == environment, Job.user_id == user_id
    )
    return bool(db_session.scalar(select(exists(query))))
