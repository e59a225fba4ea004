"""`openkyc serve`: the first partner of a new installation, and as a real process: metrics on their own
listener, never on the API port."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.live_server import free_port, openkyc_command, running_server


def test_metrics_are_served_on_the_metrics_bind_and_not_on_the_api_port(tmp_path: Path) -> None:
    metrics_port = free_port()
    env = {"OPENKYC_METRICS_BIND": f"127.0.0.1:{metrics_port}"}
    with running_server(tmp_path / "data", env) as server:
        on_api_port = httpx.get(f"{server.base_url}/metrics", timeout=5)
        assert on_api_port.status_code == 404
        assert on_api_port.json()["code"] == "2404"
        assert on_api_port.headers["x-content-type-options"] == "nosniff"
        httpx.get(f"{server.base_url}/healthz", timeout=5)

        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    assert "openkyc_database_up 1.0" in scraped.text
    # The listener reads the API's own registry: it saw the API port's traffic.
    assert 'openkyc_http_requests_total{method="GET",route="/healthz",status="200"}' in scraped.text


def test_metrics_are_nowhere_by_default(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as server:
        answer = httpx.get(f"{server.base_url}/metrics", timeout=5)
    assert answer.status_code == 404 and answer.json()["code"] == "2404"


def test_metrics_bind_with_several_processes_is_refused(tmp_path: Path) -> None:
    env = {**os.environ, "OPENKYC_METRICS_BIND": f"127.0.0.1:{free_port()}"}
    command = openkyc_command(
        "serve", "--processes", "2", "--port", str(free_port()), "--data-dir", str(tmp_path)
    )
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert finished.returncode != 0
    assert "OPENKYC_METRICS_TOKEN" in finished.stderr + finished.stdout


def test_a_malformed_metrics_bind_stops_the_server_at_start(tmp_path: Path) -> None:
    env = {**os.environ, "OPENKYC_METRICS_BIND": "::1:9100"}
    command = openkyc_command("serve", "--port", str(free_port()), "--data-dir", str(tmp_path))
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert finished.returncode != 0
    assert "metrics_bind" in finished.stderr + finished.stdout


def test_first_start_creates_a_sandbox_partner_once(tmp_path: Path) -> None:
    from openkyc.cli.serve import ensure_first_partner
    from tests.server import make_runtime

    runtime = make_runtime(tmp_path)
    first = ensure_first_partner(runtime)
    assert first is not None and first["partner_id"] and first["sandbox_api_key"]
    assert ensure_first_partner(runtime) is None  # an installation with partners is left alone


def test_the_first_partners_key_is_not_printed_to_a_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openkyc.cli.serve import announce_first_partner

    first = {"partner_id": "1001", "sandbox_api_key": "secret-key-value", "production_api_key": "p"}
    announce_first_partner(first, tmp_path)  # captured output is not a terminal
    printed = capsys.readouterr().out
    assert "1001" in printed and "secret-key-value" not in printed
    written = tmp_path / "first-partner.json"
    assert json.loads(written.read_text())["sandbox_api_key"] == "secret-key-value"
    assert written.stat().st_mode & 0o777 == 0o600
