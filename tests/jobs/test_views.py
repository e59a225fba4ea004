from __future__ import annotations

import asyncio
import io
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from smile_id_core.Signature import Signature

from openkyc.app import create_app
from openkyc.db import transaction
from openkyc.jobs.models import Job, JobState
from openkyc.partners import service as partners
from openkyc.runtime import Runtime
from tests.jobs.intake.builders import build_zip, info_document, info_json_bytes
from tests.live_server import served_in_thread
from tests.server import PartnerCreds, make_partner, make_runtime


def upload_body(
    partner: PartnerCreds, job_id: str = "job-1", job_type: int = 4, **extra: Any
) -> dict[str, Any]:
    signature = Signature(partner.partner_id, partner.sandbox_key).generate_signature()
    return {
        "file_name": "selfie.zip",
        "smile_client_id": partner.partner_id,
        "partner_params": {"user_id": "user-1", "job_id": job_id, "job_type": job_type, "app_name": "tests"},
        "model_parameters": {},
        "callback_url": "",
        "source_sdk": "Python",
        "source_sdk_version": "3.0.1",
        **signature,
        **extra,
    }


def test_prep_upload_answers_the_shape_every_sdk_needs(client: TestClient, partner: PartnerCreds) -> None:
    response = client.post("/v1/upload", json=upload_body(partner))
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "2202"
    assert body["camera_config"] is None
    assert body["smile_job_id"].isdigit() and len(body["smile_job_id"]) == 10
    assert body["upload_url"].startswith("http://testserver/v1/uploads/")
    assert body["ref_id"].startswith(f"{partner.partner_id}-{body['smile_job_id']}-")


def test_json_without_content_type_is_accepted(client: TestClient, partner: PartnerCreds) -> None:
    import json

    response = client.post("/v1/upload", content=json.dumps(upload_body(partner), indent=4).encode())
    assert response.status_code == 200, response.text


def test_bad_signature_is_2205_with_a_json_body(client: TestClient, partner: PartnerCreds) -> None:
    body = upload_body(partner)
    body["signature"] = Signature(partner.partner_id, "not-the-key").generate_signature(body["timestamp"])[
        "signature"
    ]
    response = client.post("/v1/upload", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == "2205"


def test_production_key_needs_production_enabled(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    body = upload_body(partner)
    body.update(Signature(partner.partner_id, partner.production_key).generate_signature())
    refused = client.post("/v1/upload", json=body)
    assert refused.status_code == 403 and refused.json()["code"] == "2220"
    with transaction(runtime.sessions) as session:
        partners.set_production_enabled(db_session=session, partner_id=partner.partner_id, enabled=True)
    runtime.key_cache.invalidate(partner.partner_id)  # otherwise it takes effect within the cache TTL
    assert client.post("/v1/upload", json=body).status_code == 200


def test_duplicate_job_id_is_2215_unless_retry(client: TestClient, partner: PartnerCreds) -> None:
    assert client.post("/v1/upload", json=upload_body(partner, job_id="dup")).status_code == 200
    again = client.post("/v1/upload", json=upload_body(partner, job_id="dup"))
    assert again.status_code == 400 and again.json()["code"] == "2215"
    assert client.post("/v1/upload", json=upload_body(partner, job_id="dup", retry=True)).status_code == 200


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"job_id": "j", "job_type": 4}, "2213"),
        ({"user_id": "u", "job_id": "j", "job_type": "four"}, "2204"),
        ({"user_id": "u", "job_id": "j", "job_type": 99}, "2212"),
    ],
)
def test_bad_partner_params_get_their_codes(
    client: TestClient, partner: PartnerCreds, params: dict[str, Any], code: str
) -> None:
    response = client.post("/v1/upload", json={**upload_body(partner), "partner_params": params})
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_authentication_of_an_unknown_user_is_2210(client: TestClient, partner: PartnerCreds) -> None:
    response = client.post("/v1/upload", json=upload_body(partner, job_type=2))
    assert response.status_code == 400 and response.json()["code"] == "2210"


def test_zip_put_queues_the_job_once(client: TestClient, runtime: Runtime, partner: PartnerCreds) -> None:
    prep = client.post("/v1/upload", json=upload_body(partner)).json()
    path = prep["upload_url"].removeprefix("http://testserver")
    assert (
        client.put(
            path, content=b"PK\x05\x06" + b"\x00" * 18, headers={"Content-Type": "application/zip"}
        ).status_code
        == 200
    )
    with transaction(runtime.sessions) as session:
        job = session.get(Job, prep["smile_job_id"])
        assert job is not None and job.state == JobState.QUEUED
    second = client.put(path, content=b"PK", headers={"Content-Type": "application/zip"})
    assert second.status_code == 403 and second.json()["code"] == "2205"  # the capability is spent


def test_empty_put_is_2314_and_unknown_upload_url_is_refused(
    client: TestClient, partner: PartnerCreds
) -> None:
    prep = client.post("/v1/upload", json=upload_body(partner)).json()
    path = prep["upload_url"].removeprefix("http://testserver")
    empty = client.put(path, content=b"")
    assert empty.status_code == 400 and empty.json()["code"] == "2314"
    assert client.put("/v1/uploads/guessed-token", content=b"PK").status_code == 403


