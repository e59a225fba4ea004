"""The V3 API's own costs, against a real ``openkyc serve``: token issuance, the acceptance of a
SmartSelfie registration side by side with the v1 upload path, and the server's memory while it
parses a body at the 10 MB gateway limit.

A real ``openkyc serve`` (embedded default: SQLite, local blobs, one in-process worker) runs in a
subprocess on loopback, plain http (``--tls``: HTTPS with a development CA, as the SDKs need);
the requests come from this process, one at a time, on one keep-alive connection per client.

1. ``POST /v3/token`` as the SDKs send it (``smileid-partner-id`` and ``smileid-api-key`` headers,
   no body): p50/p95 over ``--requests`` calls (spread over several partners, each under the
   issuance limit of 120 a minute), each after a bare ``GET /health`` on the same connection,
   whose figures are printed beside (what any request costs here).
2. Acceptance (time to the answer that takes the job) of a SmartSelfie registration, a genuine
   selfie + 8 liveness frames (the face track of the shared video, 480x640 crops, as
   :mod:`benchmarks.engine_latency` makes them):

   * V3: ``POST /v3/registration``, the multipart body ``usesmileid`` builds (its own request
     builder and part assembly) with a token obtained once, to the 202;
   * v1: ``smile_id_core``'s path, prep-upload ``POST /v1/upload`` then the zip ``PUT`` to its
     ``upload_url``, both timed; the zip is built between them by the SDK's ``generate_zip_file``
     (client work, timed apart, as is building the V3 body).

   The two take turns in one run (V3 first on even pairs, v1 first on odd ones) so that both see
   the same machine; the figure is the ratio of their medians (the issue's target: V3 <= 1.1x v1).
   By default each job's result is waited for (status polled) before the next submission, so every
   acceptance meets an idle worker: the figures are the API path's, not the engine's contention
   for the two cores. ``--busy`` submits back to back while the worker processes the backlog.
   Then the steps each path runs before answering are timed in this process on the same bodies
   (the multipart parse, packing its zip, reading a zip as intake does: the one decode of the
   images either path runs), to say where a difference comes from.
3. Memory: the server's resident set (``/proc/<pid>/status``) while it takes a multipart body just
   under the 10 MB gateway limit (a selfie and 8 frames of ~1.1 MB each), as the increase of its
   peak (VmHWM, reset through ``/proc/<pid>/clear_refs`` before each request, and VmRSS sampled
   every 2 ms) over the idle resident set just before. Each kind of request runs on a fresh server
   (after one small request of its kind), since memory an earlier large request freed is reused
   without the resident set growing: a registration without consent (refused with 400 once the
   whole body is parsed: the parsing alone), and the authentication of a user never enrolled
   (refused with 400 at the very last check, after the images are decoded and the job's zip packed
   and read back: the whole acceptance path but the storing). Before the first, on that fresh
   server, a body just over the limit, sent with its Content-Length and sent chunked (no length):
   both must get the gateway's 413 body, and the peak must not grow by the body's size. The
   server's heap keeps what the models freed while loading, which can absorb a request's
   allocations without the resident set moving: so the Python allocations of ``read_form`` on the
   same bodies are traced here too (tracemalloc), which the allocator's state cannot hide.

Prints a table; writes ``v3_bench.png`` and ``v3_bench.json`` under the benchmark output folder.

    .venv/bin/python -m benchmarks.v3_bench [--requests 200] [--pairs 30] [--memory-runs 2] [--busy] [--tls]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import json
import math
import os
import platform
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import usesmileid
from fastapi import Request
from smile_id_core.image_upload import generate_zip_file
from smile_id_core.Signature import Signature
from smile_id_core.Utilities import get_version
from usesmileid.client.transport import Transport
from usesmileid.generated import operations

from benchmarks.api_bench import free_port, registration_images
from benchmarks.common import TESTDATA, out_path, percentile
from benchmarks.engine_latency import jpeg_bytes, smart_selfie_job
from openkyc.cli.tls import make_dev_ca
from openkyc.jobs.intake import ImageRole
from openkyc.jobs.intake.packing import pack_job_zip
from openkyc.jobs.intake.payload import read_job_payload
from openkyc.jobs.uploads import CHECK_LIMITS
from openkyc.v3.entries import Images
from openkyc.v3.errors import GATEWAY_TOO_LARGE, V3Error
from openkyc.v3.forms import GATEWAY_LIMIT, V3Form, read_form

FACES = TESTDATA / "faces" / "ageitgey+face_recognition" / "examples"
# POST /v3/token: issuance is limited to 120 a minute per partner (openkyc.v3.limits).
TOKENS_PER_PARTNER = 100
# The V3 sandbox's "clear" person (tests/v3/test_usesmileid_e2e.py), and consent as the SDK words it.
USER_DETAILS = {
    "given_names": "Amina Fatou",
    "last_name": "Clearwater",
    "email": "amina.clearwater@example.com",
}
JOB_TIMEOUT = 180.0
SDK_HEADERS = {
    "SmileID-Source-SDK": "python",
    "SmileID-Source-SDK-Version": usesmileid.__version__,
    "User-Agent": f"smileid-sdk-python/{usesmileid.__version__} (python/{platform.python_version()})",
}


STARTED = time.monotonic()


def note(message: str) -> None:
    """Progress, on stderr."""
    print(f"[{time.monotonic() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


# --- the server --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Partner:
    partner_id: str
    api_key: str  # the sandbox key


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    partners: list[Partner]
    verify: ssl.SSLContext | bool
    ca_file: Path | None

    def status_kb(self, name: str) -> int:
        """A ``/proc/<pid>/status`` figure of the server process (VmRSS, VmHWM), in kB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return int(line.split()[1])
        raise RuntimeError(f"no {name} in /proc/{self.process.pid}/status")

    def reset_peak(self) -> bool:
        """Reset the process's VmHWM to its current resident set (Linux >= 4.0); False if refused."""
        try:
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def client(self, timeout: float = 60.0) -> httpx.Client:
        return httpx.Client(base_url=self.base, verify=self.verify, timeout=timeout)


