"""Throughput of the signed v1 endpoints against a bare endpoint of the same server, and the
end-to-end latency of a SmartSelfie registration (selfie + 8 liveness frames, as the SDKs capture)
from prep-upload to the signed callback.

A real `openkyc serve` runs in a subprocess on loopback (embedded default: SQLite, local blobs,
one in-process worker); the load comes from this process with ``--concurrency`` parallel
keep-alive connections. Both share the machine's cores, so the ratio (signed / bare) is the
figure to compare across machines; absolute requests per second depend on the client too.

    .venv/bin/python -m benchmarks.api_bench [--seconds 10] [--concurrency 8] [--jobs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from pathlib import Path
from typing import Any

import httpx
from smile_id_core.image_upload import generate_zip_file
from smile_id_core.Signature import Signature

from benchmarks.common import out_path, percentile, timing_summary
from benchmarks.engine_latency import smart_selfie_job


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, Any]]:
    cli = [sys.executable, "-m", "openkyc.cli"]
    created = subprocess.run(
        [*cli, "partner", "create", "--data-dir", str(data_dir), "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    port = free_port()
    env = {**os.environ, "OPENKYC_ALLOW_PRIVATE_CALLBACKS": "true"}
    process = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--data-dir", str(data_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base, json.loads(created.stdout)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("openkyc serve did not start")


async def throughput(
    base: str, make_request: Callable[[httpx.AsyncClient], Any], seconds: float, concurrency: int
) -> float:
    """Requests per second completed by ``concurrency`` workers repeating ``make_request``."""
    done = 0
    stop_at = time.monotonic() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal done
        while time.monotonic() < stop_at:
            response = await make_request(client)
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
            done += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.monotonic()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return done / (time.monotonic() - started)


def bench_endpoints(base: str, partner: dict[str, Any], seconds: float, concurrency: int) -> dict[str, float]:
    partner_id, key = partner["partner_id"], partner["api_keys"]["sandbox"]
    job_numbers = count()

    def signed() -> dict[str, str]:
        return dict(Signature(partner_id, key).generate_signature())

    def upload(client: httpx.AsyncClient) -> Any:
        body = {
            "smile_client_id": partner_id,
            "file_name": "selfie.zip",
            "partner_params": {
                "user_id": "bench",
                "job_id": f"bench-{next(job_numbers)}-{time.time_ns()}",
                "job_type": 4,
            },
            "callback_url": "",
            **signed(),
        }
        return client.post("/v1/upload", json=body)

    # One pending job to poll.
    status_job = {"user_id": "bench-status", "job_id": "bench-status-job"}
    prep = httpx.post(
        f"{base}/v1/upload",
        json={"smile_client_id": partner_id, "partner_params": {**status_job, "job_type": 4}, **signed()},
    )
    prep.raise_for_status()

    def job_status(client: httpx.AsyncClient) -> Any:
        return client.post(
            "/v1/job_status", json={"partner_id": partner_id, **status_job, "history": True, **signed()}
        )

    def bare(client: httpx.AsyncClient) -> Any:
        return client.get("/health")

    results = {}
    for name, request in (
        ("bare /health", bare),
        ("signed /v1/upload", upload),
        ("signed /v1/job_status", job_status),
    ):
        results[name] = asyncio.run(throughput(base, request, seconds, concurrency))
    return results


class CallbackClock:
    """Receives callbacks and records when each SmileJobID's first one arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.event = threading.Condition()
        clock = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with clock.event:
                    clock.arrived.setdefault(body["SmileJobID"], time.perf_counter())
                    clock.event.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cb"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, smile_job_id: str, timeout: float = 60) -> float:
        deadline = time.monotonic() + timeout
        with self.event:
            while smile_job_id not in self.arrived:
                if not self.event.wait(deadline - time.monotonic()):
                    raise TimeoutError(smile_job_id)
            return self.arrived[smile_job_id]


def registration_images(folder: Path) -> list[dict[str, Any]]:
    """A genuine selfie + 8 liveness frames (a face track of the shared video), as SDK image params."""
    selfie, frames = smart_selfie_job()
    params = []
    for index, (type_id, data) in enumerate([(0, selfie), *((4, frame) for frame in frames)]):
        path = folder / f"image_{index}.jpg"
        path.write_bytes(data)
        params.append({"image_type_id": type_id, "file_name": str(path)})
    return params


def registration_latency(
    base: str, partner: dict[str, Any], jobs: int, clock: CallbackClock, images: list[dict[str, Any]]
) -> list[float]:
    """Milliseconds from the prep-upload request to the callback's arrival, one job at a time."""
    partner_id, key = partner["partner_id"], partner["api_keys"]["sandbox"]
    latencies = []
    with httpx.Client(timeout=30) as client:
        for n in range(jobs):
            signature = dict(Signature(partner_id, key).generate_signature())
            params = {
                "user_id": f"lat-{n}-{time.time_ns()}",
                "job_id": f"lat-{n}-{time.time_ns()}",
                "job_type": 4,
            }
            started = time.perf_counter()
            prep = client.post(
                f"{base}/v1/upload",
                json={
                    "smile_client_id": partner_id,
                    "partner_params": params,
                    "callback_url": clock.url,
                    **signature,
                },
            ).json()
            payload = generate_zip_file(
                partner_id=partner_id,
                callback_url=clock.url,
                upload_url=prep["upload_url"],
                partner_params=params,
                image_params=images,
                id_info_params={},
                signature_params=signature,
            )
            client.put(prep["upload_url"], content=bytes(payload)).raise_for_status()
            latencies.append((clock.wait(prep["smile_job_id"]) - started) * 1000)
    return latencies


def plot(rates: dict[str, float], latencies: list[float]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.bar(list(rates), list(rates.values()), color=["grey", "tab:blue", "tab:orange"])
    left.set_ylabel("requests / s")
    left.set_title("throughput (same server, same client)")
    left.tick_params(axis="x", labelrotation=15)
    right.boxplot([latencies], tick_labels=["registration (selfie + 8 frames):\nupload → callback"])
    right.set_ylabel("ms")
    right.set_title("end-to-end latency")
    path = out_path("api_bench.png")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openkyc-bench-") as tmp:
        process, base, partner = start_server(Path(tmp))
        try:
            rates = bench_endpoints(base, partner, args.seconds, args.concurrency)
            clock = CallbackClock()
            latencies = registration_latency(base, partner, args.jobs, clock, registration_images(Path(tmp)))
        finally:
            process.terminate()
            process.wait(timeout=30)
    bare = rates["bare /health"]
    for name, rate in rates.items():
        print(f"{name:24s} {rate:8.1f} req/s   ratio to bare {rate / bare:.2f}")
    print(
        f"registration, selfie + 8 frames, upload→callback ({len(latencies)} jobs): {timing_summary(latencies)}"
    )
    worst = min(rates["signed /v1/upload"], rates["signed /v1/job_status"]) / bare
    print(
        f"targets: signed/bare ratio {worst:.2f} (>= 0.5), registration p50 {percentile(latencies, 50):.0f} ms (<= 2000)"
    )
    print(f"plot: {plot(rates, latencies)}")


if __name__ == "__main__":
    main()
