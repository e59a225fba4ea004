"""POST /v3/biometric_kyc, /v3/registration, /v3/authentication and /v3/compare
(openkyc.v3.selfie): queued V3 jobs of the v1 job types on the API's own pipeline, and the
refusals, each with the spec's status and text."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import transaction
from openkyc.jobs.models import Job, JobState
from openkyc.jobs.status import stored_images
from openkyc.products.v3_sandbox import SANDBOX_RESULT_KEY
from openkyc.runtime import Runtime
from openkyc.tasks.work import verify_job
from openkyc.typeid import is_typeid
from openkyc.users import service as users
from openkyc.v3.forms import MAX_FILE_BYTES
from tests.server import PartnerCreds
from tests.v3.conftest import token_for
from tests.v3.entry_forms import (
    CALLBACK,
    CONSENT,
    accepted,
    frames,
    images,
    jpeg,
    passport,
    png,
    post,
    refused,
    selfie,
    stored,
)

pytestmark = pytest.mark.usefixtures("conforming")

ID: dict[str, Any] = {"country": "NG", "id_type": "NIN", "id_number": "00000000000"}


def no_jobs(runtime: Runtime) -> bool:
    with transaction(runtime.sessions) as session:
        return session.scalar(select(Job).limit(1)) is None


def enrol(runtime: Runtime, partner: PartnerCreds, user_id: str) -> None:
    """``user_id`` enrolled (as a registration would leave it), with a face on file."""
    key = f"users/{partner.partner_id}/0000000000/selfie"
    runtime.blobs.put(key, selfie())
    with transaction(runtime.sessions) as session:
        users.enrol(
            db_session=session,
            box=runtime.box,
            partner_id=partner.partner_id,
            environment="sandbox",
            user_id=user_id,
            embedding=np.full(512, 0.1),
            selfie_blob=key,
            smile_job_id="0000000000",
        )


@pytest.mark.parametrize(
    ("path", "job_type", "product", "extra"),
    [
        ("/v3/biometric_kyc", 1, "biometric_kyc", {**ID, "sandbox_result": "1210"}),
        (
            "/v3/registration",
            4,
            "smart_selfie_registration",
            {"allow_new_enroll": "true", "sandbox_result": "840.0"},
        ),
    ],
)
def test_accepted_as_a_queued_v3_job(
    client: TestClient,
    runtime: Runtime,
    auth: dict[str, str],
    path: str,
    job_type: int,
    product: str,
    extra: dict[str, Any],
) -> None:
    files = images(selfie_image=selfie(), liveness=frames(6))
    body = accepted(post(client, path, auth, files=files, **extra, metadata=[{"name": "sdk", "value": "py"}]))
    assert is_typeid(body["job_id"], "job") and is_typeid(body["user_id"], "user")
    job = stored(runtime, body["job_id"])
    assert job.state == JobState.QUEUED and job.api_version == "v3" and job.job_type == job_type
    assert job.user_id == body["user_id"] and job.callback_url == CALLBACK
    request = job.v3_request or {}
    assert request["product"] == product and request["metadata"] == [{"name": "sdk", "value": "py"}]
    assert request[SANDBOX_RESULT_KEY] == extra["sandbox_result"]
    assert request["user_details"]["email"] == "amina.clearwater@example.com"
    with runtime.engine.connect() as connection:
        at_rest = connection.execute(
            text("SELECT v3_request FROM jobs WHERE job_id = :job"), {"job": body["job_id"]}
        ).scalar_one()
    assert "clearwater" not in at_rest.lower()  # sealed
    assert runtime.blobs.exists(job.inputs["payload"])  # the zip, stored as an upload's


def test_biometric_kyc_counts_its_look_up_at_entry(
    client: TestClient, runtime: Runtime, auth: dict[str, str]
) -> None:
    body = accepted(
        post(client, "/v3/biometric_kyc", auth, files=images(selfie_image=selfie(), liveness=frames()), **ID)
    )
    assert stored(runtime, body["job_id"]).inputs["lookup_counted"] is True


@pytest.mark.parametrize(
    ("files", "fields", "status", "message"),
    [
        ({"liveness": frames(6)}, {}, 400, "Required field 'selfie_image' is missing or invalid."),
        ({"selfie_image": png(), "liveness": frames(6)}, {}, 400, "Selfie image must be JPEG."),
        ({"selfie_image": selfie()}, {}, 400, "Required field 'liveness_images' is missing or invalid."),
        (
            {"selfie_image": selfie(), "liveness": frames(5)},
            {},
            400,
            "liveness_images must contain at least 6 images.",
        ),
        (
            {"selfie_image": selfie(), "liveness": frames(9)},
            {},
            400,
            "liveness_images must contain at most 8 images.",
        ),
        ({"selfie_image": selfie(), "liveness": [png()] * 6}, {}, 400, "Liveness images must be JPEG."),
        (
            {"selfie_image": b"\xff\xd8\xff" + b"not a picture", "liveness": frames(6)},
            {},
            400,
            "Required field 'selfie_image' is missing or invalid.",
        ),
        (  # intake decodes the images once: the one that fails names its part, the 4th frame here
            {"selfie_image": selfie(), "liveness": [*frames(3), b"\xff\xd8\xff" + b"torn", *frames(3)]},
            {},
            400,
            "Required field 'liveness_images' is missing or invalid.",
        ),
        (
            {"selfie_image": selfie(), "liveness": frames(6)},
            {"country": None},
            400,
            "Required field 'country' is missing or invalid.",
        ),
        (
            {"selfie_image": selfie(), "liveness": frames(6)},
            {"id_type": "NOPE"},
            403,
            "ID type not enabled for this partner.",
        ),
        (
            {"selfie_image": selfie(), "liveness": frames(6)},
            {"sandbox_result": "approve"},
            400,
            "Field 'sandbox_result' is invalid.",
        ),
        (  # past 4300 digits int() raises: once a 500
            {"selfie_image": selfie(), "liveness": frames(6)},
            {"sandbox_result": "1" * 5000},
            400,
            "Field 'sandbox_result' is invalid.",
        ),
        (  # a stamp whose offset takes it before year 1 in UTC: once a 500 (OverflowError)
            {"selfie_image": selfie(), "liveness": frames(6)},
            {"consent": {**CONSENT, "granted_at": "0001-01-01T00:00:00+05:00"}},
            400,
            "Required field 'consent.granted_at' is missing or invalid.",
        ),
        (
            {"selfie_image": selfie(), "liveness": frames(6)},
            {"consent": {"granted": False}},
            400,
            "Required field 'consent.granted' is missing or invalid.",
        ),
    ],
)
def test_biometric_kyc_refusals(
    client: TestClient,
    runtime: Runtime,
    auth: dict[str, str],
    files: dict[str, Any],
    fields: dict[str, Any],
    status: int,
    message: str,
) -> None:
    refused(
        post(client, "/v3/biometric_kyc", auth, files=images(**files), **{**ID, **fields}), status, message
    )
    assert no_jobs(runtime)


def test_an_image_over_the_file_limit_is_413(client: TestClient, auth: dict[str, str]) -> None:
    big = selfie() + b"\0" * (MAX_FILE_BYTES + 1 - len(selfie()))
    answer = post(client, "/v3/registration", auth, files=images(selfie_image=big, liveness=frames()))
    refused(answer, 413, "selfie_image is too large.")


def test_the_partner_id_header_must_name_the_token_s_partner(
    client: TestClient, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    files = images(selfie_image=selfie(), liveness=frames())
    wrong = post(
        client, "/v3/biometric_kyc", auth, files=files, headers={"SmileID-Partner-ID": "999999"}, **ID
    )
    refused(wrong, 401, "Invalid authentication credentials.")
    right = post(
        client,
        "/v3/biometric_kyc",
        auth,
        files=files,
        headers={"SmileID-Partner-ID": partner.partner_id},
        **ID,
    )
    accepted(right)


def test_a_token_for_another_product_is_refused(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    token = {"SmileID-Token": token_for(client, partner, product="smart_selfie_registration")}
    files = images(selfie_image=selfie(), liveness=frames())
    refused(
        post(client, "/v3/biometric_kyc", token, files=files, **ID),
        403,
        "Product not enabled for this partner.",
    )
    accepted(post(client, "/v3/registration", token, files=files))


def test_registration_of_an_enrolled_user_needs_allow_new_enroll(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    enrol(runtime, partner, "cust-1")
    files = images(selfie_image=selfie(), liveness=frames())
    refused(
        post(client, "/v3/registration", auth, files=files, user_id="cust-1"),
        400,
        "User is already enrolled. Set allow_new_enroll to true to replace the enrollment.",
    )
    accepted(post(client, "/v3/registration", auth, files=files, user_id="cust-1", allow_new_enroll="true"))
    refused(
        post(client, "/v3/registration", auth, files=files, allow_new_enroll="maybe"),
        400,
        "Field 'allow_new_enroll' is invalid.",
    )


def test_authentication_needs_an_enrolled_user(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    files = images(selfie_image=selfie(), liveness=frames())
    refused(
        post(client, "/v3/authentication", auth, files=files),
        400,
        "Required field 'user_id' is missing or invalid.",
    )
    refused(
        post(client, "/v3/authentication", auth, files=files, user_id="stranger"),
        400,
        "No enrolled user found for this partner.",
    )
    enrol(runtime, partner, "cust-1")
    body = accepted(post(client, "/v3/authentication", auth, files=files, user_id="cust-1"))
    job = stored(runtime, body["job_id"])
    assert job.job_type == 2 and job.user_id == "cust-1"
    assert (job.v3_request or {})["product"] == "smart_selfie_authentication"
    # use_enrolled_image without images: tests/v3/test_entries_enrolled_image.py


@pytest.mark.parametrize(
    ("files", "fields", "message"),
    [
        (
            {"selfie_image": selfie()},
            {"comparison_image_type": "PORTRAIT"},
            "Required field 'comparison_image' is missing or invalid.",
        ),
        (
            {"comparison_image": selfie()},
            {"comparison_image_type": "PORTRAIT"},
            "Required field 'selfie_image' is missing or invalid.",
        ),
        (
            {"selfie_image": selfie(), "comparison_image": png()},
            {"comparison_image_type": "PORTRAIT"},
            "Comparison image must be JPEG.",
        ),
        (
            {"selfie_image": selfie(), "comparison_image": passport()},
            {"comparison_image_type": "SELFIE"},
            "Field 'comparison_image_type' must be either DOCUMENT, ID_PHOTO, or PORTRAIT.",
        ),
        (
            {"selfie_image": selfie(), "comparison_image": passport(), "liveness": frames(3)},
            {"comparison_image_type": "DOCUMENT"},
            "liveness_images must contain at least 6 images.",
        ),
    ],
)
def test_compare_refusals(
    client: TestClient,
    runtime: Runtime,
    auth: dict[str, str],
    files: dict[str, Any],
    fields: dict[str, Any],
    message: str,
) -> None:
    refused(post(client, "/v3/compare", auth, files=images(**files), **fields), 400, message)
    assert no_jobs(runtime)


def test_compare_runs_through_the_worker_to_its_callback_and_enrols_the_named_user(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    files = images(selfie_image=selfie(), comparison_image=jpeg((200, 180, 160), (320, 240)))
    body = accepted(
        post(client, "/v3/compare", auth, files=files, comparison_image_type="ID_PHOTO", user_id="cust-9")
    )
    job = stored(runtime, body["job_id"])
    assert job.job_type == 3 and job.state == JobState.QUEUED
    assert (job.v3_request or {})["comparison_image_type"] == "ID_PHOTO"

    assert verify_job(runtime, job.smile_job_id) == "done"  # the queued flow's compare
    done = stored(runtime, body["job_id"])
    assert done.state == JobState.COMPLETE and done.result is not None
    assert "_decision" in done.result  # decided by a product, on the engine's evidence
    assert dict(stored_images(done)).keys() >= {"selfie", "comparison"}
    with transaction(runtime.sessions) as session:
        (delivery,) = session.scalars(
            select(CallbackDelivery).where(CallbackDelivery.smile_job_id == job.smile_job_id)
        ).all()
        assert delivery.wire == "v3" and delivery.url == CALLBACK
        assert delivery.payload["product"] == "smart_selfie_compare"
        assert delivery.payload["job_id"] == body["job_id"] and delivery.payload["user_id"] == "cust-9"
        assert delivery.payload["status"] == "clear"  # the sandbox's Clearwater
        enrolled = users.find_user(
            db_session=session, partner_id=partner.partner_id, environment="sandbox", user_id="cust-9"
        )
        assert enrolled is not None and enrolled.enrolled_by_job == job.smile_job_id


def test_compare_of_an_enrolled_user_needs_allow_new_enroll(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    enrol(runtime, partner, "cust-1")
    files = images(selfie_image=selfie(), comparison_image=selfie())
    refused(
        post(client, "/v3/compare", auth, files=files, comparison_image_type="PORTRAIT", user_id="cust-1"),
        400,
        "User is already enrolled. Set allow_new_enroll to true to replace the enrollment.",
    )
    body = accepted(
        post(
            client,
            "/v3/compare",
            auth,
            files=files,
            comparison_image_type="PORTRAIT",
            user_id="cust-1",
            allow_new_enroll="true",
        )
    )
    assert (stored(runtime, body["job_id"]).v3_request or {})["enrols_on_match"] is True
    anonymous = accepted(post(client, "/v3/compare", auth, files=files, comparison_image_type="PORTRAIT"))
    assert (stored(runtime, anonymous["job_id"]).v3_request or {})["enrols_on_match"] is False


def test_a_result_code_the_product_has_not_forces_nothing(
    client: TestClient, runtime: Runtime, auth: dict[str, str]
) -> None:
    """The spec's own Biometric KYC example sends 1220, a SmartSelfie code: accepted, not kept."""
    files = images(selfie_image=selfie(), liveness=frames(6))
    body = accepted(post(client, "/v3/biometric_kyc", auth, files=files, **ID, sandbox_result="1220"))
    assert SANDBOX_RESULT_KEY not in (stored(runtime, body["job_id"]).v3_request or {})
