"""A real `openkyc serve` on loopback, a callback receiver, and the partner the SDK signs as."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from openkyc.cli.tls import make_dev_ca
from testkit.deployment import (
    Deployment,
    Mode,
    TlsOptions,
    start_deployment,
)


@dataclass
class Server:
    base_url: str
    partner_id: str
    sandbox_key: str
    data_dir: Path
    deployment: Deployment = field(repr=False)

    @property
    def sid_server(self) -> str:
        return f"{self.base_url}/v1"

    @property
    def mode(self) -> str:
        return self.deployment.mode


# Every end-to-end test runs against both deployments: embedded (`openkyc serve`: SQLite, local
# blobs, in-process workers) and scaled out (PostgreSQL, Celery worker processes on Redis, S3).
MODES = ["embedded", "scaled"]


# Package scope for the deployments and the receiver: they stop when the end-to-end tests are
# done instead of idling (workers, sweeps) through the rest of the suite.
@pytest.fixture(scope="package", params=MODES)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(request.param, tmp_path_factory.mktemp(f"openkyc-e2e-{request.param}"))


@dataclass
class TlsFiles:
    ca_cert: Path
    server_cert: Path
    server_key: Path


@pytest.fixture(scope="package")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A throwaway CA and a server certificate it signed for localhost, 127.0.0.1 and ::1."""
    return make_tls_files(tmp_path_factory.mktemp("openkyc-e2e-tls"))


@pytest.fixture(scope="package", params=MODES)
def tls_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tls_files: TlsFiles
) -> Iterator[Server]:
    """`openkyc serve --tls-cert --tls-key` (the Node SDK only speaks https to a custom server)."""
    yield from _serve(
        request.param, tmp_path_factory.mktemp(f"openkyc-e2e-https-{request.param}"), tls=tls_files
    )


def _serve(mode: Mode, data_dir: Path, tls: TlsFiles | None = None) -> Iterator[Server]:
    options = None if tls is None else TlsOptions(cert=tls.server_cert, key=tls.server_key, ca=tls.ca_cert)
    deployment = start_deployment(mode, data_dir, tls=options)
    try:
        yield Server(deployment.base_url, deployment.partner_id, deployment.sandbox_key, data_dir, deployment)
    finally:
        deployment.stop()


def make_tls_files(directory: Path) -> TlsFiles:
    """What `openkyc tls dev-ca` makes: a development CA and a server certificate it signed."""
    made = make_dev_ca(directory)
    return TlsFiles(made.ca_cert, made.server_cert, made.server_key)


NODE_DIR = Path(__file__).resolve().parent / "node"
NODE_SDK_VERSION = "3.2.1"


@pytest.fixture(scope="session")
def node_sdk() -> Path:
    """`smile-identity-core` installed under tests/e2e/node/node_modules (kept across runs)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("the Node SDK e2e needs `node` and `npm` on PATH (Node >= 14)")
    installed = NODE_DIR / "node_modules" / "smile-identity-core" / "package.json"
    # Several pytest-xdist workers may ask at once: one installs while the others wait for it.
    with (NODE_DIR / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed_version(installed) != NODE_SDK_VERSION:
            _npm_install(npm, installed)
    return NODE_DIR


def _npm_install(npm: str, installed: Path) -> None:
    """`npm install` of the pinned Node SDK into tests/e2e/node (the registry must be reachable)."""
    try:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`npm install` in {NODE_DIR} took over 300 s (is the npm registry reachable?)")
    if done.returncode != 0:
        pytest.fail(
            f"`npm install` of smile-identity-core@{NODE_SDK_VERSION} in {NODE_DIR} failed "
            f"(is the npm registry reachable?):\n{done.stderr[-3000:]}"
        )
    if _installed_version(installed) != NODE_SDK_VERSION:
        pytest.fail(
            f"npm installed smile-identity-core {_installed_version(installed)!r}, not {NODE_SDK_VERSION}"
        )


def _installed_version(package_json: Path) -> str | None:
    try:
        return str(json.loads(package_json.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


@dataclass
class CallbackReceiver:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, smile_job_id: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for body in self.received:
                    if body.get("SmileJobID") == smile_job_id:
                        return body
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no callback for job {smile_job_id}")
                self.arrived.wait(remaining)


@pytest.fixture(scope="package")
def callbacks() -> Iterator[CallbackReceiver]:
    receiver = CallbackReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            with receiver.arrived:
                receiver.received.append(body)
                receiver.arrived.notify_all()
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{httpd.server_address[1]}/callback"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield receiver
    httpd.shutdown()
    httpd.server_close()
