"""PostgreSQL going away mid-run (a proxy cut): JSON 503s within seconds, then recovery on the same
client and the same worker threads, with no restart."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from openkyc.app import create_app
from openkyc.observability.outage import RETRY_AFTER_S
from openkyc.runtime import Runtime
from openkyc.tasks.inprocess import WorkerPool
from testkit.tcp_proxy import TcpProxy
from tests.observability.conftest import METRICS_TOKEN, sample, samples_of, scrape
from tests.observability.postgres import PG_HOST, PG_PORT, database_url, throwaway_database
from tests.server import PartnerCreds, make_partner, make_runtime, upload_job

UNAVAILABLE = {
    "code": "2201",
    "error": "System Error: the service is temporarily unavailable, retry later",
    "success": False,
}
# connect_timeout=3 in the URL; a refused connection fails at once, a dropped one at the pre-ping.
MAX_OUTAGE_ANSWER_S = 5.0


@dataclass
class ProxiedPostgres:
    proxy: TcpProxy
    runtime: Runtime
    partner: PartnerCreds


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[ProxiedPostgres]:
    with throwaway_database() as name, TcpProxy(PG_HOST, PG_PORT) as proxy:
        runtime = make_runtime(
            tmp_path, database_url=database_url(name, proxy.port), metrics_token=METRICS_TOKEN
        )
        try:
            yield ProxiedPostgres(proxy, runtime, make_partner(runtime))
        finally:
            runtime.engine.dispose()


def _timed(call: Any) -> httpx.Response:
    started = time.monotonic()
    response: httpx.Response = call()
    assert time.monotonic() - started < MAX_OUTAGE_ANSWER_S
    return response


def test_outage_answers_503_then_recovers(proxied: ProxiedPostgres, caplog: pytest.LogCaptureFixture) -> None:
    partner = proxied.partner
    params = {"user_id": "outage-user", "job_id": "outage-job", "job_type": 4}

    def status() -> httpx.Response:
        answer: httpx.Response = client.post(
            "/v1/job_status", json=partner.signed(user_id="outage-user", job_id="outage-job")
        )
        return answer

    def prep() -> httpx.Response:
        answer: httpx.Response = client.post(
            "/v1/upload", json=partner.signed(smile_client_id=partner.partner_id, partner_params=params)
        )
        return answer

    with TestClient(create_app(proxied.runtime), raise_server_exceptions=False) as client:
        assert prep().status_code == 200
        assert status().status_code == 200

        proxied.proxy.stop()
        caplog.set_level(logging.WARNING)
        for call in (status, prep):
            response = _timed(call)
            assert response.status_code == 503, response.text
            assert response.json() == UNAVAILABLE
            assert response.headers["retry-after"] == str(RETRY_AFTER_S)
        readiness = _timed(lambda: client.get("/readyz"))
        assert readiness.status_code == 503 and "database" in readiness.json()["failing"]
        assert client.get("/healthz").status_code == 200
        metrics = _timed(lambda: scrape(client))
        assert metrics.status_code == 200 and sample(samples_of(metrics.text), "openkyc_database_up") == 0
        outage_lines = [r.getMessage() for r in caplog.records if "database unavailable" in r.getMessage()]
        assert outage_lines and all("/v1/" in line and "SELECT" not in line for line in outage_lines)

        proxied.proxy.start()
        recovered = status()
        assert recovered.status_code == 200, recovered.text
        assert recovered.json()["job_complete"] is False
        assert client.get("/readyz").status_code == 200
        assert sample(samples_of(scrape(client).text), "openkyc_database_up") == 1


def test_other_database_errors_stay_500(runtime: Runtime) -> None:
    from sqlalchemy import text

    app = create_app(runtime)

    @app.get("/violate-a-constraint")
    def violate() -> None:
        with runtime.engine.begin() as connection:
            connection.execute(text("INSERT INTO partners (id) VALUES (NULL)"))

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/violate-a-constraint")
    assert response.status_code == 500 and response.json()["code"] == "2201"
    assert "retry-after" not in response.headers


def test_integrity_errors_are_not_outages() -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError

    from openkyc.observability.outage import is_database_outage

    assert is_database_outage(OperationalError("SELECT 1", {}, Exception("refused")))
    assert not is_database_outage(IntegrityError("INSERT", {}, Exception("duplicate")))
    invalidated = IntegrityError("INSERT", {}, Exception("x"), connection_invalidated=True)
    assert is_database_outage(invalidated)


def test_worker_pool_outlives_an_outage(proxied: ProxiedPostgres, faces_dir: Path) -> None:
    processed: list[str] = []
    done = threading.Event()

    def record(runtime: Runtime, smile_job_id: str) -> None:
        processed.append(smile_job_id)
        done.set()

    pool = WorkerPool(proxied.runtime, record)
    pool.start()
    try:
        proxied.proxy.stop()
        time.sleep(2.5)  # the workers poll every second: each poll fails meanwhile
        proxied.proxy.start()
        selfie = faces_dir / "ageitgey+face_recognition" / "examples" / "obama.jpg"
        upload = upload_job(
            proxied.runtime,
            proxied.partner,
            selfie,
            {"user_id": "pool-user", "job_id": "pool-job", "job_type": 4},
        )
        assert upload.put_status == 200
        assert done.wait(20), "no worker picked the job up after the database came back"
        assert processed == [upload.smile_job_id]
    finally:
        pool.stop()