def start_server(data_dir: Path, partners: int, tls: bool) -> Server:
    cli = [sys.executable, "-m", "openkyc.cli"]
    created = []
    for _ in range(partners):
        answer = subprocess.run(
            [*cli, "partner", "create", "--data-dir", str(data_dir), "--json"],
            check=True,
            capture_output=True,
            text=True,
        )
        listing = json.loads(answer.stdout)
        created.append(Partner(listing["partner_id"], listing["api_keys"]["sandbox"]))
    port = free_port()
    command = [*cli, "serve", "--port", str(port), "--data-dir", str(data_dir)]
    verify: ssl.SSLContext | bool = False
    ca_file = None
    if tls:
        certificates = make_dev_ca(data_dir / "tls")
        command += ["--tls-cert", str(certificates.server_cert), "--tls-key", str(certificates.server_key)]
        ca_file = certificates.ca_cert
        verify = ssl.create_default_context(cafile=str(ca_file))
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, f"{'https' if tls else 'http'}://127.0.0.1:{port}", created, verify, ca_file)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.base}/health", timeout=1, verify=verify).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"openkyc serve did not start: {(data_dir / 'serve.log').read_text()[-2000:]}")


# --- 1. POST /v3/token -------------------------------------------------------------------------


def token_headers(partner: Partner) -> dict[str, str]:
    """What usesmileid sends for a token: its telemetry headers and the key pair, no body."""
    return {**SDK_HEADERS, **operations.token(partner.partner_id, partner.api_key).extra_headers}


def bench_token(server: Server, requests: int) -> tuple[list[float], list[float]]:
    """``POST /v3/token`` latencies, and those of the bare ``GET /health`` taken in turn with them
    (the same server, client and connection: what a request costs before any work)."""
    token_ms, bare_ms = [], []
    with server.client() as client:
        for n in range(requests):
            started = time.perf_counter()
            client.get("/health").raise_for_status()
            bare_ms.append((time.perf_counter() - started) * 1000)
            headers = token_headers(server.partners[n % len(server.partners)])
            started = time.perf_counter()
            answer = client.post("/v3/token", headers=headers)
            token_ms.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200 or "token" not in answer.json():
                raise RuntimeError(f"/v3/token: {answer.status_code} {answer.text[:200]}")
    return token_ms, bare_ms


# --- 2. acceptance: V3 registration vs the v1 upload path -----------------------------------------


@dataclass
class Acceptance:
    """One submission: the server's time to take it (ms), the client's own work (ms), its job."""

    server_ms: float
    client_ms: float
    job: str
    parts_ms: tuple[float, ...] = ()  # v1: prep-upload, PUT


def consent() -> dict[str, Any]:
    granted = usesmileid.Consent.granted(
        granted_at=dt.datetime.now(dt.UTC),
        notice_language="EN",
        notice_privacy_policy_url="https://example.com/privacy",
    )
    return dict(granted.to_dict())


def v3_request(
    client: httpx.Client,
    token: str,
    path: str,
    built: operations.Request,
) -> httpx.Request:
    """The request usesmileid's transport makes of ``built`` (headers and multipart parts), its
    body rendered now so that sending it is all that is timed."""
    headers = {**SDK_HEADERS, "SmileID-Token": token}
    if built.user_id_header is not None:
        headers["User-ID"] = built.user_id_header
    request = client.build_request("POST", path, headers=headers, files=Transport._multipart_files(built))
    request.read()
    return request


