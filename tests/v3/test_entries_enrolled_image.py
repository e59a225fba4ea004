"""POST /v3/authentication with ``use_enrolled_image`` and no capture: a server-side
re-verification, queued as a SmartSelfie Authentication job whose selfie is the user's enrolled
one (openkyc.v3.selfie, jobs.flows). It decides the account's state, the fraud screen, the engine's
passive checks on the enrolled selfie and its match with the enrolled embedding; never the
same-photograph check (the photo is the enrolled one by design) nor active liveness (no frames)."""

from __future__ import annotations

import zlib
from typing import Any

import pytest
import usesmileid
from fastapi.testclient import TestClient
from sqlalchemy import select

from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import transaction
from openkyc.engine.face.analyse import analyse_face
from openkyc.engine.images.decode import load_image
from openkyc.jobs.flows import reuses_enrolled_image
from openkyc.jobs.intake import read_job_payload
from openkyc.jobs.intake.packing import pack_job_zip
from openkyc.jobs.models import ApiVersion, Job, JobState
from openkyc.jobs.status import stored_images
from openkyc.jobs.v3_results import outcome
from openkyc.partners import service as partners
from openkyc.products.smart_selfie_authentication import ENROLLED_IMAGE_REASON
from openkyc.runtime import Runtime
from openkyc.tasks.work import verify_job
from openkyc.users import service as users
from openkyc.users.models import UserStatus
from tests.server import PartnerCreds
from tests.v3.conftest import token_for
from tests.v3.entry_forms import (
    CALLBACK,
    CLEARWATER,
    CONSENT,
    accepted,
    frames,
    images,
    post,
    refused,
    selfie,
    stored,
)

pytestmark = pytest.mark.usefixtures("conforming")

AUTH = "/v3/authentication"
PRODUCTION = "production"
SANDBOX = "sandbox"


def production(client: TestClient, runtime: Runtime, partner: PartnerCreds) -> dict[str, str]:
    """A V3 token of ``partner``'s production key (production enabled): no sandbox forcing."""
    with transaction(runtime.sessions) as session:
        partners.set_production_enabled(db_session=session, partner_id=partner.partner_id, enabled=True)
    runtime.key_cache.invalidate(partner.partner_id)
    return {"SmileID-Token": token_for(client, partner, key=partner.production_key)}


def enrol(
    runtime: Runtime, partner: PartnerCreds, user_id: str, environment: str, *, face: bytes | None = None
) -> str:
    """``user_id`` enrolled as the pipeline enrols (jobs.flows.publish_result): a real selfie's blob
    and the engine's embedding of it. Returns the enrolling job's id."""
    data = face or selfie()
    smile_job_id = f"{zlib.crc32(f'{environment}/{user_id}'.encode()):010d}"
    key = f"users/{partner.partner_id}/{smile_job_id}/selfie"
    runtime.blobs.put(key, data)
    embedding = analyse_face(load_image(data).bgr).embedding
    assert embedding is not None
    with transaction(runtime.sessions) as session:
        users.enrol(
            db_session=session,
            box=runtime.box,
            partner_id=partner.partner_id,
            environment=environment,
            user_id=user_id,
            embedding=embedding,
            selfie_blob=key,
            smile_job_id=smile_job_id,
        )
    return smile_job_id


def set_status(
    runtime: Runtime, partner: PartnerCreds, user_id: str, environment: str, status: UserStatus
) -> None:
    with transaction(runtime.sessions) as session:
        users.set_status(
            db_session=session,
            partner_id=partner.partner_id,
            environment=environment,
            user_id=user_id,
            status=status,
        )


def reverify(client: TestClient, auth: dict[str, str], user_id: str, **extra: Any) -> dict[str, Any]:
    """A re-verification as the SDKs send it: ``use_enrolled_image`` "true", no image part."""
    return accepted(post(client, AUTH, auth, user_id=user_id, use_enrolled_image="true", **extra))


