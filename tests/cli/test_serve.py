"""`openkyc serve`: the first partner of a new installation, and as a real process: metrics on their own
listener, never on the API port."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from openkyc.crypto import fingerprint
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


def test_metrics_are_nowhere_by_default_and_the_log_holds_no_key(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as server:
        answer = httpx.get(f"{server.base_url}/metrics", timeout=5)
    assert answer.status_code == 404 and answer.json()["code"] == "2404"
    # The first start's output went to a file, as a service's goes to a log: no key in it.
    first = json.loads((server.data_dir / "first-partner.json").read_text())
    log = server.log_text()
    assert first["partner_id"] in log
    assert first["sandbox_api_key"] not in log and first["production_api_key"] not in log


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


FIRST = {
    "partner_id": "1001",
    "sandbox_api_key": "sandbox-secret-value",
    "production_api_key": "production-secret-value",
    "sandbox_key_id": "key_0123456789abcdef",
    "production_key_id": "key_fedcba9876543210",
}


def test_off_a_terminal_the_first_partners_keys_go_to_a_file_and_one_log_record_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from openkyc.cli.serve import announce_first_partner
    from openkyc.config import Settings

    with caplog.at_level(logging.WARNING, logger="openkyc.cli.serve"):
        announce_first_partner(FIRST, Settings(data_dir=tmp_path))  # captured output is not a terminal
    assert capsys.readouterr().out == ""  # nothing but log records: the log stays JSON lines
    (record,) = caplog.records
    message = record.getMessage()
    assert record.levelno == logging.WARNING and getattr(record, "partner_id", None) == "1001"
    assert "secret-value" not in message
    written = tmp_path / "first-partner.json"
    assert f"written to {written}" in message
    assert f"`openkyc keys rotate -p 1001 --data-dir {tmp_path.resolve()} KEY_ID`" in message
    keys = json.loads(written.read_text())
    assert keys["sandbox_api_key"] == "sandbox-secret-value"
    assert keys["production_api_key"] == "production-secret-value"
    assert written.stat().st_mode & 0o777 == 0o600


def test_on_a_terminal_the_banner_shows_both_keys_where_they_are_kept_and_the_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from openkyc.cli import output
    from openkyc.cli.serve import announce_first_partner
    from openkyc.config import Settings

    monkeypatch.delenv("OPENKYC_MASTER_KEY", raising=False)
    monkeypatch.setattr(output, "on_terminal", lambda: True)
    announce_first_partner(FIRST, Settings(data_dir=tmp_path, secret_key=""))
    printed = capsys.readouterr().out
    assert "sandbox api key:    sandbox-secret-value" in printed
    assert "production api key: production-secret-value" in printed
    assert printed.count("secret-value") == 2  # once each
    assert f"the SQLite database {tmp_path.resolve() / 'openkyc.db'}" in printed
    assert f"encrypted with the key file {tmp_path.resolve() / 'master.key'}" in printed
    target = f"-p 1001 --data-dir {tmp_path.resolve()}"
    assert f"\n  openkyc keys list {target}\n" in printed
    assert "sandbox key_0123456789abcdef, production key_fedcba9876543210" in printed
    assert f"\n  openkyc keys rotate {target} KEY_ID\n" in printed
    assert f"\n  openkyc partners enable-production {target}\n" in printed
    assert not (tmp_path / "first-partner.json").exists()


def test_the_banner_names_a_database_url_and_a_key_variable_without_their_values(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from openkyc.cli.serve import announce_first_partner
    from openkyc.config import Settings

    chosen = Settings(
        data_dir=tmp_path,
        database_url="postgresql+psycopg://openkyc:db-password@db/openkyc",
        secret_key="the passphrase",
    )
    with caplog.at_level(logging.WARNING, logger="openkyc.cli.serve"):
        announce_first_partner(FIRST, chosen)
    printed = caplog.records[0].getMessage()
    assert "the database at OPENKYC_DATABASE_URL, encrypted with the key in OPENKYC_SECRET_KEY" in printed
    assert "db-password" not in printed and "the passphrase" not in printed


def test_a_real_first_start_on_a_terminal_prints_both_keys(tmp_path: Path) -> None:
    """`openkyc serve` with its stdout on a pseudo-terminal, as a person starts it."""
    import pty
    import selectors
    import time

    data_dir = tmp_path / "data"
    primary, secondary = pty.openpty()
    env = {**os.environ, "OPENKYC_LOG_LEVEL": "WARNING", "COLUMNS": "80"}
    command = openkyc_command("serve", "--port", str(free_port()), "--data-dir", str(data_dir))
    process = subprocess.Popen(command, stdout=secondary, stderr=subprocess.DEVNULL, env=env)
    os.close(secondary)
    seen = b""
    # A selector, not select.select: a test worker may already hold more than 1024 descriptors.
    watch = selectors.DefaultSelector()
    watch.register(primary, selectors.EVENT_READ)
    try:
        deadline = time.monotonic() + 60
        while b"enable-production" not in seen and time.monotonic() < deadline:
            if watch.select(timeout=1):
                try:
                    seen += os.read(primary, 4096)
                except OSError:  # the process closed the terminal
                    break
    finally:
        watch.close()
        process.terminate()
        process.wait(timeout=15)
        os.close(primary)
    text = seen.decode()
    shown = dict(
        re.findall(r"^  (partner_id|sandbox api key|production api key): +(\S+)", text, re.MULTILINE)
    )
    assert set(shown) == {"partner_id", "sandbox api key", "production api key"}, text
    assert not (data_dir / "first-partner.json").exists()
    listed = subprocess.run(
        openkyc_command("keys", "list", "-p", shown["partner_id"], "--data-dir", str(data_dir), "--json"),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # The keys printed are the partner's: their fingerprints are the ones listed.
    listed_prints = {json.loads(line)["fingerprint"] for line in listed.stdout.splitlines()}
    assert listed_prints == {fingerprint(shown["sandbox api key"]), fingerprint(shown["production api key"])}