class V3Path:
    def __init__(self, server: Server, selfie: bytes, frames: list[bytes]) -> None:
        self.server = server
        self.partner = server.partners[0]
        self.client = server.client()
        self.selfie = ("selfie.jpg", selfie, "image/jpeg")
        self.frames = [(f"liveness_{i}.jpg", frame, "image/jpeg") for i, frame in enumerate(frames)]
        self._token = ""
        self._token_at = 0.0

    @property
    def token(self) -> str:
        """Obtained once and reused, as the SDK caches it (renewed after 10 of its 15 minutes)."""
        if time.monotonic() - self._token_at > 600:
            answer = self.client.post("/v3/token", headers=token_headers(self.partner))
            answer.raise_for_status()
            self._token, self._token_at = str(answer.json()["token"]), time.monotonic()
        return self._token

    def registration(self, user_id: str) -> httpx.Request:
        built = operations.registration(
            selfie_image=self.selfie,
            liveness_images=self.frames,
            consent=consent(),
            user_details=USER_DETAILS,
            user_id=user_id,
        )
        return v3_request(self.client, self.token, "/v3/registration", built)

    def submit(self, n: int) -> Acceptance:
        started = time.perf_counter()
        request = self.registration(f"v3-bench-{n}-{time.time_ns()}")
        built_at = time.perf_counter()
        answer = self.client.send(request)
        done = time.perf_counter()
        if answer.status_code != 202:
            raise RuntimeError(f"/v3/registration: {answer.status_code} {answer.text[:300]}")
        return Acceptance((done - built_at) * 1000, (built_at - started) * 1000, str(answer.json()["job_id"]))

    def wait(self, job_id: str) -> None:
        deadline = time.monotonic() + JOB_TIMEOUT
        while time.monotonic() < deadline:
            answer = self.client.get(f"/v3/status/{job_id}", headers={"SmileID-Token": self.token})
            if answer.status_code != 202:
                return
            time.sleep(0.1)
        raise TimeoutError(job_id)


class V1Path:
    def __init__(self, server: Server, image_params: list[dict[str, Any]]) -> None:
        self.partner = server.partners[0]
        self.client = server.client()
        self.images = image_params
        self.params: dict[str, dict[str, Any]] = {}
        self.last_zip = b""

    def signature(self) -> dict[str, str]:
        return dict(Signature(self.partner.partner_id, self.partner.api_key).generate_signature())

    def submit(self, n: int) -> Acceptance:
        signature = self.signature()
        params = {
            "user_id": f"v1-bench-{n}-{time.time_ns()}",
            "job_id": f"v1-bench-{n}-{time.time_ns()}",
            "job_type": 4,
        }
        # smile_id_core's prep-upload body (WebApi.__prepare_prep_upload_payload).
        prep_body = {
            "file_name": "selfie.zip",
            "smile_client_id": self.partner.partner_id,
            "partner_params": params,
            "model_parameters": {},
            "callback_url": "",
            "use_enrolled_image": False,
            "source_sdk": "Python",
            "source_sdk_version": get_version(),
            **signature,
        }
        started = time.perf_counter()
        prep = self.client.post(
            "/v1/upload", content=json.dumps(prep_body), headers={"Content-Type": "application/json"}
        )
        prepped = time.perf_counter()
        if prep.status_code != 200:
            raise RuntimeError(f"/v1/upload: {prep.status_code} {prep.text[:300]}")
        answer = prep.json()
        payload = bytes(
            generate_zip_file(
                partner_id=self.partner.partner_id,
                callback_url="",
                upload_url=answer["upload_url"],
                partner_params=params,
                image_params=self.images,
                id_info_params={},
                signature_params=signature,
            )
        )
        zipped = time.perf_counter()
        self.last_zip = payload
        put = self.client.put(
            answer["upload_url"], content=payload, headers={"Content-Type": "application/zip"}
        )
        done = time.perf_counter()
        if put.status_code != 200:
            raise RuntimeError(f"PUT upload_url: {put.status_code} {put.text[:300]}")
        self.params[answer["smile_job_id"]] = params
        prep_ms, put_ms = (prepped - started) * 1000, (done - zipped) * 1000
        return Acceptance(
            prep_ms + put_ms, (zipped - prepped) * 1000, answer["smile_job_id"], (prep_ms, put_ms)
        )

    def wait(self, smile_job_id: str) -> None:
        params = self.params[smile_job_id]
        deadline = time.monotonic() + JOB_TIMEOUT
        while time.monotonic() < deadline:
            body = {
                "partner_id": self.partner.partner_id,
                "user_id": params["user_id"],
                "job_id": params["job_id"],
                "image_links": False,
                "history": False,
                **self.signature(),
            }
            answer = self.client.post("/v1/job_status", json=body)
            answer.raise_for_status()
            if answer.json().get("job_complete"):
                return
            time.sleep(0.1)
        raise TimeoutError(smile_job_id)