def test_oversized_zip_is_a_json_413(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path, max_zip_body=1000)
    partner = make_partner(runtime)
    with TestClient(create_app(runtime)) as client:
        prep = client.post("/v1/upload", json=upload_body(partner)).json()
        response = client.put(prep["upload_url"].removeprefix("http://testserver"), content=b"x" * 5000)
    assert response.status_code == 413
    assert response.json()["code"] == "2413"


def test_job_status_is_signed_and_pending_until_processed(client: TestClient, partner: PartnerCreds) -> None:
    client.post("/v1/upload", json=upload_body(partner, job_id="st"))
    response = client.post(
        "/v1/job_status", json=partner.signed(user_id="user-1", job_id="st", history=True, image_links=False)
    )
    assert response.status_code == 200
    body = response.json()
    assert Signature(partner.partner_id, partner.sandbox_key).confirm_signature(
        body["timestamp"], body["signature"]
    )
    assert body["job_complete"] is False and body["code"] == "2302"
    assert body["history"] == []


def test_job_views_do_their_database_and_blob_work_off_the_event_loop(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy SQLite lock or a 30 MB blob write must hold up one request, not the event loop
    (health checks, every other partner): each transaction of prep-upload, the zip PUT and
    job_status is opened on a thread without a running loop (in the views and in the submission
    functions they run)."""
    from openkyc.jobs import submission, views

    opened_on_loop: list[bool] = []
    real_transaction = transaction  # what views imports from openkyc.db

    def watched(sessions: Any) -> Any:
        try:
            asyncio.get_running_loop()
            opened_on_loop.append(True)
        except RuntimeError:
            opened_on_loop.append(False)
        return real_transaction(sessions)

    monkeypatch.setattr(views, "transaction", watched)
    monkeypatch.setattr(submission, "transaction", watched)
    prep = client.post("/v1/upload", json=upload_body(partner, job_id="off-loop")).json()
    put = client.put(
        prep["upload_url"].removeprefix("http://testserver"),
        content=b"PK\x05\x06" + b"\x00" * 18,
        headers={"Content-Type": "application/zip"},
    )
    status = client.post("/v1/job_status", json=partner.signed(user_id="user-1", job_id="off-loop"))
    assert put.status_code == 200 and status.status_code == 200
    assert len(opened_on_loop) >= 4 and not any(opened_on_loop)


def test_job_status_of_unknown_job_is_2304(client: TestClient, partner: PartnerCreds) -> None:
    response = client.post("/v1/job_status", json=partner.signed(user_id="user-1", job_id="nope"))
    assert response.status_code == 404 and response.json()["code"] == "2304"


def test_unknown_route_and_wrong_method_answer_json(client: TestClient) -> None:
    assert client.get("/v1/nothing-here").json()["success"] is False
    assert client.get("/v1/upload").status_code == 405


def test_garbage_body_is_invalid_json_not_500(client: TestClient) -> None:
    response = client.post("/v1/upload", content=b"{not json")
    assert response.status_code == 400 and response.json()["code"] == "2203"
    assert client.post("/v1/upload", content=b"[1,2]").json()["code"] == "2204"


# --- Upload checks stay off the event loop ---------------------------------------------------


def _big_progressive_jpeg(side: int = 6300) -> bytes:
    """A 6300 x 6300 photo within every limit (40 MP, a few hundred KB): progressive, so even a
    reduced decode must read and keep every coefficient, the costliest JPEG a partner can send."""
    rng = np.random.default_rng(8)
    coarse = Image.fromarray(rng.integers(0, 255, (side // 24, side // 24, 3), dtype=np.uint8), "RGB")
    buffer = io.BytesIO()
    coarse.resize((side, side), Image.Resampling.BILINEAR).save(
        buffer, "JPEG", quality=5, progressive=True, subsampling=0
    )
    return buffer.getvalue()


def test_healthz_answers_within_a_second_while_big_image_zips_are_checked(
    runtime: Runtime, partner: PartnerCreds
) -> None:
    image = _big_progressive_jpeg()
    names = [f"photo-{index}.jpg" for index in range(3)]
    info = info_json_bytes(info_document([{"image_type_id": 0, "file_name": name} for name in names]))
    payload = build_zip([("info.json", info), *((name, image) for name in names)])
    assert len(payload) < runtime.settings.max_zip_body
    with served_in_thread(create_app(runtime)) as base, httpx.Client(base_url=base, timeout=60) as client:
        upload_urls = [
            client.post("/v1/upload", json=upload_body(partner, job_id=f"big-{index}")).json()["upload_url"]
            for index in range(4)
        ]
        latencies: list[float] = []
        putting = threading.Event()
        putting.set()

        def poll_health() -> None:
            with httpx.Client(base_url=base, timeout=60) as poller:
                while putting.is_set():
                    started = time.perf_counter()
                    assert poller.get("/healthz").status_code == 200
                    latencies.append(time.perf_counter() - started)
                    time.sleep(0.05)

        statuses: list[int] = []

        def put(url: str) -> None:
            statuses.append(httpx.put(url, content=payload, timeout=120).status_code)

        poller = threading.Thread(target=poll_health)
        poller.start()
        putters = [threading.Thread(target=put, args=(url,)) for url in upload_urls]
        for thread in putters:
            thread.start()
        for thread in putters:
            thread.join()
        putting.clear()
        poller.join()
    assert statuses == [200] * 4  # every zip was checked and accepted
    assert len(latencies) >= 5 and max(latencies) < 1.0, latencies
