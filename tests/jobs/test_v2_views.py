"""The v2 SmartSelfie endpoints, end to end through the app with real photos (compatibility §9.2)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from smile_id_core.Signature import Signature
from sqlalchemy import select

from openkyc.app import create_app
from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import transaction
from openkyc.jobs import service, v2_views
from openkyc.jobs.flows import process_job
from openkyc.jobs.models import Job, JobState
from openkyc.partner_input import parse_partner_params
from openkyc.runtime import Runtime
from openkyc.users.service import find_user
from tests.server import PartnerCreds, make_partner, make_runtime

ENROLL, AUTHENTICATE, COMPARE = (
    "/v2/smart-selfie-enroll",
    "/v2/smart-selfie-authentication",
    "/v2/smart-selfie-compare",
)
V2_KEYS = [
    "code",
    "created_at",
    "job_id",
    "job_type",
    "message",
    "partner_id",
    "partner_params",
    "status",
    "updated_at",
    "user_id",
]


@pytest.fixture(scope="module")
def photos(faces_dir: Path) -> dict[str, bytes]:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    # "obama" and "obama2" are two photos of one man the default operating point accepts.
    paths = {"obama": "knn_examples/test/obama1.jpg", "obama2": "obama2.jpg", "biden": "biden.jpg"}
    return {name: (examples / path).read_bytes() for name, path in paths.items()}


def auth_headers(partner: PartnerCreds, *, key: str | None = None, lower: bool = False) -> dict[str, str]:
    signed = Signature(partner.partner_id, key or partner.sandbox_key).generate_signature()
    headers = {
        "SmileID-Partner-ID": partner.partner_id,
        "SmileID-Timestamp": signed["timestamp"],
        "SmileID-Request-Signature": signed["signature"],
    }
    return {name.lower(): value for name, value in headers.items()} if lower else headers


def submit(
    client: TestClient,
    path: str,
    partner: PartnerCreds,
    *,
    selfie: bytes | None,
    liveness: Sequence[bytes] = (),
    comparison: bytes | None = None,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Response:
    """A multipart request as the SDKs send it: one part per image, text parts for the rest."""
    files = []
    if selfie is not None:
        files.append(("selfie_image", ("selfie.jpg", selfie, "image/jpeg")))
    files += [
        ("liveness_images", (f"liveness_{i}.jpg", frame, "image/jpeg")) for i, frame in enumerate(liveness)
    ]
    if comparison is not None:
        files.append(("comparison_image", ("comparison.jpg", comparison, "image/jpeg")))
    data = {
        name: json.dumps(value) if isinstance(value, dict) else str(value) for name, value in fields.items()
    }
    response: Response = client.post(path, data=data, files=files, headers=headers or auth_headers(partner))
    return response


def enrol(
    client: TestClient, partner: PartnerCreds, photos: dict[str, bytes], user_id: str = "user-1"
) -> None:
    response = submit(client, ENROLL, partner, selfie=photos["obama"], user_id=user_id)
    assert response.status_code == 200 and response.json()["status"] == "approved", response.text


def stored_job(runtime: Runtime, job_id: str) -> Job:
    with transaction(runtime.sessions) as session:
        job = session.scalars(select(Job).where(Job.job_id == job_id)).one()
        session.expunge(job)
    return job


def assert_error(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["success"] is False and body["error"]
    return body


def test_enroll_of_a_lone_selfie_is_approved_on_its_passive_check(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, photos: dict[str, bytes]
) -> None:
    response = submit(
        client,
        ENROLL,
        partner,
        selfie=photos["obama"],
        user_id="user-1",
        partner_params={"job_id": "enrol-1", "app_version": "1.2", "attempt": 2},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == V2_KEYS
    assert (body["code"], body["status"], body["job_type"]) == ("0840", "approved", "smart_selfie_enrollment")
    assert (body["job_id"], body["user_id"], body["partner_id"]) == ("enrol-1", "user-1", partner.partner_id)
    # Extra keys are echoed, as strings (Android decodes partner_params as Map<String, String>).
    assert body["partner_params"] == {
        "job_id": "enrol-1",
        "app_version": "1.2",
        "attempt": "2",
        "user_id": "user-1",
        "job_type": "4",
    }
    assert body["created_at"].endswith("Z") and body["updated_at"] >= body["created_at"]

    job = stored_job(runtime, "enrol-1")
    assert job.state == JobState.COMPLETE and job.job_type == 4
    assert job.result is not None and job.result["Actions"]["Selfie_Check"] == "Passed"
    assert job.result["PartnerParams"]["attempt"] == 2  # stored as sent; only the v2 answer stringifies
    assert runtime.blobs.get(job.inputs["images"]["selfie"]) == photos["obama"]
    with transaction(runtime.sessions) as session:
        user = find_user(
            db_session=session, partner_id=partner.partner_id, environment="sandbox", user_id="user-1"
        )
        assert user is not None and user.enrolled_by_job == job.smile_job_id


def test_enroll_generates_missing_user_and_job_ids(
    client: TestClient, partner: PartnerCreds, photos: dict[str, bytes]
) -> None:
    body = submit(client, ENROLL, partner, selfie=photos["obama"]).json()
    assert body["user_id"].startswith("user-") and body["job_id"].startswith("job-")
    assert body["partner_params"]["user_id"] == body["user_id"]


def test_enrolling_an_enrolled_user_is_2209_unless_allow_new_enroll(
    client: TestClient, partner: PartnerCreds, photos: dict[str, bytes]
) -> None:
    enrol(client, partner, photos)
    again = submit(client, ENROLL, partner, selfie=photos["obama2"], user_id="user-1")
    assert_error(again, 400, "2209")
    allowed = submit(
        client, ENROLL, partner, selfie=photos["obama2"], user_id="user-1", allow_new_enroll="true"
    )
    assert allowed.status_code == 200 and allowed.json()["status"] == "approved", allowed.text


def test_authentication_approves_the_same_person_and_rejects_another(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, photos: dict[str, bytes]
) -> None:
    enrol(client, partner, photos)
    same = submit(client, AUTHENTICATE, partner, selfie=photos["obama2"], user_id="user-1")
    assert same.status_code == 200, same.text
    assert (same.json()["code"], same.json()["status"]) == ("0820", "approved")
    assert same.json()["job_type"] == "smart_selfie_authentication"

    other = submit(
        client,
        AUTHENTICATE,
        partner,
        selfie=photos["biden"],
        user_id="user-1",
        partner_params={"job_id": "a-2"},
    )
    assert other.status_code == 200, other.text
    assert (other.json()["code"], other.json()["status"]) == ("0821", "rejected")
    assert stored_job(runtime, "a-2").state == JobState.FAILED


def test_authentication_of_an_unknown_user_is_2210(
    client: TestClient, partner: PartnerCreds, photos: dict[str, bytes]
) -> None:
    assert_error(submit(client, AUTHENTICATE, partner, selfie=photos["obama"], user_id="nobody"), 400, "2210")


def test_authentication_and_compare_need_a_user_id(
    client: TestClient, partner: PartnerCreds, photos: dict[str, bytes]
) -> None:
    body = assert_error(submit(client, AUTHENTICATE, partner, selfie=photos["obama"]), 400, "2413")
    assert body["error"] == "user_id is required."


def test_compare_matches_the_same_person_and_enrols_them(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, photos: dict[str, bytes]
) -> None:
    response = submit(
        client,
        COMPARE,
        partner,
        selfie=photos["obama2"],
        comparison=photos["obama"],
        comparison_image_type="ID_PHOTO",
        user_id="user-c",
        partner_params={"job_id": "cmp-1", "user_id": "user-c", "job_type": "3"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["code"], body["message"], body["status"]) == ("0840", "Face Match", "approved")
    assert body["job_type"] == "smart_selfie_compare" and body["partner_params"]["job_type"] == "3"
    job = stored_job(runtime, "cmp-1")
    assert job.job_type == 3 and job.inputs["comparison_image_type"] == "ID_PHOTO"
    assert runtime.blobs.get(job.inputs["images"]["comparison"]) == photos["obama"]
    # Compare enrols: the user can now authenticate, and enrolling them again is 2209.
    assert submit(client, AUTHENTICATE, partner, selfie=photos["obama"], user_id="user-c").json()[
        "status"
    ] == ("approved")
    assert_error(submit(client, ENROLL, partner, selfie=photos["obama"], user_id="user-c"), 400, "2209")


def test_compare_rejects_another_person_without_enrolling(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, photos: dict[str, bytes]
) -> None:
    response = submit(
        client,
        COMPARE,
        partner,
        selfie=photos["obama2"],
        comparison=photos["biden"],
        comparison_image_type="portrait",
        user_id="user-d",
    )
    assert response.status_code == 200, response.text
    assert (response.json()["code"], response.json()["status"]) == ("0841", "rejected")
    with transaction(runtime.sessions) as session:
        assert (
            find_user(
                db_session=session, partner_id=partner.partner_id, environment="sandbox", user_id="user-d"
            )
            is None
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"comparison_image_type": "PASSPORT"}, "comparison_image_type must be one of"),
        ({}, "comparison_image_type is required."),
    ],
)
def test_compare_needs_a_known_comparison_image_type(
    client: TestClient, partner: PartnerCreds, photos: dict[str, bytes], fields: dict[str, Any], message: str
) -> None:
    response = submit(
        client, COMPARE, partner, selfie=photos["obama2"], comparison=photos["obama"], user_id="u", **fields
    )
    assert assert_error(response, 400, "2413")["error"].startswith(message)


def test_compare_needs_a_comparison_image(
    client: TestClient, partner: PartnerCreds, photos: dict[str, bytes]
) -> None:
    response = submit(
        client, COMPARE, partner, selfie=photos["obama2"], comparison_image_type="ID_PHOTO", user_id="u"
    )
    assert assert_error(response, 400, "2413")["error"] == "comparison_image is required."


@pytest.mark.parametrize("multipart", [True, False])
def test_missing_selfie_is_the_documented_2413(
    client: TestClient, partner: PartnerCreds, multipart: bool
) -> None:
    # Without any file httpx sends a urlencoded form; a text-only part forces multipart.
    files = {"metadata": (None, "[]")} if multipart else None
    response = client.post(ENROLL, data={"user_id": "user-1"}, files=files, headers=auth_headers(partner))
    assert response.status_code == 400
    assert response.json() == {"code": "2413", "error": "selfie_image is required.", "success": False}


def test_wrong_number_of_liveness_images_is_2413(
    client: TestClient, partner: PartnerCreds, photos: dict[str, bytes]
) -> None:
    response = submit(client, ENROLL, partner, selfie=photos["obama"], liveness=[photos["obama"]] * 2)
    assert "liveness_images must be 4 to 8" in assert_error(response, 400, "2413")["error"]


def test_corrupt_image_is_2413_and_creates_no_job(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, photos: dict[str, bytes]
) -> None:
    corrupt = photos["obama"][:200]  # a JPEG header and nothing after it
    response = submit(client, ENROLL, partner, selfie=corrupt, partner_params={"job_id": "bad-image"})
    assert "selfie_image is not a usable image" in assert_error(response, 400, "2413")["error"]
    not_an_image = submit(
        client, ENROLL, partner, selfie=photos["obama"], liveness=[b"GIF89a" + b"\0" * 64] * 4
    )
    assert "liveness_images" in assert_error(not_an_image, 400, "2413")["error"]
    with transaction(runtime.sessions) as session:
        assert session.scalars(select(Job)).all() == []


def test_bad_signature_is_2205(client: TestClient, partner: PartnerCreds, photos: dict[str, bytes]) -> None:
    headers = auth_headers(partner, key="not-the-key")
    assert_error(submit(client, ENROLL, partner, selfie=photos["obama"], headers=headers), 400, "2205")


def test_lower_case_header_names_are_accepted(
    client: TestClient, partner: PartnerCreds, photos: dict[str, bytes]
) -> None:
    response = submit(
        client, ENROLL, partner, selfie=photos["obama"], headers=auth_headers(partner, lower=True)
    )
    assert response.status_code == 200, response.text


def test_oversized_body_is_a_json_413(tmp_path: Path, photos: dict[str, bytes]) -> None:
    runtime = make_runtime(tmp_path, max_multipart_body=20_000)
    partner = make_partner(runtime)
    with TestClient(create_app(runtime)) as client:
        response = submit(client, ENROLL, partner, selfie=photos["obama"])
    assert_error(response, 413, "2413")


def test_oversized_chunked_body_is_refused_as_it_streams(tmp_path: Path, photos: dict[str, bytes]) -> None:
    runtime = make_runtime(tmp_path, max_multipart_body=20_000)
    partner = make_partner(runtime)
    boundary = "v2-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="selfie_image"; filename="s.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + photos["obama"]
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {**auth_headers(partner), "Content-Type": f"multipart/form-data; boundary={boundary}"}
    chunks = (body[start : start + 4096] for start in range(0, len(body), 4096))  # no Content-Length
    with TestClient(create_app(runtime)) as client:
        response = client.post(ENROLL, content=chunks, headers=headers)
    assert_error(response, 413, "2413")


def test_duplicate_job_id_is_2215(
    client: TestClient, partner: PartnerCreds, photos: dict[str, bytes]
) -> None:
    params = {"job_id": "dup"}
    assert submit(client, ENROLL, partner, selfie=photos["obama"], partner_params=params).status_code == 200
    again = submit(
        client, ENROLL, partner, selfie=photos["obama"], partner_params=params, allow_new_enroll="true"
    )
    assert_error(again, 400, "2215")


@pytest.mark.parametrize(
    ("partner_params", "code"),
    [("{not json", "2203"), ("[1, 2]", "2204")],
)
def test_malformed_partner_params_get_their_codes(
    client: TestClient, partner: PartnerCreds, photos: dict[str, bytes], partner_params: str, code: str
) -> None:
    assert_error(
        submit(client, ENROLL, partner, selfie=photos["obama"], partner_params=partner_params), 400, code
    )


def test_a_json_body_is_refused_with_2413(client: TestClient, partner: PartnerCreds) -> None:
    response = client.post(ENROLL, json={"selfie_image": "..."}, headers=auth_headers(partner))
    assert_error(response, 400, "2413")


def test_sandbox_result_forces_the_outcome(
    client: TestClient, partner: PartnerCreds, photos: dict[str, bytes]
) -> None:
    enrol(client, partner, photos)
    forced = submit(
        client, AUTHENTICATE, partner, selfie=photos["biden"], user_id="user-1", sandbox_result="0"
    )
    assert forced.status_code == 200 and forced.json()["status"] == "approved", forced.text


def test_callback_is_scheduled_in_the_v1_result_format_and_job_status_answers(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, photos: dict[str, bytes]
) -> None:
    response = submit(
        client,
        ENROLL,
        partner,
        selfie=photos["obama"],
        user_id="user-cb",
        callback_url="https://partner.example/smile",
        partner_params={"job_id": "cb-1", "ref": "abc"},
    )
    assert response.status_code == 200, response.text
    with transaction(runtime.sessions) as session:
        (delivery,) = session.scalars(select(CallbackDelivery)).all()
        assert delivery.url == "https://partner.example/smile"
        payload = delivery.payload
    assert payload["ResultCode"] == response.json()["code"] and payload["IsFinalResult"] == "true"
    assert payload["PartnerParams"]["ref"] == "abc" and not any(key.startswith("_") for key in payload)

    status = client.post(
        "/v1/job_status", json=partner.signed(user_id="user-cb", job_id="cb-1", history=True)
    )
    assert status.status_code == 200
    assert status.json()["job_complete"] is True and status.json()["job_success"] is True
    assert status.json()["result"]["SmileJobID"] == payload["SmileJobID"]


def _interrupted_sync_job(runtime: Runtime, job_type: int, job_id: str) -> Job:
    """A synchronous job left in processing by a restart, after the worker pool has requeued and
    run it."""
    partner = make_partner(runtime)
    params = parse_partner_params({"user_id": "u", "job_id": job_id, "job_type": job_type})
    with transaction(runtime.sessions) as session:
        job = service.create_sync_job(
            db_session=session,
            partner_id=partner.partner_id,
            environment="sandbox",
            api_key_id="k",
            params=params,
            callback_url=None,
        )
        smile_job_id = job.smile_job_id
    process_job(runtime, smile_job_id)  # what the worker pool does with a requeued job
    return stored_job(runtime, job_id)


def test_a_v2_job_interrupted_by_a_restart_gets_the_system_error_result(runtime: Runtime) -> None:
    job = _interrupted_sync_job(runtime, 4, "cut-short")
    assert job.state == JobState.FAILED
    assert job.result is not None and (job.result["ResultCode"], job.result["ResultText"]) == (
        "0001",
        "System Error",
    )


@pytest.mark.parametrize("job_type", [5, 7])
def test_a_lookup_job_interrupted_by_a_restart_is_closed_as_failed(runtime: Runtime, job_type: int) -> None:
    """Enhanced KYC and business look-ups run within their request: one cut short by a restart
    must not loop in the worker pool (no catalogue product decides these job types)."""
    job = _interrupted_sync_job(runtime, job_type, f"lookup-{job_type}")
    assert job.state == JobState.FAILED
    assert job.result is not None and (job.result["ResultCode"], job.result["ResultText"]) == (
        "2201",
        "System Error",
    )


def test_concurrent_v2_requests_verify_at_most_sync_verification_workers_at_once(
    tmp_path: Path, photos: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each verification takes a core and hundreds of MB: six requests at once run two at a time
    (the setting), on threads other than the event loop's, and every one is answered."""
    runtime = make_runtime(tmp_path, sync_verification_workers=2)
    partner = make_partner(runtime)
    running, most = 0, 0
    lock = threading.Lock()
    real_run = v2_views._run

    def counted_run(*args: Any) -> dict[str, Any]:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            time.sleep(0.2)
            return real_run(*args)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(v2_views, "_run", counted_run)
    with TestClient(create_app(runtime), raise_server_exceptions=False) as client:

        def one(index: int) -> int:
            return submit(
                client, ENROLL, partner, selfie=photos["obama"], user_id=f"user-{index}"
            ).status_code

        with ThreadPoolExecutor(6) as senders:
            codes = list(senders.map(one, range(6)))
    assert codes == [200] * 6
    assert most == 2