def bench_acceptance(
    server: Server, pairs: int, busy: bool, folder: Path
) -> tuple[list[Acceptance], list[Acceptance], dict[str, float]]:
    note("a selfie + 8 frames from the shared video")
    selfie, frames = smart_selfie_job()
    v3 = V3Path(server, selfie, frames)
    v1 = V1Path(server, registration_images(folder))
    # Untimed: the first jobs load the models and the first requests import what they use.
    for n in range(2):
        v3.wait(v3.submit(-1 - n).job)
        v1.wait(v1.submit(-1 - n).job)
        note(f"  untimed pair {n + 1} done")
    results: dict[str, list[Acceptance]] = {"v3": [], "v1": []}
    paths: dict[str, V3Path | V1Path] = {"v3": v3, "v1": v1}
    for n in range(pairs):
        for name in ("v3", "v1") if n % 2 == 0 else ("v1", "v3"):
            accepted = paths[name].submit(n)
            results[name].append(accepted)
            if not busy:
                paths[name].wait(accepted.job)
        if n % 5 == 4 or n == pairs - 1:
            note(f"  {n + 1} pairs")
    note("the V3 path's steps, in this process")
    steps = path_steps(v3.registration("steps"), v1.last_zip)
    return results["v3"], results["v1"], steps


# --- 3. memory while a 10 MB body is taken in ---------------------------------------------------