def processed(runtime: Runtime, job_id: str, *, reverification: bool = True) -> Job:
    """The queued authentication ``job_id`` (a re-verification, unless told otherwise), verified."""
    job = stored(runtime, job_id)
    assert job.state == JobState.QUEUED and job.job_type == 2 and job.use_enrolled_image == reverification
    assert verify_job(runtime, job.smile_job_id) == "done"
    done = stored(runtime, job_id)
    assert done.state in (JobState.COMPLETE, JobState.FAILED) and done.result is not None
    return done


def delivery(runtime: Runtime, job: Job) -> CallbackDelivery:
    with transaction(runtime.sessions) as session:
        (found,) = session.scalars(
            select(CallbackDelivery).where(CallbackDelivery.smile_job_id == job.smile_job_id)
        ).all()
        session.expunge(found)
    return found


def decision(job: Job) -> dict[str, Any]:
    assert job.result is not None
    found: dict[str, Any] = job.result["_decision"]
    return found


def report_fraud(client: TestClient, auth: dict[str, str], user_id: str) -> None:
    flag = {"is_fraud": "true", "reason": "ACCOUNT_TAKEOVER", "reported_by": "risk@partner.example"}
    answer = client.post(
        f"/v3/users/{user_id}/report_fraud", headers=auth, files={k: (None, v) for k, v in flag.items()}
    )
    assert answer.status_code == 202, answer.text


