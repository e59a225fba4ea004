"""A partner's callback endpoint on loopback that records every POST and can fail on purpose.

Over plain HTTP by default; given a server certificate and key (:func:`tls_receiver`, with a
development CA from ``openkyc tls dev-ca``'s :func:`openkyc.cli.tls.make_dev_ca`) it serves HTTPS,
as a V3 partner's receiver must: openkyc then trusts it through ``OPENKYC_CALLBACK_CA_FILE``
(``Settings.callback_ca_file``) set to the CA.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from openkyc.cli.tls import DevCertificates, make_dev_ca


@dataclass
class Received:
    body: dict[str, Any]
    status: int  # what the receiver answered
    at: float  # time.monotonic() on arrival
    # The request's headers, names in lower case (a V3 callback's signature is in them).
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class CallbackReceiver:
    """``failing`` set: answers 503 (the body is still recorded); ``stop()``: refuses connections.

    ``certfile``/``keyfile`` set: HTTPS (the certificate must name 127.0.0.1)."""

    port: int = 0
    failing: bool = False
    received: list[Received] = field(default_factory=list)
    certfile: Path | None = None
    keyfile: Path | None = None
    _arrived: threading.Condition = field(default_factory=threading.Condition)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.certfile else "http"
        return f"{scheme}://127.0.0.1:{self.port}/callback"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                status = 503 if receiver.failing else 200
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver._arrived:
                    receiver.received.append(Received(body, status, time.monotonic(), headers))
                    receiver._arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        if self.certfile is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.certfile, self.keyfile)
            server.socket = context.wrap_socket(server.socket, server_side=True)
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

    def wait_for(self, matches: Callable[[Received], bool], timeout: float = 60.0) -> Received:
        """The first POST (any answer) that ``matches``, waiting up to ``timeout`` seconds (a V3
        callback carries no SmileJobID: match its body's ``job_id`` or anything else)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for r in self.received:
                    if matches(r):
                        return r
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("no matching callback arrived")
                self._arrived.wait(remaining)


def tls_receiver(directory: Path) -> tuple[CallbackReceiver, DevCertificates]:
    """A started HTTPS receiver whose certificate a fresh development CA in ``directory`` signed;
    trust ``certificates.ca_cert`` (``Settings(callback_ca_file=...)``) to deliver to it. The
    caller must ``stop()`` it."""
    certificates = make_dev_ca(directory)
    receiver = CallbackReceiver(certfile=certificates.server_cert, keyfile=certificates.server_key)
    receiver.start()
    return receiver, certificates
