"""Real HTTP servers on loopback ports for tests: a whole `openkyc serve` process, or an app on
uvicorn in a thread of the test process (to patch it or read its log records)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    data_dir: Path
    partner_id: str
    sandbox_key: str
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def openkyc_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "openkyc.cli", *args]


@contextmanager
def running_server(
    data_dir: Path, env: Mapping[str, str] | None = None, *, stderr_path: Path | None = None
) -> Iterator[LiveServer]:
    """`openkyc serve` on a fresh data dir, with its first partner's keys read from the file the
    command writes when its output is not a terminal; stopped (SIGTERM, then SIGKILL) at exit.

    Its output goes to ``log_path``, stderr included unless ``stderr_path`` is given (the log
    alone, without the announcements on stdout)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir.parent / f"serve-{port}.log"
    environment = {**os.environ, "OPENKYC_LOG_LEVEL": "WARNING", **(env or {})}
    command = openkyc_command(
        "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir)
    )
    with log_path.open("wb") as log, ExitStack() as files:
        stderr = subprocess.STDOUT if stderr_path is None else files.enter_context(stderr_path.open("wb"))
        process = subprocess.Popen(command, stdout=log, stderr=stderr, env=environment)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, base_url, log_path)
        first = json.loads((data_dir / "first-partner.json").read_text())
        yield LiveServer(base_url, data_dir, first["partner_id"], first["sandbox_api_key"], log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"openkyc serve exited ({process.returncode}):\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"openkyc serve did not answer within {START_TIMEOUT_S:.0f} s:\n{log_path.read_text()}"
    )


@contextmanager
def served_in_thread(app: FastAPI) -> Iterator[str]:
    """``app`` on a real uvicorn server (its own thread and event loop) on a free loopback port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
