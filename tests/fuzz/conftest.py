"""The fuzz harness's real server: `openkyc serve` (embedded: SQLite, local blobs, in-process
workers) on loopback, its first partner's sandbox key, a management-API credential issued with the
CLI, and a /healthz probe running while the fuzz tests run."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.fuzz.harness import STATS, FuzzClient, FuzzTarget, HealthProbe, ManagementCredential, write_report
from tests.fuzz.summary import FUZZ_LINES, FUZZ_SUMMARY
from tests.live_server import LiveServer, openkyc_command, running_server


def _issue_management_credential(server: LiveServer) -> ManagementCredential:
    command = openkyc_command(
        "keys",
        "create-management",
        "--partner-id",
        server.partner_id,
        "--env",
        "sandbox",
        "--data-dir",
        str(server.data_dir),
        "--json",
    )
    env = {**os.environ, "OPENKYC_LOG_LEVEL": "WARNING"}
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, check=True)
    issued = json.loads(finished.stdout.strip().splitlines()[-1])
    return ManagementCredential(issued["api_key"], issued["secret_key"], issued["auth_token"])


# Package scope: the server, its worker and the /healthz probe stop when the fuzz tests are done,
# instead of polling through the rest of the suite.
@pytest.fixture(scope="package")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    STATS.started = time.monotonic()
    with running_server(data_dir, {"OPENKYC_WORKERS": "1"}) as server:
        client = FuzzClient(server.base_url)
        probe = HealthProbe(server.base_url)
        probe.start()
        try:
            yield FuzzTarget(server, client, probe, _issue_management_credential(server))
        finally:
            STATS.finished = time.monotonic()
            probe.stop()
            client.close()
            errors = [line for line in server.log_text().splitlines() if '"level": "ERROR"' in line]
            STATS.server_errors = errors


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not STATS.requests:
        return
    lines = STATS.summary_lines()
    report = os.environ.get("OPENKYC_FUZZ_REPORT")
    if report:
        write_report(report)
        lines.append(f"fuzz report written to {report}")
    # Under pytest-xdist this runs in the worker that ran the fuzz tests: the controller prints
    # what the worker hands back; in one process, tests/conftest.py prints it from the stash.
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[FUZZ_SUMMARY] = lines
    else:
        session.config.stash[FUZZ_LINES] = lines
