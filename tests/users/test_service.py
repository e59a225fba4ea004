from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.api_errors import ApiError
from openkyc.db import transaction
from openkyc.runtime import Runtime
from openkyc.storage.keys import enrolled_selfie_key, job_image_key
from openkyc.users import service
from openkyc.users.models import UserStatus
from tests.server import PartnerCreds


def enrol(runtime: Runtime, partner: PartnerCreds, user_id: str = "u1") -> NDArray[np.float64]:
    embedding = np.linspace(-0.2, 0.2, 128)
    with transaction(runtime.sessions) as session:
        service.enrol(
            db_session=session,
            box=runtime.box,
            partner_id=partner.partner_id,
            environment="sandbox",
            user_id=user_id,
            embedding=embedding,
            selfie_blob="users/x/selfie",
            smile_job_id="0000000001",
        )
    return embedding


def codes_for(runtime: Runtime, partner: PartnerCreds, user_id: str = "u1") -> tuple[str | None, str | None]:
    """(authenticate, register) refusal codes for the user, None when allowed."""
    answers: list[str | None] = []
    with transaction(runtime.sessions) as session:
        for check in (
            lambda: service.require_authenticable(
                db_session=session, partner_id=partner.partner_id, environment="sandbox", user_id=user_id
            ),
            lambda: service.require_enrollable(
                db_session=session,
                partner_id=partner.partner_id,
                environment="sandbox",
                user_id=user_id,
                allow_new_enroll=False,
            ),
        ):
            try:
                check()
                answers.append(None)
            except ApiError as error:
                answers.append(error.spec.code)
    return answers[0], answers[1]


def test_unknown_user_cannot_authenticate_but_can_register(runtime: Runtime, partner: PartnerCreds) -> None:
    assert codes_for(runtime, partner) == ("2210", None)


def test_enrolled_user_authenticates_and_cannot_register_twice(
    runtime: Runtime, partner: PartnerCreds
) -> None:
    embedding = enrol(runtime, partner)
    assert codes_for(runtime, partner) == (None, "2209")
    with transaction(runtime.sessions) as session:
        user = service.find_user(
            db_session=session, partner_id=partner.partner_id, environment="sandbox", user_id="u1"
        )
        assert user is not None and user.embedding_encrypted is not None
        assert embedding.tobytes() not in user.embedding_encrypted  # biometric data encrypted at rest
        assert np.allclose(service.enrolled_embedding(box=runtime.box, user=user), embedding)


@pytest.mark.parametrize(
    ("status", "codes"),
    [
        (UserStatus.DISABLED, ("2207", "2207")),
        (UserStatus.DELETED, ("2208", "2208")),
        (UserStatus.REENROLL_REQUIRED, ("2211", None)),
        (UserStatus.ACTIVE, (None, "2209")),
    ],
)
def test_status_changes_give_the_documented_codes(
    runtime: Runtime, partner: PartnerCreds, status: UserStatus, codes: tuple[str | None, str | None]
) -> None:
    enrol(runtime, partner)
    with transaction(runtime.sessions) as session:
        service.set_status(
            db_session=session,
            partner_id=partner.partner_id,
            environment="sandbox",
            user_id="u1",
            status=status,
        )
    assert codes_for(runtime, partner) == codes


def test_deleting_erases_the_face(runtime: Runtime, partner: PartnerCreds) -> None:
    enrol(runtime, partner)
    with transaction(runtime.sessions) as session:
        user = service.set_status(
            db_session=session,
            partner_id=partner.partner_id,
            environment="sandbox",
            user_id="u1",
            status=UserStatus.DELETED,
        )
        assert user.embedding_encrypted is None


def test_users_are_separate_per_environment(runtime: Runtime, partner: PartnerCreds) -> None:
    enrol(runtime, partner)
    with transaction(runtime.sessions) as session, pytest.raises(ApiError) as refused:
        service.require_authenticable(
            db_session=session, partner_id=partner.partner_id, environment="production", user_id="u1"
        )
    assert refused.value.spec.code == "2210"


def test_a_jobs_selfie_is_enrolled_as_a_copy_the_job_does_not_own(
    runtime: Runtime, partner: PartnerCreds
) -> None:
    @dataclass
    class FinishedJob:
        partner_id: str
        environment: str
        user_id: str
        smile_job_id: str

    job = FinishedJob(partner.partner_id, "sandbox", "u-job", "0000000042")
    runtime.blobs.put(job_image_key(job.smile_job_id, "selfie"), b"the selfie's bytes")
    embedding = np.linspace(0.1, -0.1, 128)
    with transaction(runtime.sessions) as session:
        user = service.enrol_job_selfie(
            runtime,
            db_session=session,
            job=job,
            selfie_key=job_image_key(job.smile_job_id, "selfie"),
            embedding=embedding,
        )
        assert (user.user_id, user.enrolled_by_job, user.status) == ("u-job", "0000000042", UserStatus.ACTIVE)
        assert user.selfie_blob == enrolled_selfie_key(partner.partner_id, "0000000042")
        np.testing.assert_array_equal(service.enrolled_embedding(box=runtime.box, user=user), embedding)
    # The job's images go with the job; the enrolment keeps its own copy.
    runtime.blobs.delete(job_image_key(job.smile_job_id, "selfie"))
    assert runtime.blobs.get(enrolled_selfie_key(partner.partner_id, "0000000042")) == b"the selfie's bytes"
