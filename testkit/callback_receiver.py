"""A partner's callback endpoint on loopback that records every POST and can fail on purpose."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    body: dict[str, Any]
    status: int  # what the receiver answered
    at: float  # time.monotonic() on arrival


@dataclass
class CallbackReceiver:
    """``failing`` set: answers 503 (the body is still recorded); ``stop()``: refuses connections."""

    port: int = 0
    failing: bool = False
    received: list[Received] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/callback"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                status = 503 if receiver.failing else 200
                with receiver._arrived:
                    receiver.received.append(Received(body, status, time.monotonic()))
                    receiver._arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def accepted(self, smile_job_id: str) -> list[dict[str, Any]]:
        """Bodies for the job that this receiver answered with 200."""
        with self._arrived:
            return [
                r.body for r in self.received if r.status == 200 and r.body.get("SmileJobID") == smile_job_id
            ]

    def all_for(self, smile_job_id: str) -> list[Received]:
        with self._arrived:
            return [r for r in self.received if r.body.get("SmileJobID") == smile_job_id]

    def wait_accepted(self, smile_job_id: str, timeout: float = 120.0) -> dict[str, Any]:
        """The first accepted body for the job, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for r in self.received:
                    if r.status == 200 and r.body.get("SmileJobID") == smile_job_id:
                        return r.body
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no accepted callback for job {smile_job_id}")
                self._arrived.wait(remaining)

    def wait_count(self, smile_job_id: str, count: int, timeout: float = 60.0) -> list[Received]:
        """Until ``count`` POSTs (any answer) for the job arrived."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = [r for r in self.received if r.body.get("SmileJobID") == smile_job_id]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(found)} of {count} callbacks for job {smile_job_id}")
                self._arrived.wait(remaining)