def test_production_re_verification_is_decided_on_the_enrolled_selfie(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    auth = production(client, runtime, partner)
    enrolled_by = enrol(runtime, partner, "cust-1", PRODUCTION)
    body = reverify(client, auth, "cust-1")
    queued = stored(runtime, body["job_id"])
    assert queued.api_version == "v3" and queued.environment == PRODUCTION and queued.user_id == "cust-1"
    zipped = read_job_payload(runtime.blobs.get(queued.inputs["payload"]))
    assert zipped.images.selfie is None and not zipped.images.liveness  # nothing was uploaded

    job = processed(runtime, body["job_id"])
    made = decision(job)
    # The engine's passive checks and the match with the enrolled embedding, no replay check.
    assert made["reasons"][0] == ENROLLED_IMAGE_REASON and "face.identical_images" not in made["reasons"]
    assert made["evidence"]["enrolled_image"] == {
        "reason": ENROLLED_IMAGE_REASON,
        "enrolled_by_job": enrolled_by,
    }
    checks = {check["check"]: check for check in made["evidence"]["checks"]}
    assert set(checks) >= {"selfie.quality", "selfie.liveness", "selfie.match"}
    assert checks["selfie.match"]["signals"]["face_similarity"]["score"] == pytest.approx(1.0)
    assert job.result is not None
    actions = job.result["Actions"]
    assert actions["Liveness_Check"] == "Not Applicable"  # no frames: no active liveness
    assert actions["Selfie_Check"] != "Not Applicable"  # the passive check was made
    assert actions["Selfie_To_Registered_Selfie_Compare"] == "Completed"
    assert job.result["IsFinalResult"] == "true" and job.result["ResultCode"] == "0820"
    # The selfie judged is the enrolled one, kept as the job's own.
    assert runtime.blobs.get(dict(stored_images(job))["selfie"]) == selfie()

    sent = delivery(runtime, job)
    assert sent.wire == "v3" and sent.url == CALLBACK
    assert (sent.payload["product"], sent.payload["user_id"]) == ("smart_selfie_authentication", "cust-1")
    assert (sent.payload["status"], sent.payload["reason"]) == ("clear", None)
    assert ENROLLED_IMAGE_REASON in sent.payload["evidence"]["reasons"]


def test_a_sandbox_registration_re_verified_goes_through_the_sandbox_identities(
    client: TestClient, runtime: Runtime, auth: dict[str, str]
) -> None:
    """Registered through /v3/registration (Clearwater: the sandbox enrols the engine's face), then
    re-verified: each sandbox identity forces its documented outcome, the engine's decision on the
    enrolled selfie kept as evidence."""
    registered = accepted(
        post(
            client,
            "/v3/registration",
            auth,
            files=images(selfie_image=selfie(), liveness=frames()),
            user_id="cust-1",
        )
    )
    registration = stored(runtime, registered["job_id"])
    assert verify_job(runtime, registration.smile_job_id) == "done"

    clear = processed(runtime, reverify(client, auth, "cust-1")["job_id"])
    assert (outcome(clear).status, outcome(clear).reason) == ("clear", None)
    made = decision(clear)
    assert made["evidence"]["enrolled_image"]["enrolled_by_job"] == registration.smile_job_id
    assert ENROLLED_IMAGE_REASON in made["evidence"]["sandbox"]["engine"]["reasons"]
    assert made["evidence"]["sandbox"]["identity"] == "Clearwater"

    lockhart = {"given_names": "Ade", "last_name": "Lockhart", "email": "ade.lockhart@example.com"}
    locked = processed(runtime, reverify(client, auth, "cust-1", user_details=lockhart)["job_id"])
    assert (outcome(locked).status, outcome(locked).reason) == ("block", "account_locked")
    twinley = {"given_names": "Obinna", "last_name": "Twinley", "email": "obinna.twinley@example.com"}
    failed = processed(runtime, reverify(client, auth, "cust-1", user_details=twinley)["job_id"])
    assert (outcome(failed).status, outcome(failed).reason) == ("block", "face_verification_failed")


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (UserStatus.DISABLED, "2207", "enrolled.user_disabled"),
        (UserStatus.REENROLL_REQUIRED, "2211", "enrolled.reenrolment_required"),
    ],
)
def test_an_account_that_may_not_be_authenticated_is_answered_account_locked(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, status: UserStatus, code: str, reason: str
) -> None:
    auth = production(client, runtime, partner)
    enrol(runtime, partner, "cust-1", PRODUCTION)
    set_status(runtime, partner, "cust-1", PRODUCTION, status)
    job = processed(runtime, reverify(client, auth, "cust-1")["job_id"])
    assert job.result is not None and job.result["ResultCode"] == code
    assert decision(job)["reasons"] == [reason]
    assert "selfie" not in dict(stored_images(job))  # nothing was judged
    sent = delivery(runtime, job)
    assert (sent.payload["status"], sent.payload["reason"]) == ("block", "account_locked")
    # A capture sent for the same user is answered alike: taken in, the account's own row.
    answer = post(
        client, AUTH, auth, files=images(selfie_image=selfie(), liveness=frames()), user_id="cust-1"
    )
    assert answer.status_code == 202, answer.text
    captured = processed(runtime, answer.json()["job_id"], reverification=False)
    assert captured.result is not None and captured.result["ResultCode"] == code
    assert decision(captured)["reasons"] == [reason]
    sent = delivery(runtime, captured)
    assert (sent.payload["status"], sent.payload["reason"]) == ("block", "account_locked")


