"""Direct uploads: a presigned PUT straight into S3, then found and taken in by a worker."""

from __future__ import annotations

import io
import threading
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from smile_id_core.image_upload import generate_zip_file
from smile_id_core.Signature import Signature

from openkyc.app import create_app
from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import transaction
from openkyc.jobs import uploads
from openkyc.jobs.intake import IntakeError, IntakeLimits, read_job_payload
from openkyc.jobs.models import Job, JobState
from openkyc.runtime import Runtime
from openkyc.tasks.sweeper import Sweeper
from openkyc.testing.s3 import TEST_ENVIRONMENT, start_s3_server
from tests.jobs.intake.builders import build_zip, info_document, info_json_bytes
from tests.server import PartnerCreds, make_partner, make_runtime
from tests.tasks.test_sweeper import RecordingQueue

BUCKET = "openkyc-uploads-test"
OBAMA = "ageitgey+face_recognition/examples/obama.jpg"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    endpoint, stop = start_s3_server(buckets=[BUCKET])
    yield endpoint
    stop()


@pytest.fixture
def s3_runtime(tmp_path: Path, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    runtime = make_runtime(
        tmp_path, storage_url=f"s3://{BUCKET}/t-{uuid.uuid4().hex}", s3_endpoint_url=s3_endpoint
    )
    runtime.queue = RecordingQueue()
    return runtime


@pytest.fixture
def s3_partner(s3_runtime: Runtime) -> PartnerCreds:
    return make_partner(s3_runtime)


def prep(
    runtime: Runtime, partner: PartnerCreds, job_id: str, job_type: int = 4
) -> tuple[dict[str, Any], dict[str, Any]]:
    params = {"user_id": f"user-{job_id}", "job_id": job_id, "job_type": job_type}
    signature = Signature(partner.partner_id, partner.sandbox_key).generate_signature()
    with TestClient(create_app(runtime)) as client:
        answer = client.post(
            "/v1/upload",
            json={
                "smile_client_id": partner.partner_id,
                "partner_params": params,
                "callback_url": "http://127.0.0.1:9/cb",
                **signature,
            },
        ).json()
    return params, answer


def selfie_zip(partner: PartnerCreds, params: dict[str, Any], upload_url: str, selfie: Path) -> bytes:
    signature = Signature(partner.partner_id, partner.sandbox_key).generate_signature()
    return bytes(
        generate_zip_file(
            partner_id=partner.partner_id,
            callback_url="http://127.0.0.1:9/cb",
            upload_url=upload_url,
            partner_params=params,
            image_params=[{"image_type_id": 0, "file_name": str(selfie)}],
            id_info_params={},
            signature_params=signature,
        )
    )


def job(runtime: Runtime, smile_job_id: str) -> Job:
    with transaction(runtime.sessions) as session:
        found = session.get(Job, smile_job_id)
        assert found is not None
        session.expunge(found)
        return found


def test_a_presigned_upload_is_taken_in_encrypted_and_queued(
    s3_runtime: Runtime, s3_partner: PartnerCreds, faces_dir: Path
) -> None:
    params, answer = prep(s3_runtime, s3_partner, "direct")
    url = answer["upload_url"]
    assert "X-Amz-Signature=" in url and "/v1/uploads/" not in url
    smile_job_id = answer["smile_job_id"]
    assert uploads.collect_direct_upload(s3_runtime, smile_job_id) is False  # nothing there yet
    payload = selfie_zip(s3_partner, params, url, faces_dir / OBAMA)
    assert httpx.put(url, content=payload, headers={"Content-Type": "application/zip"}).status_code == 200
    assert uploads.collect_direct_upload(s3_runtime, smile_job_id) is True
    stored = job(s3_runtime, smile_job_id)
    assert stored.state == JobState.QUEUED
    assert s3_runtime.blobs.get(stored.inputs["payload"]) == payload  # kept, encrypted by us
    assert s3_runtime.blobs.uploaded_size(uploads.direct_upload_key(smile_job_id)) is None  # raw copy gone
    assert s3_runtime.queue.jobs == [smile_job_id]  # type: ignore[attr-defined]
    assert uploads.collect_direct_upload(s3_runtime, smile_job_id) is False


def test_two_collectors_take_an_upload_in_once(
    s3_runtime: Runtime, s3_partner: PartnerCreds, faces_dir: Path
) -> None:
    params, answer = prep(s3_runtime, s3_partner, "raced")
    payload = selfie_zip(s3_partner, params, answer["upload_url"], faces_dir / OBAMA)
    httpx.put(answer["upload_url"], content=payload).raise_for_status()
    taken: list[bool] = []
    threads = [
        threading.Thread(
            target=lambda: taken.append(uploads.collect_direct_upload(s3_runtime, answer["smile_job_id"]))
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == [False, False, True]
    assert s3_runtime.queue.jobs == [answer["smile_job_id"]]  # type: ignore[attr-defined]


def test_a_refused_direct_upload_becomes_the_jobs_failed_result(
    s3_runtime: Runtime, s3_partner: PartnerCreds
) -> None:
    _, answer = prep(s3_runtime, s3_partner, "bad-zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("info.json", "{not json")
    httpx.put(answer["upload_url"], content=buffer.getvalue()).raise_for_status()
    assert uploads.collect_direct_upload(s3_runtime, answer["smile_job_id"]) is True
    stored = job(s3_runtime, answer["smile_job_id"])
    assert stored.state == JobState.FAILED
    assert stored.result is not None and stored.result["ResultCode"] == "2203"  # what the PUT would answer
    with transaction(s3_runtime.sessions) as session:
        (delivery,) = session.query(CallbackDelivery).filter_by(smile_job_id=answer["smile_job_id"]).all()
        assert delivery.payload["ResultCode"] == "2203"


def test_an_oversized_direct_upload_is_refused_without_reading_it(
    s3_runtime: Runtime, s3_partner: PartnerCreds
) -> None:
    s3_runtime.settings.max_zip_body = 1000
    _, answer = prep(s3_runtime, s3_partner, "too-big")
    httpx.put(answer["upload_url"], content=b"PK" + b"\0" * 5000).raise_for_status()
    assert uploads.collect_direct_upload(s3_runtime, answer["smile_job_id"]) is True
    stored = job(s3_runtime, answer["smile_job_id"])
    assert stored.state == JobState.FAILED and stored.result is not None
    assert stored.result["ResultCode"] == "2413"


def test_the_sweep_finds_uploads_and_job_status_asks_for_a_look(
    s3_runtime: Runtime, s3_partner: PartnerCreds, faces_dir: Path
) -> None:
    params, answer = prep(s3_runtime, s3_partner, "swept")
    signature = Signature(s3_partner.partner_id, s3_partner.sandbox_key).generate_signature()
    with TestClient(create_app(s3_runtime)) as client:
        status = client.post(
            "/v1/job_status",
            json={
                "partner_id": s3_partner.partner_id,
                "user_id": params["user_id"],
                "job_id": "swept",
                **signature,
            },
        )
    assert status.status_code == 200 and status.json()["job_complete"] is False
    assert s3_runtime.queue.uploads == [answer["smile_job_id"]]  # type: ignore[attr-defined]
    httpx.put(
        answer["upload_url"], content=selfie_zip(s3_partner, params, answer["upload_url"], faces_dir / OBAMA)
    ).raise_for_status()
    report = Sweeper(s3_runtime, redispatch_jobs=False, hand_over_callbacks=False).sweep()
    assert report.collected_uploads == [answer["smile_job_id"]]
    assert job(s3_runtime, answer["smile_job_id"]).state == JobState.QUEUED


def _job_zip(images: dict[str, bytes]) -> bytes:
    entries = [{"image_type_id": 0, "file_name": name} for name in images]
    info = info_json_bytes(info_document(entries))
    return build_zip([("info.json", info), *images.items()])


def _jpeg(width: int, height: int, fmt: str = "JPEG") -> bytes:
    rng = np.random.default_rng(7)
    picture = Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8), "RGB")
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, quality=85)
    return buffer.getvalue()


def test_the_upload_checks_decode_images_small_with_the_same_answers() -> None:
    large = _jpeg(4000, 3000)
    parsed = uploads.refuse_request_errors(_job_zip({"selfie.jpg": large}))
    assert parsed is not None and parsed.images.selfie is not None
    decoded = parsed.images.selfie.decoded
    assert max(decoded.bgr.shape[:2]) <= 256  # never the 36 MB bitmap
    assert (decoded.width, decoded.height) == (4000, 3000)  # limits hold on the image as sent
    # Unusable images are the job's failed result (0001), exactly as a full decode finds them:
    # truncated, a WEBP renamed .jpg, and more pixels than one image may have.
    for data in (large[: len(large) // 2], _jpeg(640, 480, "WEBP"), _jpeg(7000, 6000)):
        with pytest.raises(IntakeError) as full:
            read_job_payload(_job_zip({"selfie.jpg": data}), IntakeLimits())
        assert full.value.code == "0001"
        assert uploads.refuse_request_errors(_job_zip({"selfie.jpg": data})) is None
