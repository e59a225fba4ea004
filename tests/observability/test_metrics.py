"""/metrics after real traffic: jobs by product and result, queue depth, callback failures, and
HTTP labels that are route templates (never tokens, job ids or user ids)."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from openkyc.app import create_app
from openkyc.callbacks import service as callbacks
from openkyc.db import transaction
from openkyc.jobs import service as jobs
from openkyc.observability.metrics import start_metrics_listener, stop_metrics_listener
from openkyc.runtime import Runtime
from tests.live_server import free_port
from tests.observability.conftest import METRICS_TOKEN, sample, samples_of, scrape
from tests.server import PartnerCreds, make_runtime, submit_and_process, upload_job


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    return make_runtime(tmp_path, metrics_token=METRICS_TOKEN)


def test_jobs_queue_and_callback_figures(runtime: Runtime, partner: PartnerCreds, faces_dir: Path) -> None:
    selfie = faces_dir / "ageitgey+face_recognition" / "examples" / "obama.jpg"
    processed = submit_and_process(runtime, partner, selfie, "metrics-1")
    waiting = upload_job(runtime, partner, selfie, {"user_id": "u-2", "job_id": "metrics-2", "job_type": 4})
    assert waiting.put_status == 200
    # The processed job's callback goes to a closed port: one failed attempt, then a retry is due.
    for delivery_id, attempt in callbacks.claim_due(runtime):
        callbacks.deliver(runtime, delivery_id, attempt)
    with transaction(runtime.sessions) as session:
        result = jobs.get_job(db_session=session, smile_job_id=processed).result
    assert result is not None

    with TestClient(create_app(runtime)) as client:
        prep = client.post(
            "/v1/upload",
            json=partner.signed(
                smile_client_id=partner.partner_id,
                partner_params={"user_id": "u-3", "job_id": "metrics-3", "job_type": 6},
            ),
        )
        assert prep.status_code == 200, prep.text
        response = scrape(client)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples_of(response.text)

    product = "smart_selfie_enrollment"
    assert sample(found, "openkyc_jobs_completed_recent", product=product, result=result["ResultCode"]) == 1
    assert sample(found, "openkyc_queue_depth", product=product, state="queued") == 1
    assert sample(found, "openkyc_queue_depth", product="document_verification", state="awaiting_upload") == 1
    assert sample(found, "openkyc_stage_latency_seconds_gcount", product=product, stage="verification") == 1
    assert sample(found, "openkyc_callback_deliveries", status="retrying") == 1
    assert sample(found, "openkyc_callback_attempts_recent", result="no_response") == 1
    assert sample(found, "openkyc_database_up") == 1
    assert (sample(found, "openkyc_process_resident_memory_bytes") or 0) > 0


def test_http_labels_are_route_templates(runtime: Runtime, partner: PartnerCreds) -> None:
    user_id, job_id = f"user-{secrets.token_hex(4)}", f"job-{secrets.token_hex(4)}"
    with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
        prep = client.post(
            "/v1/upload",
            json=partner.signed(
                smile_client_id=partner.partner_id,
                partner_params={"user_id": user_id, "job_id": job_id, "job_type": 4},
            ),
        ).json()
        upload_path = prep["upload_url"].removeprefix("http://testserver")
        token = upload_path.rsplit("/", 1)[1]
        client.put(upload_path, content=b"PK\x03\x04 not really a zip")
        client.put(upload_path, content=b"again")  # spent: 4xx
        client.get(f"/v1/images/{prep['smile_job_id']}/selfie")
        client.get(f"/no/such/route/{token}")
        text = scrape(client).text

    for secret in (token, prep["smile_job_id"], user_id, job_id):
        assert secret not in text
    routes = {
        sample.labels["route"]
        for family in text_string_to_metric_families(text)
        if family.name == "openkyc_http_requests"
        for sample in family.samples
    }
    assert {"/v1/upload", "/v1/uploads/{token}", "/v1/images/{smile_job_id}/{kind}", "unmatched"} <= routes
    found = samples_of(text)
    assert sample(found, "openkyc_http_requests_total", method="POST", route="/v1/upload", status="200") == 1
    assert sample(found, "openkyc_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert (
        sample(
            found, "openkyc_http_request_duration_seconds_count", method="PUT", route="/v1/uploads/{token}"
        )
        == 2
    )


def test_each_app_has_its_own_registry(runtime: Runtime) -> None:
    first, second = create_app(runtime), create_app(runtime)
    assert first.state.metrics_registry is not second.state.metrics_registry
    with TestClient(first) as client:
        client.get("/healthz")
        client.get("/healthz")
    with TestClient(second) as client:
        found = samples_of(scrape(client).text)
    assert sample(found, "openkyc_http_requests_total", method="GET", route="/healthz", status="200") is None


def test_metrics_are_not_on_the_api_port_without_a_token(tmp_path: Path) -> None:
    app = create_app(make_runtime(tmp_path))
    with TestClient(app) as client:
        answer = client.get("/metrics", headers={"Authorization": "Bearer "})
    assert answer.status_code == 404 and answer.json()["code"] == "2404"
    assert "/metrics" not in app.openapi()["paths"]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic bWV0cmljcw==",
        f"Bearer {METRICS_TOKEN}x",
        METRICS_TOKEN,
        "Bearer é".encode(),
    ],
)
def test_metrics_need_the_bearer_token(runtime: Runtime, authorization: str | bytes | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with TestClient(create_app(runtime)) as client:
        answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 401
    assert answer.json() == {"code": "2205", "error": "You're not authorized to do that", "success": False}
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "openkyc_" not in answer.text


def test_metrics_accept_the_bearer_scheme_in_any_case(runtime: Runtime) -> None:
    with TestClient(create_app(runtime)) as client:
        answer = client.get("/metrics", headers={"Authorization": f"bearer {METRICS_TOKEN}"})
    assert answer.status_code == 200 and "openkyc_database_up" in answer.text


def test_metrics_listener_serves_the_apps_registry(runtime: Runtime) -> None:
    app = create_app(runtime)
    port = free_port()
    server = start_metrics_listener(app.state.metrics_registry, "127.0.0.1", port)
    try:
        with TestClient(app) as client:
            client.get("/healthz")
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    finally:
        stop_metrics_listener(server)
    assert scraped.status_code == 200
    found = samples_of(scraped.text)
    assert sample(found, "openkyc_database_up") == 1
    assert sample(found, "openkyc_http_requests_total", method="GET", route="/healthz", status="200") == 1
