"""Direct uploads: a presigned PUT straight into S3, then found and taken in by a worker."""

from __future__ import annotations

import asyncio
import io
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from datetime import timedelta
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
from openkyc.db import transaction, utcnow
from openkyc.jobs import uploads
from openkyc.jobs.intake import IntakeError, IntakeLimits, read_job_payload
from openkyc.jobs.models import Job, JobState
from openkyc.runtime import Runtime
from openkyc.storage import S3BlobStore
from openkyc.storage.keys import direct_upload_key
from openkyc.tasks.sweeper import Sweeper
from testkit.s3 import TEST_ENVIRONMENT, start_s3_server
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
    assert s3_runtime.blobs.uploaded_size(direct_upload_key(smile_job_id)) is None  # raw copy gone
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


def test_a_second_put_after_the_upload_was_taken_in_is_deleted_by_the_sweep(
    s3_runtime: Runtime, s3_partner: PartnerCreds, faces_dir: Path
) -> None:
    params, answer = prep(s3_runtime, s3_partner, "put-twice")
    url, smile_job_id = answer["upload_url"], answer["smile_job_id"]
    payload = selfie_zip(s3_partner, params, url, faces_dir / OBAMA)
    httpx.put(url, content=payload).raise_for_status()
    sweeper = Sweeper(s3_runtime, redispatch_jobs=False, hand_over_callbacks=False)
    assert sweeper.sweep().collected_uploads == [smile_job_id]
    # The presigned URL is still valid: a second PUT lands in the bucket, raw, for a queued job.
    httpx.put(url, content=payload).raise_for_status()
    raw = direct_upload_key(smile_job_id)
    assert s3_runtime.blobs.uploaded_size(raw) == len(payload)
    report = sweeper.sweep()
    assert report.collected_uploads == [] and report.removed_uploads == [smile_job_id]
    assert s3_runtime.blobs.uploaded_size(raw) is None
    stored = job(s3_runtime, smile_job_id)
    assert stored.state == JobState.QUEUED  # the job itself is untouched
    assert s3_runtime.blobs.get(stored.inputs["payload"]) == payload
    assert s3_runtime.queue.jobs == [smile_job_id]  # type: ignore[attr-defined]


def _retry(runtime: Runtime, partner: PartnerCreds, job_id: str) -> Any:
    signature = Signature(partner.partner_id, partner.sandbox_key).generate_signature()
    with TestClient(create_app(runtime)) as client:
        return client.post(
            "/v1/upload",
            json={
                "smile_client_id": partner.partner_id,
                "partner_params": {"user_id": f"user-{job_id}", "job_id": job_id, "job_type": 4},
                "retry": True,
                **signature,
            },
        )


def test_a_retry_deletes_a_zip_left_under_the_jobs_direct_upload_key(
    s3_runtime: Runtime, s3_partner: PartnerCreds
) -> None:
    """A retry re-arms the same upload key: a zip PUT there before (through the old URL, not yet
    swept) must not be taken in as the retried job's upload."""
    answer = prep(s3_runtime, s3_partner, "retried")[1]
    smile_job_id = answer["smile_job_id"]
    raw = direct_upload_key(smile_job_id)
    with transaction(s3_runtime.sessions) as session:
        session.get(Job, smile_job_id).state = JobState.COMPLETE  # type: ignore[union-attr]
    httpx.put(answer["upload_url"], content=b"PK\x05\x06" + b"\0" * 18).raise_for_status()
    assert s3_runtime.blobs.uploaded_size(raw) is not None
    retried = _retry(s3_runtime, s3_partner, "retried")
    assert retried.status_code == 200 and retried.json()["smile_job_id"] == smile_job_id
    assert s3_runtime.blobs.uploaded_size(raw) is None
    assert job(s3_runtime, smile_job_id).state == JobState.AWAITING_UPLOAD
    assert not uploads.collect_direct_upload(s3_runtime, smile_job_id)


def test_a_retry_while_a_direct_upload_is_taken_in_is_2215(
    s3_runtime: Runtime, s3_partner: PartnerCreds
) -> None:
    """A worker taking the upload in owns the job: a retry then would reset it under the worker."""
    answer = prep(s3_runtime, s3_partner, "receiving-retry")[1]
    with transaction(s3_runtime.sessions) as session:
        session.get(Job, answer["smile_job_id"]).state = JobState.RECEIVING  # type: ignore[union-attr]
    retried = _retry(s3_runtime, s3_partner, "receiving-retry")
    assert retried.status_code == 400 and retried.json()["code"] == "2215"
    assert job(s3_runtime, answer["smile_job_id"]).state == JobState.RECEIVING


def test_only_uploads_no_job_waits_for_are_removed(s3_runtime: Runtime, s3_partner: PartnerCreds) -> None:
    awaited = prep(s3_runtime, s3_partner, "awaited")[1]
    receiving = prep(s3_runtime, s3_partner, "receiving")[1]
    expired = prep(s3_runtime, s3_partner, "expired")[1]
    finished = prep(s3_runtime, s3_partner, "finished")[1]
    for answer in (awaited, receiving, expired, finished):
        httpx.put(answer["upload_url"], content=b"PK\x05\x06" + b"\0" * 18).raise_for_status()
    with transaction(s3_runtime.sessions) as session:
        session.get(Job, receiving["smile_job_id"]).state = JobState.RECEIVING  # type: ignore[union-attr]
        session.get(Job, finished["smile_job_id"]).state = JobState.COMPLETE  # type: ignore[union-attr]
        # Past its URL's life and the grace: nothing will take this upload in any more.
        session.get(Job, expired["smile_job_id"]).upload_expires_at = (  # type: ignore[union-attr]
            utcnow() - uploads.UPLOAD_GRACE - timedelta(seconds=1)
        )
    # A raw object under a name of no job of ours (a job since deleted) goes too.
    store = s3_runtime.blobs
    assert isinstance(store, S3BlobStore)
    store.client.put_object(Bucket=BUCKET, Key=f"{store.prefix}/uploads/9999999999.zip", Body=b"PK")
    removed = uploads.remove_leftover_uploads(s3_runtime)
    assert sorted(removed) == sorted([expired["smile_job_id"], finished["smile_job_id"], "9999999999"])
    for kept in (awaited, receiving):
        assert s3_runtime.blobs.uploaded_size(direct_upload_key(kept["smile_job_id"])) is not None
    assert uploads.remove_leftover_uploads(s3_runtime) == []


def test_upload_checks_run_off_the_loop_at_most_upload_check_workers_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime(tmp_path, upload_check_workers=2)
    running, most = 0, 0
    lock = threading.Lock()
    loop_threads: set[int] = set()

    def slow_check(runtime: Runtime, job: Job, payload: bytes) -> dict[str, object]:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.1)
        with lock:
            running -= 1
        return {"payload": payload.decode(), "thread": threading.get_ident()}

    monkeypatch.setattr(uploads, "check_payload", slow_check)

    async def check_many() -> list[dict[str, object]]:
        loop_threads.add(threading.get_ident())
        return await asyncio.gather(
            *(uploads.check_payload_off_loop(runtime, Job(), f"zip-{index}".encode()) for index in range(6))
        )

    results = asyncio.run(check_many())
    assert [result["payload"] for result in results] == [f"zip-{index}" for index in range(6)]
    assert most == 2
    assert not loop_threads & {result["thread"] for result in results}