def large_jpeg(source: Path, side: int, target_bytes: int, seed: int) -> bytes:
    """A face photo scaled to ``side`` px square with sensor-like noise, at the highest JPEG quality
    whose file is at most ``target_bytes`` (as large as a phone's photo)."""
    photo = cv2.imread(str(source))
    height, width = photo.shape[:2]
    edge = min(height, width)
    crop = photo[(height - edge) // 2 : (height + edge) // 2, (width - edge) // 2 : (width + edge) // 2]
    scaled = cv2.resize(crop, (side, side), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    noise = np.random.default_rng(seed).normal(0.0, 3.0, scaled.shape).astype(np.float32)
    image = np.clip(scaled + noise, 0, 255).astype(np.uint8)
    low, high, best = 30, 100, b""
    while low <= high:
        quality = (low + high) // 2
        data = jpeg_bytes(image, quality)
        if len(data) <= target_bytes:
            best, low = data, quality + 1
        else:
            high = quality - 1
    if not best:
        raise RuntimeError(f"no JPEG of {side}px under {target_bytes} bytes")
    return best


@dataclass
class MemoryRun:
    name: str
    body_bytes: int
    status: int
    message: str
    idle_kb: int
    peak_kb: int  # max of VmHWM (after a reset) and the sampled VmRSS while the request ran
    samples_kb: list[int] = field(default_factory=list)
    hwm_reset: bool = True

    @property
    def increase_mb(self) -> float:
        return (self.peak_kb - self.idle_kb) / 1024


@contextlib.contextmanager
def watching(server: Server) -> Iterator[tuple[list[int], bool]]:
    """VmRSS sampled every 2 ms from a thread while the block runs; the peak reset before it."""
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append(server.status_kb("VmRSS"))
            stop.wait(0.002)

    reset = server.reset_peak()
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples, reset
    finally:
        stop.set()
        thread.join()


def quiet_rss(server: Server, steady: int = 1, limit_s: float = 120.0) -> int:
    """The server's resident set once it stopped moving: ``steady`` successive readings 1 s apart
    each within 1 MiB of the one before (the models load in the background at start)."""
    previous, calm = server.status_kb("VmRSS"), 0
    deadline = time.monotonic() + limit_s
    while calm < steady and time.monotonic() < deadline:
        time.sleep(1.0)
        current = server.status_kb("VmRSS")
        calm = calm + 1 if abs(current - previous) < 1024 else 0
        previous = current
    return previous


def measure(server: Server, name: str, send: Callable[[], tuple[int, int, str]]) -> MemoryRun:
    idle = quiet_rss(server)
    with watching(server) as (samples, reset):
        body_bytes, status, message = send()
    peak = max([server.status_kb("VmHWM") if reset else 0, *samples])
    return MemoryRun(name, body_bytes, status, message, idle, peak, samples, reset)


def raw_request(server: Server, head: bytes, chunks: list[bytes]) -> tuple[int, dict[str, Any]]:
    """Send a request over a plain socket, the body from a thread (the server may answer and stop
    reading before it is all sent), and read the answer: its status and JSON body."""
    host, port = server.base.rsplit("/", 1)[-1].split(":")
    sock: socket.socket = socket.create_connection((host, int(port)), timeout=30)
    if server.ca_file is not None:
        context = ssl.create_default_context(cafile=str(server.ca_file))
        sock = context.wrap_socket(sock, server_hostname=host)

    def send_body() -> None:
        with contextlib.suppress(OSError):
            for chunk in chunks:
                sock.sendall(chunk)

    sock.sendall(head)
    sender = threading.Thread(target=send_body, daemon=True)
    sender.start()
    received = b""
    try:
        while b"\r\n\r\n" not in received:
            data = sock.recv(65536)
            if not data:
                break
            received += data
        header_block, _, body = received.partition(b"\r\n\r\n")
        lines = header_block.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next(
            (int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:")),
            0,
        )
        while len(body) < length:
            data = sock.recv(65536)
            if not data:
                break
            body += data
    finally:
        sock.close()
        sender.join(timeout=30)
    return status, json.loads(body) if body else {}


class Bodies:
    """The memory phase's requests to one server: each returns (body bytes, status, message)."""

    def __init__(self, server: Server, client: httpx.Client, images: list[bytes]) -> None:
        self.server = server
        self.client = client
        self.token = client.post("/v3/token", headers=token_headers(server.partners[0])).json()["token"]
        self.selfie = ("selfie.jpg", images[0], "image/jpeg")
        self.frames = [(f"liveness_{i}.jpg", data, "image/jpeg") for i, data in enumerate(images[1:])]

    def _send(self, request: httpx.Request, expected: int) -> tuple[int, int, str]:
        answer = self.client.send(request)
        if answer.status_code != expected:
            raise RuntimeError(f"{request.url.path}: {answer.status_code} {answer.text[:300]}")
        return len(request.content), answer.status_code, str(answer.json().get("message"))

    def registration(self, frames: list[operations.BinaryPart] | None = None) -> httpx.Request:
        built = operations.registration(
            selfie_image=self.selfie,
            liveness_images=self.frames if frames is None else frames,
            consent=consent(),
            user_details=USER_DETAILS,
        )
        return v3_request(self.client, self.token, "/v3/registration", built)

    def parse_only(self) -> tuple[int, int, str]:
        """A registration without consent: refused (400) once the whole body is parsed."""
        built = operations.registration(
            selfie_image=self.selfie, liveness_images=self.frames, consent={}, user_details=USER_DETAILS
        )
        built.json_parts = [part for part in built.json_parts if part[0] != "consent"]
        return self._send(v3_request(self.client, self.token, "/v3/registration", built), 400)

    def whole_path(self) -> tuple[int, int, str]:
        """The authentication of a user never enrolled: refused (400) at the user check, after the
        images are decoded and the job's zip is packed and read back."""
        built = operations.authentication(
            user_id=f"never-enrolled-{time.time_ns()}",
            selfie_image=self.selfie,
            liveness_images=self.frames,
            consent=consent(),
            user_details=USER_DETAILS,
        )
        return self._send(v3_request(self.client, self.token, "/v3/authentication", built), 400)

    def over_request(self) -> httpx.Request:
        """The same parts and one more frame, of the size that passes the limit by 64 KiB."""
        under = len(self.registration().content)
        extra = b"\xff\xd8\xff" + os.urandom(GATEWAY_LIMIT + 64 * 1024 - under - 3 - 200)
        over = self.registration([*self.frames[:7], ("liveness_7.jpg", extra, "image/jpeg"), self.frames[7]])
        if len(over.content) <= GATEWAY_LIMIT:
            raise RuntimeError(f"the body over the limit is {len(over.content)} bytes")
        return over

    def over_limit(self, chunked: bool) -> Callable[[], tuple[int, int, str]]:
        """:meth:`over_request` sent with its Content-Length or chunked (no length), expecting the
        gateway's 413: the request is built now, the returned function sends it."""
        over = self.over_request()
        body = over.content
        pieces = [body[i : i + 65536] for i in range(0, len(body), 65536)]
        head = [
            "POST /v3/registration HTTP/1.1",
            f"Host: {self.server.base.split('//', 1)[1]}",
            f"Content-Type: {over.headers['content-type']}",
            f"SmileID-Token: {self.token}",
            "Connection: close",
        ]
        if chunked:
            head.append("Transfer-Encoding: chunked")
            pieces = [f"{len(piece):x}\r\n".encode() + piece + b"\r\n" for piece in pieces] + [b"0\r\n\r\n"]
        else:
            head.append(f"Content-Length: {len(body)}")
        encoded_head = "\r\n".join([*head, "", ""]).encode()

        def send() -> tuple[int, int, str]:
            status, answer = raw_request(self.server, encoded_head, pieces)
            return len(body), status, _gateway_check(status, answer)

        return send


def large_images() -> list[bytes]:
    """A selfie and 8 frames filling the gateway limit, less room for the other parts."""
    part_target = (GATEWAY_LIMIT - 48 * 1024) // 9
    photos = [FACES / "obama-1080p.jpg", FACES / "obama.jpg", FACES / "obama2.jpg"]
    return [large_jpeg(photos[i % len(photos)], 2400, part_target, seed=i) for i in range(9)]


def bench_memory(folder: Path, tls: bool, runs: int) -> tuple[list[MemoryRun], dict[str, dict[str, float]]]:
    """Each kind of request on a fresh server (after one small request of its kind), so that what
    an earlier large request left in the allocator cannot hide a later one's growth; then again
    on the same server (``, again``: the steady state, where freed memory is reused)."""
    note("9 JPEGs of ~1.1 MB")
    images = large_images()
    small = [FACES / "obama-240p.jpg", FACES / "obama_small.jpg", FACES / "obama-480p.jpg"]
    small_images = [small[i % len(small)].read_bytes() for i in range(9)]
    measured: list[MemoryRun] = []
    for n, kind in enumerate(("parse", "whole")):
        server = start_server(folder / f"memory-{n}", 1, tls)
        try:
            quiet_rss(server, steady=3)  # the models load in the background at start
            with server.client() as client:
                warm = Bodies(server, client, small_images)
                (warm.parse_only if kind == "parse" else warm.whole_path)()
                bodies = Bodies(server, client, images)
                if kind == "parse":
                    # First on this server: a body over the limit must not be held at all.
                    measured.append(
                        measure(server, "over 10 MB, Content-Length: 413", bodies.over_limit(chunked=False))
                    )
                    measured.append(
                        measure(server, "over 10 MB, chunked: 413", bodies.over_limit(chunked=True))
                    )
                    name, send = "10 MB body, parsed (400: no consent)", bodies.parse_only
                    under, over = bodies.registration(), bodies.over_request()
                else:
                    name, send = "10 MB body, whole acceptance path (400: not enrolled)", bodies.whole_path
                for run in range(runs):
                    measured.append(measure(server, name + (", again" if run else ""), send))
        finally:
            server.process.terminate()
            server.process.wait(timeout=60)
    note("what read_form allocates, in this process")
    return measured, parser_memory(under, over)


def _gateway_check(status: int, answer: dict[str, Any]) -> str:
    expected = {"status": "payload_too_large", "message": GATEWAY_TOO_LARGE, "job_id": None, "user_id": None}
    if status != 413 or answer != expected:
        raise RuntimeError(f"over the gateway limit: {status} {answer}")
    return str(answer["message"])


# --- 4. in this process: the V3 path's steps, and what the parser allocates -------------------------


def asgi_request(pieces: list[bytes], content_type: str, declared_length: int | None) -> Request:
    """A Starlette request whose body arrives as ``pieces`` (uvicorn hands a body on in the pieces
    it reads), each let go once handed on."""
    headers = [(b"content-type", content_type.encode())]
    if declared_length is not None:
        headers.append((b"content-length", str(declared_length).encode()))

    async def receive() -> dict[str, Any]:
        if pieces:
            return {"type": "http.request", "body": pieces.pop(0), "more_body": bool(pieces)}
        return {"type": "http.disconnect"}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v3/registration",
        "headers": headers,
        "query_string": b"",
    }
    return Request(scope, receive)


def pieces_of(body: bytes, size: int = 65536) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def parse(request: httpx.Request, *, declared: bool = True, pieces: list[bytes] | None = None) -> V3Form:
    """``read_form`` of ``request``'s body (given as ``pieces``, else cut here)."""
    body = request.content
    incoming = asgi_request(
        pieces_of(body) if pieces is None else pieces,
        request.headers["content-type"],
        len(body) if declared else None,
    )
    forms: list[V3Form] = []

    async def read() -> None:
        # Not the task's result: Python 3.11's asyncio.run formats its task with its result when
        # it restores the SIGINT handler, and a form's repr holds every file's bytes.
        forms.append(await read_form(incoming))

    asyncio.run(read())
    return forms[0]


def median_ms(job: Callable[[], object], runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        job()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def path_steps(registration: httpx.Request, v1_zip: bytes) -> dict[str, float]:
    """Median ms of each step a SmartSelfie registration goes through before its answer, run here
    on the benchmark's own bodies: what the V3 path does that the v1 path does not, and the reverse."""
    form = parse(registration)
    images = Images()
    images.add(ImageRole.SELFIE, form.file("selfie_image"))
    for frame in form.files("liveness_images"):
        images.add(ImageRole.LIVENESS, frame)

    def pack() -> bytes:
        return pack_job_zip(
            partner_params={"user_id": "u", "job_id": "j", "job_type": 4},
            images=[(role, part.data) for role, part in images.parts],
        )

    v3_zip = pack()
    return {
        "V3: read_form (multipart parse)": median_ms(lambda: parse(registration)),
        "V3: pack_job_zip": median_ms(pack),
        "V3: read_job_payload of its zip (the one decode)": median_ms(
            lambda: read_job_payload(v3_zip, CHECK_LIMITS)
        ),
        "v1: read_job_payload of the SDK's zip (PUT)": median_ms(
            lambda: read_job_payload(v1_zip, CHECK_LIMITS)
        ),
    }


def traced_peak(job: Callable[[], object]) -> tuple[float, float]:
    """(peak, still held after) of the Python allocations ``job`` makes, in MiB."""
    gc.collect()
    tracemalloc.start()
    try:
        result = job()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak / 2**20, held / 2**20


def parser_memory(under: httpx.Request, over: httpx.Request) -> dict[str, dict[str, float]]:
    """What ``read_form`` allocates for the 10 MB body, and for the one over the limit sent chunked
    (refused while streaming): independent of what the server's allocator already holds. The
    body's pieces are cut before tracing starts, and each is let go once handed on, as uvicorn's."""

    def refused(pieces: list[bytes]) -> None:
        try:
            parse(over, declared=False, pieces=pieces)
        except V3Error as error:
            if error.http_status != 413:
                raise
            return
        raise RuntimeError("a body over the gateway limit was parsed")

    parse(under)  # once untraced: the first call's own allocations (the thread pool) are not the body's
    under_pieces, over_pieces = pieces_of(under.content), pieces_of(over.content)
    results = {}
    for name, request, job in (
        ("read_form, 10 MB body", under, lambda: parse(under, pieces=under_pieces)),
        ("read_form, over 10 MB chunked (413)", over, lambda: refused(over_pieces)),
    ):
        peak, held = traced_peak(job)
        results[name] = {"body_mib": len(request.content) / 2**20, "peak_mib": peak, "held_mib": held}
    return results


# --- report --------------------------------------------------------------------------------------


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "mean": statistics.fmean(values) if values else math.nan,
    }


def plot(
    token_ms: list[float],
    bare_ms: list[float],
    v3: list[Acceptance],
    v1: list[Acceptance],
    memory: list[MemoryRun],
    allocations: dict[str, dict[str, float]],
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(17, 5), width_ratios=(1, 1.3, 1.6))
    left.boxplot([token_ms, bare_ms], tick_labels=["POST /v3/token", "GET /health\n(bare, in turn)"])
    left.set_ylabel("ms")
    left.set_title(f"token issuance ({len(token_ms)} calls)")
    v3_ms, v1_ms = [a.server_ms for a in v3], [a.server_ms for a in v1]
    middle.boxplot([v3_ms, v1_ms], tick_labels=["V3 registration\n(to the 202)", "v1 prep-upload\n+ PUT"])
    middle.set_ylabel("ms")
    ratio = percentile(v3_ms, 50) / percentile(v1_ms, 50)
    middle.set_title(f"acceptance, selfie + 8 frames, {len(v3)} pairs\nratio of the p50s V3/v1 {ratio:.2f}")
    labels = [f"RSS: {run.name}" for run in memory] + [f"Python allocations: {name}" for name in allocations]
    values = [run.increase_mb for run in memory] + [row["peak_mib"] for row in allocations.values()]
    colours = ["tab:blue"] * len(memory) + ["tab:orange"] * len(allocations)
    right.barh(range(len(values)), values, color=colours)
    right.set_yticks(range(len(values)), labels, fontsize=7)
    right.invert_yaxis()
    right.axvline(GATEWAY_LIMIT / 2**20, color="grey", linestyle="--", label="10 MB (the body)")
    right.set_xlabel("peak over idle (MiB): RSS of the server; allocations of read_form here")
    right.set_title("memory per request")
    right.legend(fontsize=8)
    path = out_path("v3_bench.png")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200, help="POST /v3/token calls")
    parser.add_argument("--pairs", type=int, default=30, help="V3/v1 registrations, one of each per pair")
    parser.add_argument("--memory-runs", type=int, default=2, help="repeats of each 10 MB request")
    parser.add_argument("--busy", action="store_true", help="submit back to back (the worker busy)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS (a development CA)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    partners = max(1, math.ceil(args.requests / TOKENS_PER_PARTNER))
    with tempfile.TemporaryDirectory(prefix="openkyc-v3-bench-") as tmp:
        server = start_server(Path(tmp), partners, args.tls)
        try:
            note(f"POST /v3/token x {args.requests}")
            token_ms, bare_ms = bench_token(server, args.requests)
            note(f"acceptance: {args.pairs} pairs (and 2 untimed)")
            v3, v1, steps = bench_acceptance(server, args.pairs, args.busy, Path(tmp))
        finally:
            server.process.terminate()
            server.process.wait(timeout=60)
        note("memory: two fresh servers")
        memory, allocations = bench_memory(Path(tmp), args.tls, args.memory_runs)
    figures = report(token_ms, bare_ms, v3, v1, steps, memory, allocations, args, load_before)
    path = out_path("v3_bench.json")
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"plot: {plot(token_ms, bare_ms, v3, v1, memory, allocations)}")
    print(f"figures: {path}")


def report(
    token_ms: list[float],
    bare_ms: list[float],
    v3: list[Acceptance],
    v1: list[Acceptance],
    steps: dict[str, float],
    memory: list[MemoryRun],
    parser: dict[str, dict[str, float]],
    args: argparse.Namespace,
    load_before: tuple[float, float, float],
) -> dict[str, Any]:
    v3_ms = [a.server_ms for a in v3]
    v1_ms = [a.server_ms for a in v1]
    ratio = percentile(v3_ms, 50) / percentile(v1_ms, 50)
    rows = [
        ("POST /v3/token", summary(token_ms)),
        ("GET /health (bare, in turn with it)", summary(bare_ms)),
        ("V3 registration, to the 202", summary(v3_ms)),
        ("v1 prep-upload + PUT", summary(v1_ms)),
        ("  v1 prep-upload", summary([a.parts_ms[0] for a in v1])),
        ("  v1 PUT of the zip", summary([a.parts_ms[1] for a in v1])),
        ("client: V3 multipart body", summary([a.client_ms for a in v3])),
        ("client: v1 zip (generate_zip_file)", summary([a.client_ms for a in v1])),
    ]
    scheme = "https" if args.tls else "http"
    worker = "busy with the backlog" if args.busy else "idle (each job waited for)"
    print(
        f"\nopenkyc serve over {scheme}, {os.cpu_count()} CPUs, worker {worker}, load before {load_before[0]:.2f}"
    )
    print(f"{'':38s} {'n':>4s} {'p50 ms':>9s} {'p95 ms':>9s} {'mean ms':>9s}")
    for name, row in rows:
        print(f"{name:38s} {row['n']:4.0f} {row['p50']:9.1f} {row['p95']:9.1f} {row['mean']:9.1f}")
    print(f"V3 / v1 acceptance, ratio of the p50s: {ratio:.2f} (target <= 1.1)")
    print("\nsteps before the answer, run in this process on the same bodies (median ms)")
    for name, ms in steps.items():
        print(f"  {name:52s} {ms:7.1f}")
    print(f"\n{'memory':56s} {'body MB':>8s} {'status':>6s} {'idle MiB':>9s} {'peak +MiB':>9s}")
    for run in memory:
        print(
            f"{run.name:56s} {run.body_bytes / 1e6:8.2f} {run.status:6d} "
            f"{run.idle_kb / 1024:9.1f} {run.increase_mb:9.1f}"
        )
    print("\nPython allocations of read_form, in this process (MiB)")
    for name, row in parser.items():
        print(
            f"  {name:52s} body {row['body_mib']:5.1f}  peak {row['peak_mib']:5.1f}  held {row['held_mib']:5.1f}"
        )
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
            "python": platform.python_version(),
        },
        "settings": {"requests": args.requests, "pairs": args.pairs, "busy": args.busy, "scheme": scheme},
        "token_ms": summary(token_ms),
        "health_ms": summary(bare_ms),
        "acceptance_ms": {name: row for name, row in rows[2:]},
        "ratio_v3_v1_p50": ratio,
        "steps_ms": steps,
        "read_form_allocations_mib": parser,
        "memory": [
            {
                "name": run.name,
                "body_bytes": run.body_bytes,
                "status": run.status,
                "message": run.message,
                "idle_mib": run.idle_kb / 1024,
                "peak_increase_mib": run.increase_mb,
                "hwm_reset": run.hwm_reset,
            }
            for run in memory
        ],
        "raw": {
            "token_ms": token_ms,
            "health_ms": bare_ms,
            "v3_ms": v3_ms,
            "v1_ms": v1_ms,
            "v1_parts_ms": [list(a.parts_ms) for a in v1],
        },
    }


if __name__ == "__main__":
    main()
