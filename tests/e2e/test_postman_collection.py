"""openkyc's Postman collection, fetched from the server's /docs/postman.json, run by newman.

A fresh partner's id and key are all the collection is given (as ``--env-var``, as a partner
would fill in the collection variables), and every request's ``pm.test`` checks must pass: the
signing script, the zip built by the upload requests, job_status polling and the sandbox results.
Given a ``callback_url`` too, the asynchronous requests run as well and their results are called
back; without one they are skipped and the run is still green.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from openkyc.signing import compute_signature
from openkyc.web.postman import V3_CONSENT
from testkit.deployment import openkyc_command
from tests.e2e.conftest import CallbackReceiver, Server, _installed_version

pytestmark = [pytest.mark.slow, pytest.mark.services]  # services: node and npm

NEWMAN_DIR = Path(__file__).resolve().parent / "newman"
NEWMAN_VERSION = "6.2.2"  # pinned with its dependencies in newman/package-lock.json
NEWMAN_TIMEOUT_S = 300
ASYNC_REQUESTS = (
    "OPT Run Enhanced KYC (Async)",
    "OPT Run Basic KYC (Async)",
    "OPT Run Business Verification (Async)",
)


@pytest.fixture(scope="session")
def newman() -> Path:
    """The pinned newman, installed with `npm ci` under tests/e2e/newman (kept across runs)."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        pytest.fail("the Postman collection test needs `node` and `npm` on PATH (Node >= 16)")
    installed = NEWMAN_DIR / "node_modules" / "newman" / "package.json"
    # Several pytest-xdist workers may ask at once: one installs while the others wait for it.
    with (NEWMAN_DIR / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed_version(installed) != NEWMAN_VERSION:
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=NEWMAN_DIR,
                capture_output=True,
                text=True,
                timeout=NEWMAN_TIMEOUT_S,
                check=False,
            )
            if done.returncode != 0:
                pytest.fail(
                    f"`npm ci` in {NEWMAN_DIR} failed (is the npm registry reachable?):\n{done.stderr[-3000:]}"
                )
    if _installed_version(installed) != NEWMAN_VERSION:
        pytest.fail(f"npm installed newman {_installed_version(installed)!r}, not {NEWMAN_VERSION}")
    return NEWMAN_DIR / "node_modules" / ".bin" / "newman"


def fresh_partner(server: Server) -> tuple[str, str]:
    """A partner created for this run only: its id and sandbox key."""
    created = subprocess.run(
        openkyc_command(
            "partner", "create", "--data-dir", str(server.data_dir), "--name", "postman", "--json"
        ),
        check=True,
        capture_output=True,
        text=True,
        env=server.deployment.env,
    )
    partner = json.loads(created.stdout)
    return partner["partner_id"], partner["api_keys"]["sandbox"]