def test_a_user_reported_for_fraud_is_high_risk(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    auth = production(client, runtime, partner)
    enrol(runtime, partner, "cust-1", PRODUCTION)
    report_fraud(client, auth, "cust-1")
    job = processed(runtime, reverify(client, auth, "cust-1")["job_id"])
    assert (outcome(job).status, outcome(job).reason) == ("block", "high_risk")
    assert job.result is not None and job.result["ResultCode"] == "0871"
    assert ENROLLED_IMAGE_REASON in decision(job)["reasons"]


def test_an_enrolled_face_matching_a_reported_user_s_is_high_risk(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    """The enrolled selfie is the job's selfie, so the 1:N screen of flagged faces sees it."""
    auth = production(client, runtime, partner)
    enrol(runtime, partner, "fraudster", PRODUCTION)
    report_fraud(client, auth, "fraudster")
    enrol(runtime, partner, "cust-2", PRODUCTION)  # the same face under another user id
    job = processed(runtime, reverify(client, auth, "cust-2")["job_id"])
    assert (outcome(job).status, outcome(job).reason) == ("block", "high_risk")
    assert job.result is not None and job.result["ResultCode"] == "0881"


def test_what_a_re_verification_refuses(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    refused(
        post(client, AUTH, auth, user_id="stranger", use_enrolled_image="true"),
        400,
        "No enrolled user found for this partner.",
    )
    enrol(runtime, partner, "gone", SANDBOX)
    set_status(runtime, partner, "gone", SANDBOX, UserStatus.DELETED)
    refused(
        post(client, AUTH, auth, user_id="gone", use_enrolled_image="true"),
        400,
        "Enrolled user was deleted. Set allow_new_enroll to true to enroll the user again.",
    )
    enrol(runtime, partner, "cust-1", SANDBOX)
    refused(
        post(
            client, AUTH, auth, files=images(liveness=frames()), user_id="cust-1", use_enrolled_image="true"
        ),
        400,
        "Field 'liveness_images' needs selfie_image: send both, or use_enrolled_image alone to re-verify "
        "the enrolled image.",
    )
    refused(
        post(client, AUTH, auth, user_id="cust-1", use_enrolled_image="maybe"),
        400,
        "Field 'use_enrolled_image' is invalid.",
    )
    refused(
        post(client, AUTH, auth, user_id="cust-1", use_enrolled_image="false"),
        400,
        "Required field 'selfie_image' is missing or invalid.",
    )
    refused(
        post(client, AUTH, auth, use_enrolled_image="true"),
        400,
        "Required field 'user_id' is missing or invalid.",
    )
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(Job).limit(1)) is None


def test_a_capture_sent_with_the_flag_is_authenticated_as_a_capture(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    enrol(runtime, partner, "cust-1", SANDBOX)
    files = images(selfie_image=selfie(), liveness=frames())
    body = accepted(post(client, AUTH, auth, files=files, user_id="cust-1", use_enrolled_image="true"))
    job = stored(runtime, body["job_id"])
    assert not job.use_enrolled_image
    assert read_job_payload(runtime.blobs.get(job.inputs["payload"])).images.selfie is not None


def test_the_python_sdk_s_authenticate_with_use_enrolled_image(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    """usesmileid 12.1.0, unmodified: ``biometric.authenticate(use_enrolled_image=True)`` sends the
    scalar "true" and no image part."""
    enrol(runtime, partner, "cust-1", SANDBOX)
    smile = usesmileid.Client(
        partner_id=partner.partner_id,
        api_key=partner.sandbox_key,
        base_url="https://testserver",
        default_callback_url=CALLBACK,
        http_client=client,
    )
    answer = smile.biometric.authenticate(
        user_id="cust-1", consent=CONSENT, user_details=CLEARWATER, use_enrolled_image=True
    )
    assert answer.status == "accepted" and answer.user_id == "cust-1" and answer.job_id is not None
    job = processed(runtime, answer.job_id)
    assert (outcome(job).status, outcome(job).reason) == ("clear", None)
    assert decision(job)["evidence"]["enrolled_image"]["reason"] == ENROLLED_IMAGE_REASON


def test_a_v1_job_s_flag_keeps_its_meaning() -> None:
    """Only a V3 authentication without a selfie re-verifies the enrolled image."""
    empty = read_job_payload(
        pack_job_zip(partner_params={"user_id": "u", "job_id": "j", "job_type": 2}, images=[])
    )
    v1 = Job(job_type=2, api_version=ApiVersion.V1, use_enrolled_image=True)
    v3 = Job(job_type=2, api_version=ApiVersion.V3, use_enrolled_image=True)
    assert not reuses_enrolled_image(v1, empty)
    assert reuses_enrolled_image(v3, empty)
    assert not reuses_enrolled_image(
        Job(job_type=2, api_version=ApiVersion.V3, use_enrolled_image=False), empty
    )
