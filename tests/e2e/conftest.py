"""A real `openkyc serve` on loopback, a callback receiver, and the partner the SDK signs as."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base_url: str
    partner_id: str
    sandbox_key: str
    data_dir: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def sid_server(self) -> str:
        return f"{self.base_url}/v1"


def openkyc_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "openkyc.cli", *args]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("openkyc-e2e")
    created = subprocess.run(
        openkyc_command("partner", "create", "--data-dir", str(data_dir), "--name", "e2e", "--json"),
        check=True,
        capture_output=True,
        text=True,
    )
    partner = json.loads(created.stdout)
    port = free_port()
    env = {**os.environ, "OPENKYC_ALLOW_PRIVATE_CALLBACKS": "true", "OPENKYC_CALLBACK_FIRST_RETRY": "PT1S"}
    log_file = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen(
        openkyc_command("serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir)),
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process, data_dir / "serve.log")
        yield Server(base_url, partner["partner_id"], partner["api_keys"]["sandbox"], data_dir, process)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log_file.close()


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            raise RuntimeError(f"openkyc serve exited: {output[-2000:]}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("openkyc serve did not come up in 60 s")


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


@pytest.fixture(scope="session")
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