def run_collection(newman: Path, server: Server, tmp_path: Path, **variables: str) -> dict[str, Any]:
    """newman's JSON report of the collection served by ``server``; fails the test on a red run."""
    report = tmp_path / "newman-report.json"
    env_vars = [arg for name, value in variables.items() for arg in ("--env-var", f"{name}={value}")]
    done = subprocess.run(
        [
            str(newman),
            "run",
            f"{server.base_url}/docs/postman.json",
            *env_vars,
            "--reporters",
            "cli,json",
            "--reporter-json-export",
            str(report),
            "--color",
            "off",
        ],
        capture_output=True,
        text=True,
        timeout=NEWMAN_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"newman run failed:\n{done.stdout[-8000:]}\n{done.stderr[-2000:]}"
    run: dict[str, Any] = json.loads(report.read_text())["run"]
    assert run["failures"] == []
    return run


def executed(run: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The executions per request name (Job Status runs more than once while it polls)."""
    names: dict[str, list[dict[str, Any]]] = {}
    for execution in run["executions"]:
        names.setdefault(execution["item"]["name"], []).append(execution)
    return names


def assertions(execution: dict[str, Any]) -> list[str]:
    return [assertion["assertion"] for assertion in execution.get("assertions", [])]


def test_the_collection_runs_green_with_only_a_partner_id_and_key(
    newman: Path, server: Server, tmp_path: Path
) -> None:
    partner_id, api_key = fresh_partner(server)
    run = run_collection(newman, server, tmp_path, partner_id=partner_id, api_key=api_key)

    stats = run["stats"]
    assert stats["assertions"]["failed"] == 0 and stats["requests"]["failed"] == 0
    # Every request was sent but the asynchronous ones (no callback_url: their pre-request script
    # skips them), and each sent request's own checks ran.
    items = {item["id"]: item["name"] for item in requests(served_collection(server))}
    sent = {execution["item"]["id"] for execution in run["executions"]}
    assert sent == {id_ for id_, name in items.items() if name not in ASYNC_REQUESTS}
    assert all(assertions(execution) for execution in run["executions"])
    by_name = executed(run)
    # The seven jobs of the upload and look-up folders ended with their result checked.
    results = [
        execution for execution in by_name["OPT Job Status"] if "the job's result" in assertions(execution)
    ]
    assert len(results) == 7
    assert "the zip is accepted (status 200)" in assertions(by_name["Upload Registration ZIP File"][0])
    # The V3 folder: a session token, a multipart job for the sandbox identity that clears (no
    # callback URL: the sandbox accepts it), its status read until it is final.
    [v3_job] = by_name["V3 Enhanced KYC"]
    assert v3_job["response"]["code"] == 202
    assert "the job is clear" in assertions(by_name["V3 Job Status"][-1])


def served_collection(server: Server) -> dict[str, Any]:
    response = httpx.get(f"{server.base_url}/docs/postman.json", verify=server.deployment.verify)
    assert response.status_code == 200
    collection: dict[str, Any] = response.json()
    return collection


def requests(collection: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for folder in collection["item"] for item in folder["item"]]


def test_given_a_callback_url_the_async_requests_are_called_back(
    newman: Path, server: Server, callbacks: CallbackReceiver, tmp_path: Path
) -> None:
    partner_id, api_key = fresh_partner(server)
    run = run_collection(
        newman, server, tmp_path, partner_id=partner_id, api_key=api_key, callback_url=callbacks.url
    )

    by_name = executed(run)
    for name in ASYNC_REQUESTS:
        [execution] = by_name[name]
        assert execution["response"]["code"] == 200
        sent = json.loads(execution["request"]["body"]["raw"])
        # The signed result of the job this request started reaches callback_url.
        body = callback_for_job(callbacks, sent["partner_params"]["job_id"])
        assert body["ResultCode"] in ("1012", "1020")
        assert body["signature"] == compute_signature(api_key, partner_id, body["timestamp"])
    # An http callback_url is not sent to the V3 API (its callbacks go to https only): the job is
    # accepted without one and read with V3 Job Status.
    [v3_job] = by_name["V3 Enhanced KYC"]
    parts = {part["key"]: part for part in v3_job["request"]["body"]["formdata"]}
    assert parts["callback_url"]["disabled"] is True
    # The consent the pre-request script stamped: now, not the collection's sample time.
    granted_at = json.loads(parts["consent"]["value"])["granted_at"]
    assert granted_at != V3_CONSENT["granted_at"] and granted_at.endswith("Z")
    assert "the job is clear" in assertions(by_name["V3 Job Status"][-1])


def callback_for_job(receiver: CallbackReceiver, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """The first callback whose PartnerParams name ``job_id`` (the receiver waits by SmileJobID)."""
    deadline = time.monotonic() + timeout
    with receiver.arrived:
        while True:
            for body in receiver.received:
                params = body.get("PartnerParams")
                if isinstance(params, dict) and params.get("job_id") == job_id:
                    return body
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no callback for job_id {job_id}")
            receiver.arrived.wait(remaining)
