"""Load benchmark: several partners submit SmartSelfie and Document Verification jobs at once, on loopback.

A whole deployment runs as separate processes (scaled default: `openkyc serve` on PostgreSQL,
Celery on Redis, S3 on a moto server, one `openkyc worker`), started afresh for each worker
setting. Partner client threads (``--partners`` x ``--clients-per-partner``) submit jobs the way
the SDKs do (prep-upload, zip, PUT to the upload URL, one job_status right after the PUT) for
``--duration`` seconds, keeping ``--in-flight`` jobs outstanding (submitted and not yet called
back), so the verification queue never runs dry while latency stays bounded. Submission then
stops and the run drains: every accepted job must get its callback within ``--drain-timeout``.

    .venv/bin/python -m benchmarks.load [--duration 60] [--partners 3] [--clients-per-partner 2]
        [--mix selfie=0.5,docv=0.5] [--workers 1,2] [--layout concurrency] [--mode scaled]

Material is that of benchmarks/engine_latency, genuine jobs that pass (engine_latency checks it;
the result codes printed below say what each job got): a SmartSelfie registration (job type 4) is
a genuine selfie + 8 liveness frames of 480x640 cut from the shared video (the window in which the
face is largest); a Document Verification (job type 6) is a synthetic 2200 px passport page with a
shared face photo as its portrait plus a selfie that is another photo of the same person (id_info
US / PASSPORT).

What is printed, per worker setting ("N verification processes": ``--layout concurrency`` runs
one `openkyc worker --concurrency N`, i.e. N prefork verification processes beside one callbacks
worker and one sweeper; ``--layout processes`` runs N `openkyc worker` with one process each):

- accepted / results / callbacks: jobs whose PUT succeeded; of those, jobs with a result in the
  database; jobs with an accepted (HTTP 200) callback. All three must be equal. lost = accepted
  jobs without a result or without a callback after the drain; duplicated = jobs with more than
  one accepted callback or more than one entry in their result history. The script exits 1 when
  either is non-zero in any setting.
- throughput: first callbacks of our jobs that arrived in the steady window, divided by its
  length. The window runs from ``--warmup`` seconds after the first submission (the pipeline
  filling up: the first jobs find idle workers and an empty queue) to the moment submission
  stops (after it the backlog only drains and the workers run out of work). Jobs/s depend on the
  mix, so the mix of the jobs completed in the window is printed beside it.
- latency p50/p95/p99 of the jobs uploaded in the steady window: from the PUT's answer (the
  upload) to the callback's arrival, and from the start of prep-upload to the callback. With a
  full window of outstanding jobs this is mostly queueing (about in-flight / throughput).
- engine throughput: jobs/s that bare engine processes sustain on the same material (decode +
  evidence, as the worker calls the engine: openkyc.jobs.flows), measured beforehand in fresh
  spawned processes after warm-up: 1 process alone, then each process count N of ``--workers``
  in parallel, ``--engine-seconds`` each (at least 2 jobs of each kind). Jobs alternate so as to
  follow the mix; jobs/s = N / (mix-weighted mean seconds per job). CPU s/job is printed too:
  one engine process runs some models on more than one thread (ONNX Runtime inside the OCR).
- ratio (target >= 0.8): measured throughput / (single-process engine throughput x
  min(N, cores)), both at the mix actually completed in the window: 1.0 means the API, queue,
  storage and callbacks cost nothing on top of the verification models. "vs bare N" divides by
  the N-process engine measurement instead, which also accounts for N engine processes not
  scaling perfectly on this machine (memory bandwidth, the processes' own extra threads).
- speed-up: throughput of each setting / throughput of the first (1 -> 2 processes by default),
  raw and mix-adjusted (each throughput first divided by the single-process engine throughput at
  its own window mix, so a window that happened to hold more of the slow DocV jobs is not slower).
- where the time goes (scaled mode): median seconds from upload to the job being queued
  (collection of the direct S3 upload: the worker's sweep every OPENKYC_SWEEP_INTERVAL, or the
  collect task a job_status call queues), from queued to result (queue wait + verification) and
  from result to callback; the verification processes' busy share of the steady window
  (verify_job / collect_upload task time from the worker logs, divided by window x N): near 100%
  means the queue never ran dry; and the mean verify_job task time against the bare engine's mean
  time per job at the same mix and process count: what a job costs on top of the models
  (unzipping and decoding again, storing images encrypted in S3, the database, enrolment).
- CPU in the window: cores used on average by this script and its descendants (the deployment,
  the clients) and by the rest of the machine (/proc). On a shared machine a large "rest" means
  someone else's work skewed the figures of that setting: rerun it.

Submitted jobs follow the mix exactly (a shared weighted round robin over all clients). The
deployment runs with FAST_RECOVERY (1 s sweep) except for the lease and re-dispatch delay, which
keep their production values (LOAD_ENV) so that a backlog built on purpose is not re-dispatched.
Each scaled deployment has its own fresh PostgreSQL database, Redis key prefix and S3 server,
all removed afterwards (``--keep`` keeps the logs).

Figures and per-setting details go to benchmarks/out/load.json, plots to benchmarks/out/load.png.
The machine's load average is recorded too: on a shared machine, other work skews every figure.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import out_path, percentile
from openkyc.job_types import JobType

SELFIE_IMAGE, ID_FRONT_IMAGE, LIVENESS_IMAGE = 0, 1, 4  # image_type_id
JOB_TYPES = {"selfie": JobType.SMART_SELFIE_REGISTRATION, "docv": JobType.DOCUMENT_VERIFICATION}
KIND_LABELS = {"selfie": "SmartSelfie", "docv": "DocV"}
ID_INFO = {"country": "US", "id_type": "PASSPORT"}
ENGINE_MIN_RUNS = 2  # per job type, even past --engine-seconds
# FAST_RECOVERY (deployment.py) re-dispatches a job queued for 15 s and re-stamps its queued_at:
# a load test builds such a backlog on purpose, so it runs with the production values instead
# (they only matter when a worker dies). The 1 s sweep of FAST_RECOVERY is kept.
LOAD_ENV = {"OPENKYC_JOB_LEASE": "PT60S", "OPENKYC_REDISPATCH_AFTER": "PT120S"}
NO_OP_TASK_S = 0.1
VERIFICATION_TASKS = ("openkyc.verify_job", "openkyc.collect_upload")
TASK_LINE = re.compile(r"Task (openkyc\.\w+)\[.*\] succeeded in ([0-9.eE+-]+)s")


# --- pure helpers ----------------------------------------------------------------------------


def parse_mix(text: str) -> dict[str, float]:
    """``selfie=0.5,docv=0.5`` → normalised weights over the known job kinds."""
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in JOB_TYPES:
            raise ValueError(f"unknown job kind {name!r} (known: {', '.join(JOB_TYPES)})")
        weight = float(value)
        if weight < 0:
            raise ValueError(f"negative weight for {name}")
        weights[name] = weights.get(name, 0.0) + weight
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("the mix needs at least one positive weight")
    return {name: weight / total for name, weight in weights.items() if weight > 0}


def parse_counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise ValueError("worker settings are positive integers, e.g. 1,2")
    return counts


def next_kind(counts: dict[str, int], mix: dict[str, float]) -> str:
    """Weighted round robin: the kind furthest behind its share (deterministic, for the engine runs)."""
    return min(sorted(mix), key=lambda kind: (counts.get(kind, 0) + 1) / mix[kind])


def mix_throughput(mean_seconds: dict[str, float], fractions: dict[str, float], processes: int = 1) -> float:
    """Jobs/s of ``processes`` engines at these per-kind mean times and mix fractions."""
    seconds_per_job = sum(fractions[kind] * mean_seconds[kind] for kind in fractions if fractions[kind] > 0)
    return processes / seconds_per_job if seconds_per_job > 0 else float("nan")


def count_in_window(times: list[float], start: float, end: float) -> int:
    return sum(1 for t in times if start <= t < end)


def busy_seconds(intervals: list[tuple[float, float]], start: float, end: float) -> float:
    """Total overlap of (begin, end) intervals with [start, end)."""
    return sum(max(0.0, min(b, end) - max(a, start)) for a, b in intervals)


def fractions_of(kinds: list[str]) -> dict[str, float]:
    counted = Counter(kinds)
    total = sum(counted.values())
    return {kind: n / total for kind, n in counted.items()} if total else {}


def quantiles(values: list[float]) -> dict[str, float | int]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
    }


# --- material ----------------------------------------------------------------------------------


@dataclass
class Material:
    """The jobs' images as bytes (for the engine) and as files (for the SDK's zip)."""

    selfie: bytes
    frames: list[bytes]
    document: bytes
    doc_selfie: bytes
    files: dict[str, list[tuple[int, Path]]] = field(default_factory=dict)


def prepare_material(directory: Path) -> Material:
    from benchmarks.engine_latency import document_job, smart_selfie_job

    selfie, frames = smart_selfie_job()
    document, doc_selfie = document_job()
    material = Material(selfie, frames, document, doc_selfie)

    def write(name: str, data: bytes) -> Path:
        path = directory / name
        path.write_bytes(data)
        return path

    material.files = {
        "selfie": [
            (SELFIE_IMAGE, write("selfie.jpg", selfie)),
            *((LIVENESS_IMAGE, write(f"frame_{i}.jpg", f)) for i, f in enumerate(frames)),
        ],
        "docv": [
            (SELFIE_IMAGE, write("docv_selfie.jpg", doc_selfie)),
            (ID_FRONT_IMAGE, write("passport.jpg", document)),
        ],
    }
    return material


# --- the engine's own throughput ----------------------------------------------------------------


def _engine_worker(
    index: int,
    material: Material,
    mix: dict[str, float],
    seconds: float,
    phases: list[int],
    barrier: Any,  # multiprocessing Barrier of every engine process
    results: Any,  # multiprocessing Queue
) -> None:
    """One bare engine process: warm up; then, phase by phase, run the mix for ``seconds`` when
    this process is among the phase's first N (and stay idle otherwise)."""
    from openkyc.engine.document_verification import assess_document_verification
    from openkyc.engine.images.decode import load_image
    from openkyc.engine.smart_selfie import assess_smart_selfie
    from openkyc.engine.warmup import load_models

    def selfie_job() -> None:
        # As flows._decide does for job type 4 (decoding included: the worker decodes the zip).
        assess_smart_selfie(load_image(material.selfie), [load_image(f) for f in material.frames])

    def docv_job() -> None:
        # As flows._document_verification does for job type 6 with a selfie and no frames.
        assess_document_verification(
            load_image(material.document),
            load_image(material.doc_selfie),
            frames=[],
            back=None,
            declared_id_type=ID_INFO["id_type"],
            declared_country=ID_INFO["country"],
        )

    jobs = {"selfie": selfie_job, "docv": docv_job}
    load_models()
    for kind in mix:
        jobs[kind]()  # first run of each: lazily built pieces, caches
    for phase in phases:
        barrier.wait()  # every process warm and every earlier phase over
        if index >= phase:
            continue
        deadline = time.perf_counter() + seconds
        counts: dict[str, int] = {}
        samples: list[tuple[str, float, float]] = []
        while time.perf_counter() < deadline or any(counts.get(k, 0) < ENGINE_MIN_RUNS for k in mix):
            kind = next_kind(counts, mix)
            wall, cpu = time.perf_counter(), time.process_time()
            jobs[kind]()
            samples.append((kind, time.perf_counter() - wall, time.process_time() - cpu))
            counts[kind] = counts.get(kind, 0) + 1
        results.put((phase, samples))


def measure_engine(
    material: Material, mix: dict[str, float], seconds: float, phases: list[int]
) -> dict[int, dict[str, Any]]:
    """Bare engine processes on the mix: for each N of ``phases``, N of them in parallel for
    ``seconds`` (one warm-up for all phases); per-kind mean wall and CPU time, jobs/s at the mix."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(max(phases))
    results = context.Queue()
    workers = [
        context.Process(target=_engine_worker, args=(i, material, mix, seconds, phases, barrier, results))
        for i in range(max(phases))
    ]
    for worker in workers:
        worker.start()
    samples: dict[int, list[tuple[str, float, float]]] = {n: [] for n in phases}
    try:
        for _ in range(sum(phases)):
            phase, found = results.get(timeout=seconds * len(phases) + 900)
            samples[phase].extend(found)
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    figures: dict[int, dict[str, Any]] = {}
    for n, found in samples.items():
        count = Counter(k for k, *_ in found)
        mean_wall = {kind: sum(w for k, w, _ in found if k == kind) / max(1, count[kind]) for kind in mix}
        mean_cpu = {kind: sum(c for k, _, c in found if k == kind) / max(1, count[kind]) for kind in mix}
        figures[n] = {
            "processes": n,
            "jobs": dict(count),
            "mean_wall_s": mean_wall,
            "mean_cpu_s": mean_cpu,
            "throughput": mix_throughput(mean_wall, mix, n),
        }
    return figures


# --- one load run ---------------------------------------------------------------------------------


@dataclass
class JobRecord:
    smile_job_id: str
    partner: int
    kind: str
    prep_start: float  # time.monotonic()
    put_done: float | None = None
    callback_at: float | None = None
    error: str | None = None


@dataclass
class LoadState:
    in_flight: threading.Semaphore
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    records: dict[str, JobRecord] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unknown_callbacks: int = 0
    kinds_submitted: dict[str, int] = field(default_factory=dict)

    def next_kind(self, mix: dict[str, float]) -> str:
        """The next job kind across all clients, so that the submitted mix is the asked one."""
        with self.lock:
            kind = next_kind(self.kinds_submitted, mix)
            self.kinds_submitted[kind] = self.kinds_submitted.get(kind, 0) + 1
            return kind


def create_partner(deployment: Any, name: str) -> tuple[str, str]:
    """Another sandbox partner, made as start_deployment makes its own (the CLI, the deployment's env)."""
    command = ["partner", "create", "--data-dir", str(deployment.data_dir), "--name", name, "--json"]
    created = subprocess.run(
        [sys.executable, "-m", "openkyc.cli", *command],
        check=True,
        capture_output=True,
        text=True,
        env=deployment.env,
    )
    partner = json.loads(created.stdout)
    return str(partner["partner_id"]), str(partner["api_keys"]["sandbox"])


def submitter(
    state: LoadState,
    client: Any,  # PartnerClient
    partner: int,
    name: str,
    material: Material,
    mix: dict[str, float],
    poll_after_put: bool,
) -> None:
    """Closed loop: take an in-flight slot, submit one job; the slot comes back with its callback."""
    sequence = 0
    while not state.stop.is_set():
        if not state.in_flight.acquire(timeout=0.2):
            continue
        if state.stop.is_set():
            state.in_flight.release()
            return
        kind = state.next_kind(mix)
        sequence += 1
        job_id = f"load-{name}-{sequence}"
        params = {"user_id": f"user-{job_id}", "job_id": job_id, "job_type": JOB_TYPES[kind]}
        id_info = ID_INFO if kind == "docv" else None
        prep_start = time.monotonic()
        record: JobRecord | None = None
        try:
            prep = client.prep_upload(params)
            record = JobRecord(str(prep["smile_job_id"]), partner, kind, prep_start)
            with state.lock:
                state.records[record.smile_job_id] = record
            payload = client.make_zip(params, prep["upload_url"], material.files[kind], id_info)
            client.put_zip(prep["upload_url"], payload).raise_for_status()
            record.put_done = time.monotonic()
            if poll_after_put:
                # As the SDKs do; with S3 uploads it also asks a worker to collect the upload now.
                client.job_status(params["user_id"], job_id)
        except Exception as error:
            message = f"{type(error).__name__}: {error}"[:300]
            with state.lock:
                state.errors.append(message)
            if record is None or record.put_done is None:
                if record is not None:
                    record.error = message
                state.in_flight.release()  # never accepted: no callback will free the slot


def watch_callbacks(state: LoadState, receiver: Any, done: threading.Event) -> None:
    """Match accepted callbacks to jobs (first one per job frees its in-flight slot)."""
    cursor = 0
    while not done.is_set():
        arrived = receiver.received[cursor:]
        cursor += len(arrived)
        for item in arrived:
            if item.status != 200:
                continue
            smile_job_id = str(item.body.get("SmileJobID", ""))
            with state.lock:
                record = state.records.get(smile_job_id)
                if record is None:
                    state.unknown_callbacks += 1
                    continue
                first = record.callback_at is None
                if first:
                    record.callback_at = item.at
            if first:
                state.in_flight.release()
        time.sleep(0.02)


def read_jobs(database_url: str) -> dict[str, dict[str, Any]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT smile_job_id, state, attempts, result IS NOT NULL AS has_result, history,"
                    " queued_at, completed_at FROM jobs"
                )
            ).all()
    finally:
        engine.dispose()
    jobs: dict[str, dict[str, Any]] = {}
    for row in rows:
        history = json.loads(row.history) if isinstance(row.history, str) else row.history
        jobs[row.smile_job_id] = {
            "state": row.state,
            "attempts": row.attempts,
            "has_result": bool(row.has_result),
            "history": len(history or []),
            "queued_at": _epoch(row.queued_at),
            "completed_at": _epoch(row.completed_at),
        }
    return jobs


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return float(value.timestamp())


def cpu_sample() -> tuple[float, float, float]:
    """(monotonic time, busy CPU seconds of the whole machine, CPU seconds of this process and its
    descendants: the deployment's processes and the load clients) from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    busy = (sum(fields) - fields[3] - fields[4]) / tick  # all but idle and iowait
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parents[int(entry.name)] = int(stat[1])
        times[int(entry.name)] = int(stat[11]) + int(stat[12])
    ours, frontier = {os.getpid()}, [os.getpid()]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in ours]
        ours.update(children)
        frontier.extend(children)
    return time.monotonic(), busy, sum(times.get(pid, 0) for pid in ours) / tick


def cpu_use(start: tuple[float, float, float], stop: tuple[float, float, float]) -> dict[str, float]:
    """Cores used on average between two samples: by the benchmark and its deployment, by the rest."""
    seconds = max(1e-9, stop[0] - start[0])
    ours = (stop[2] - start[2]) / seconds
    return {"ours": ours, "rest": (stop[1] - start[1]) / seconds - ours}


def _since(epoch: float | None, origin: float) -> float | None:
    return None if epoch is None else epoch - origin


def task_intervals(data_dir: Path) -> dict[str, list[tuple[float, float]]]:
    """(start, end) wall-clock epochs of the workers' verify_job and collect_upload tasks."""
    found: dict[str, list[tuple[float, float]]] = {}
    for log in sorted(data_dir.glob("worker-*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if not line.startswith("{") or "succeeded in" not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            match = TASK_LINE.search(str(entry.get("message", "")))
            if match is None:
                continue
            end = datetime.fromisoformat(entry["ts"]).timestamp()
            found.setdefault(match.group(1), []).append((end - float(match.group(2)), end))
    return found


@dataclass
class LoadWindow:
    """When the load ran (time.monotonic()), and what the machine did meanwhile."""

    load_start: float
    load_stop: float
    warmup: float
    duration: float
    # time.time() - time.monotonic(): turns the records' monotonic times into the database's epochs.
    wall_offset: float
    cpu_start: tuple[float, float, float]
    cpu_stop: tuple[float, float, float]
    load_average_start: tuple[float, float, float]
    load_average_stop: tuple[float, float, float]

    @property
    def start(self) -> float:
        """The measured window starts after the warm-up."""
        return self.load_start + self.warmup

    @property
    def seconds(self) -> float:
        return max(1e-9, self.load_stop - self.start)

    @property
    def wall(self) -> tuple[float, float]:
        return (self.start + self.wall_offset, self.load_stop + self.wall_offset)


def run_setting(
    args: argparse.Namespace, processes: int, material: Material, mix: dict[str, float]
) -> dict[str, Any]:
    """One load run: start a deployment, drive it through warm-up and the window, wait for every
    accepted job's callback, stop it, and compute the figures."""
    from testkit.callback_receiver import CallbackReceiver

    data_dir = Path(tempfile.mkdtemp(prefix=f"openkyc-load-{processes}-"))
    deployment, startup_s = start_setting(args, processes, data_dir)
    receiver = CallbackReceiver()
    receiver.start()
    in_flight = args.in_flight or 2 * processes + 2
    state = LoadState(in_flight=threading.Semaphore(in_flight))
    watcher_done = threading.Event()
    try:
        partners = [(deployment.partner_id, deployment.sandbox_key)] + [
            create_partner(deployment, f"load-{i}") for i in range(1, args.partners)
        ]
        print(
            f"  deployment up in {startup_s:.1f} s ({args.mode}, {processes} verification process(es)); "
            f"{len(partners)} partners x {args.clients_per_partner} clients, {in_flight} jobs in flight"
        )
        watcher = threading.Thread(target=watch_callbacks, args=(state, receiver, watcher_done), daemon=True)
        watcher.start()
        window = drive_load(args, state, deployment, receiver, partners, material, mix)
        drain(state, args.drain_timeout)
        drained_s = time.monotonic() - window.load_stop
        time.sleep(args.settle)  # late duplicates, if any, arrive now
        watcher_done.set()
        watcher.join(timeout=5)
        jobs = read_jobs(deployment.database_url)
        tasks = task_intervals(data_dir) if args.mode == "scaled" else {}
    finally:
        watcher_done.set()
        receiver.stop()
        deployment.stop()
        if args.keep:
            print(f"  logs kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    setting = {
        "processes": processes,
        "mode": args.mode,
        "layout": args.layout if args.mode == "scaled" else "threads in openkyc serve",
        "in_flight": in_flight,
        "startup_s": startup_s,
        "window_s": window.seconds,
        "drain_s": drained_s,
    }
    return {**setting, **collect_figures(state, receiver.received, jobs, tasks, window, processes, mix)}


def start_setting(args: argparse.Namespace, processes: int, data_dir: Path) -> tuple[Any, float]:
    """The deployment under test, and the seconds it took to come up."""
    from testkit.deployment import start_deployment

    started = time.monotonic()
    try:
        if args.mode == "scaled":
            workers, concurrency = (1, processes) if args.layout == "concurrency" else (processes, 1)
            deployment = start_deployment(
                "scaled", data_dir, workers=workers, worker_concurrency=concurrency, extra_env=LOAD_ENV
            )
        else:
            deployment = start_deployment(
                "embedded", data_dir, extra_env={**LOAD_ENV, "OPENKYC_WORKERS": str(processes)}
            )
    except BaseException:
        # start_deployment stopped what it had started; its logs say why (kept with --keep).
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        raise
    return deployment, time.monotonic() - started


def drive_load(
    args: argparse.Namespace,
    state: LoadState,
    deployment: Any,
    receiver: Any,
    partners: list[tuple[str, str]],
    material: Material,
    mix: dict[str, float],
) -> LoadWindow:
    """Every partner's clients submit for the warm-up and the window, then stop and finish their
    last job's upload; the machine's CPU use is sampled over the window."""
    from testkit.partner_client import PartnerClient

    wall_offset = time.time() - time.monotonic()
    load_start = time.monotonic()
    threads = [
        threading.Thread(
            target=submitter,
            args=(
                state,
                PartnerClient(deployment.base_url, pid, key, receiver.url, verify=deployment.verify),
                p,
                f"p{p}c{c}",
                material,
                mix,
                not args.no_poll,
            ),
            daemon=True,
        )
        for p, (pid, key) in enumerate(partners)
        for c in range(args.clients_per_partner)
    ]
    for thread in threads:
        thread.start()
    load_average_start = os.getloadavg()
    time.sleep(max(0.0, load_start + args.warmup - time.monotonic()))
    cpu_start = cpu_sample()
    time.sleep(max(0.0, load_start + args.duration - time.monotonic()))
    cpu_stop = cpu_sample()
    state.stop.set()
    load_stop = time.monotonic()
    load_average_stop = os.getloadavg()
    for thread in threads:
        thread.join(timeout=120)
    return LoadWindow(
        load_start=load_start,
        load_stop=load_stop,
        warmup=args.warmup,
        duration=args.duration,
        wall_offset=wall_offset,
        cpu_start=cpu_start,
        cpu_stop=cpu_stop,
        load_average_start=load_average_start,
        load_average_stop=load_average_stop,
    )


def drain(state: LoadState, timeout: float) -> None:
    """Wait (up to ``timeout`` seconds) until every accepted job has been called back."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with state.lock:
            waiting = [r for r in state.records.values() if r.put_done is not None and r.callback_at is None]
        if not waiting:
            break
        time.sleep(0.2)


def collect_figures(
    state: LoadState,
    received: list[Any],  # the CallbackReceiver's callbacks
    jobs: dict[str, dict[str, Any]],
    tasks: dict[str, list[tuple[float, float]]],
    window: LoadWindow,
    processes: int,
    mix: dict[str, float],
) -> dict[str, Any]:
    """What a run measured: delivery (lost and duplicated jobs), throughput and latency in the
    window, where the time went, and every job's timeline."""
    accepted = [r for r in state.records.values() if r.put_done is not None]
    accepted_callbacks = Counter(str(item.body.get("SmileJobID")) for item in received if item.status == 200)
    with_result = [r for r in accepted if jobs.get(r.smile_job_id, {}).get("has_result")]
    called_back = [r for r in accepted if accepted_callbacks[r.smile_job_id] >= 1]
    lost = [
        r.smile_job_id
        for r in accepted
        if not jobs.get(r.smile_job_id, {}).get("has_result") or accepted_callbacks[r.smile_job_id] == 0
    ]
    duplicated = [
        r.smile_job_id
        for r in accepted
        if accepted_callbacks[r.smile_job_id] > 1 or jobs.get(r.smile_job_id, {}).get("history", 0) > 1
    ]
    in_window = [
        r for r in accepted if r.callback_at is not None and window.start <= r.callback_at < window.load_stop
    ]
    steady = [
        r
        for r in accepted
        if r.put_done is not None
        and r.callback_at is not None
        and window.start <= r.put_done < window.load_stop
    ]
    result_codes = Counter(
        f"{KIND_LABELS[state.records[sid].kind]} {item.body.get('ResultCode')}"
        for item in received
        if item.status == 200 and (sid := str(item.body.get("SmileJobID"))) in state.records
    )
    verify_tasks = verify_task_seconds(tasks, window)
    return {
        "submitted": len(state.records),
        "submit_errors": len(state.errors),
        "submit_error_samples": state.errors[:5],
        "accepted": len(accepted),
        "results": len(with_result),
        "callbacks": len(called_back),
        "lost": lost,
        "duplicated": duplicated,
        "unknown_callbacks": state.unknown_callbacks,
        "retried_jobs": sum(1 for r in accepted if jobs.get(r.smile_job_id, {}).get("attempts", 0) > 1),
        "completed_in_window": len(in_window),
        "window_mix": fractions_of([r.kind for r in in_window]),
        "throughput": len(in_window) / window.seconds,
        "latency_s": latency_figures(steady, mix),
        "stages_median_s": {
            name: percentile(values, 50) for name, values in stage_seconds(steady, jobs, window).items()
        },
        "busy_share": busy_shares(tasks, window, processes),
        "verify_task_mean_s": sum(verify_tasks) / len(verify_tasks) if verify_tasks else float("nan"),
        "verify_tasks": len(verify_tasks),
        "result_codes": dict(sorted(result_codes.items())),
        "load_average": {"start": window.load_average_start, "stop": window.load_average_stop},
        "cpu_cores_used": cpu_use(window.cpu_start, window.cpu_stop),
        "upload_to_callback_samples": [r.callback_at - r.put_done for r in steady],  # type: ignore[operator]
        "jobs": job_timelines(state, jobs, window),
        "callback_times": sorted(
            r.callback_at - window.load_start for r in accepted if r.callback_at is not None
        ),
        "warmup_s": window.warmup,
        "duration_s": window.duration,
    }


def latency_figures(steady: list[JobRecord], mix: dict[str, float]) -> dict[str, Any]:
    """Quantiles of the jobs uploaded in the window, from their upload (and their prep) to the callback."""
    return {
        "upload_to_callback": quantiles([r.callback_at - r.put_done for r in steady]),  # type: ignore[operator]
        "prep_to_callback": quantiles([r.callback_at - r.prep_start for r in steady]),  # type: ignore[operator]
        "by_kind_upload_to_callback": {
            kind: quantiles([r.callback_at - r.put_done for r in steady if r.kind == kind])  # type: ignore[operator]
            for kind in mix
        },
    }


def stage_seconds(
    steady: list[JobRecord], jobs: dict[str, dict[str, Any]], window: LoadWindow
) -> dict[str, list[float]]:
    """Where the time goes, from the database's timestamps (wall clock, same machine)."""
    stages: dict[str, list[float]] = {
        "upload_to_queued": [],
        "queued_to_result": [],
        "result_to_callback": [],
    }
    for r in steady:
        row = jobs.get(r.smile_job_id, {})
        put_wall = r.put_done + window.wall_offset  # type: ignore[operator]
        callback_wall = r.callback_at + window.wall_offset  # type: ignore[operator]
        if row.get("queued_at") is not None:
            stages["upload_to_queued"].append(row["queued_at"] - put_wall)
            if row.get("completed_at") is not None:
                stages["queued_to_result"].append(row["completed_at"] - row["queued_at"])
        if row.get("completed_at") is not None:
            stages["result_to_callback"].append(callback_wall - row["completed_at"])
    return stages


def busy_shares(
    tasks: dict[str, list[tuple[float, float]]], window: LoadWindow, processes: int
) -> dict[str, float]:
    """The share of the verification processes' time each verification task kept them busy in the window."""
    busy = {
        name: busy_seconds(tasks.get(name, []), *window.wall) / (window.seconds * processes) for name in tasks
    }
    return {name: share for name, share in busy.items() if name in VERIFICATION_TASKS}


def verify_task_seconds(tasks: dict[str, list[tuple[float, float]]], window: LoadWindow) -> list[float]:
    """Seconds of the verify_job tasks that ran a job in the window (a duplicate message finds the
    job claimed: milliseconds)."""
    start, stop = window.wall
    return [
        end - begin
        for begin, end in tasks.get("openkyc.verify_job", [])
        if end - begin > NO_OP_TASK_S and start <= end < stop
    ]


def job_timelines(
    state: LoadState, jobs: dict[str, dict[str, Any]], window: LoadWindow
) -> list[dict[str, Any]]:
    """Every submitted job's steps, in seconds from the start of the load."""
    origin, wall_origin = window.load_start, window.load_start + window.wall_offset
    return [
        {
            "smile_job_id": r.smile_job_id,
            "partner": r.partner,
            "kind": r.kind,
            "prep_start": r.prep_start - origin,
            "put_done": None if r.put_done is None else r.put_done - origin,
            "queued": _since(jobs.get(r.smile_job_id, {}).get("queued_at"), wall_origin),
            "result": _since(jobs.get(r.smile_job_id, {}).get("completed_at"), wall_origin),
            "callback": None if r.callback_at is None else r.callback_at - origin,
            "error": r.error,
        }
        for r in sorted(state.records.values(), key=lambda r: r.prep_start)
    ]


# --- report -------------------------------------------------------------------------------------


def add_ratios(setting: dict[str, Any], engines: dict[int, dict[str, Any]], cores: int, first: float) -> None:
    """Engine capacity at the mix completed in the window, measured / capacity, and the speed-up.

    ``effective`` is the measured throughput in single-engine-process units (jobs/s divided by
    what one bare process sustains at the same mix): it is what the mix-adjusted speed-up compares,
    so that a window that happened to hold more of the slow DocV jobs does not count as slower.
    ``first``: the first setting's ``effective`` (NaN for the first setting itself).
    """
    n = setting["processes"]
    fractions = setting["window_mix"] or {}
    nan = float("nan")
    single = mix_throughput(engines[1]["mean_wall_s"], fractions, 1) if fractions else nan
    setting["engine_single"] = single
    setting["engine_capacity"] = single * min(n, cores)
    setting["effective"] = setting["throughput"] / single if single > 0 else nan
    setting["ratio"] = setting["effective"] / min(n, cores)
    bare = engines.get(n)
    bare_capacity = mix_throughput(bare["mean_wall_s"], fractions, n) if bare and fractions else nan
    setting["engine_bare_capacity"] = bare_capacity
    setting["ratio_vs_bare"] = setting["throughput"] / bare_capacity if bare_capacity > 0 else nan
    # One verify_job task against one bare engine job of the same mix in as many parallel processes.
    engine_mean = n / bare_capacity if bare_capacity > 0 else nan
    setting["engine_mean_s"] = engine_mean
    setting["task_overhead"] = setting["verify_task_mean_s"] / engine_mean if engine_mean > 0 else nan
    setting["speed_up"] = 1.0 if math.isnan(first) else setting["effective"] / first


def print_report(
    settings: list[dict[str, Any]], engines: dict[int, dict[str, Any]], mix: dict[str, float]
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 120))
    engine_table = Table(title=f"Bare engine (decode + evidence, after warm-up), mix {_mix_text(mix)}")
    for column in ("processes", "jobs run", "mean s/job", "CPU s/job", "jobs/s at the mix"):
        engine_table.add_column(column, justify="right")
    for n, engine in sorted(engines.items()):
        engine_table.add_row(
            str(n),
            _per_kind(engine["jobs"], "{}"),
            _per_kind(engine["mean_wall_s"], "{:.2f}"),
            _per_kind(engine["mean_cpu_s"], "{:.2f}"),
            f"{engine['throughput']:.3f}",
        )
    console.print(engine_table)

    checks = Table(title="Every accepted job answered once (after the drain)")
    for column in ("verif. processes", "submitted", "accepted", "results", "callbacks", "lost", "duplicated"):
        checks.add_column(column, justify="right")
    for s in settings:
        checks.add_row(
            *(str(s[key]) for key in ("processes", "submitted", "accepted", "results", "callbacks")),
            str(len(s["lost"])),
            str(len(s["duplicated"])),
        )
    console.print(checks)

    table = Table(title="Throughput and latency (steady window: warm-up and drain left out)")
    for column in (
        "verif. processes",
        "jobs/s",
        "window mix",
        "upload→callback p50/p95/p99 s",
        "prep→callback p50/p95/p99 s",
        "engine jobs/s x min(N, cores)",
        "ratio (vs bare N)",
        "speed-up raw (mix-adj.)",
    ):
        table.add_column(column, justify="right")
    base = settings[0]["throughput"] if settings else float("nan")
    for s in settings:
        up, prep = s["latency_s"]["upload_to_callback"], s["latency_s"]["prep_to_callback"]
        table.add_row(
            str(s["processes"]),
            f"{s['throughput']:.3f} ({s['completed_in_window']} in {s['window_s']:.0f} s)",
            _mix_text(s["window_mix"]),
            f"{up['p50']:.1f} / {up['p95']:.1f} / {up['p99']:.1f}",
            f"{prep['p50']:.1f} / {prep['p95']:.1f} / {prep['p99']:.1f}",
            f"{s['engine_capacity']:.3f}",
            f"{s['ratio']:.2f} ({s['ratio_vs_bare']:.2f})",
            f"{s['throughput'] / base:.2f}x ({s['speed_up']:.2f}x)" if base else "n/a",
        )
    console.print(table)
    for s in settings:
        stages = ", ".join(f"{k.replace('_', ' ')} {v:.2f} s" for k, v in s["stages_median_s"].items())
        busy = ", ".join(f"{k.removeprefix('openkyc.')} {v:.0%}" for k, v in sorted(s["busy_share"].items()))
        by_kind = ", ".join(
            f"{KIND_LABELS[k]} p50 {v['p50']:.1f} s (n={v['n']})"
            for k, v in s["latency_s"]["by_kind_upload_to_callback"].items()
        )
        load = s["load_average"]
        print(
            f"{s['processes']} process(es) [{s['layout']}, {s['in_flight']} jobs in flight]:\n"
            f"  medians: {stages}\n"
            f"  upload→callback by kind: {by_kind}\n"
            f"  verification processes busy (share of window x N): {busy or 'n/a'}\n"
            f"  verify_job task mean {s['verify_task_mean_s']:.2f} s (n={s['verify_tasks']}) vs bare engine "
            f"{s['engine_mean_s']:.2f} s per job at the window mix with {s['processes']} process(es): "
            f"x{s['task_overhead']:.2f}\n"
            f"  up in {s['startup_s']:.0f} s, drained in {s['drain_s']:.1f} s; submit errors "
            f"{s['submit_errors']}, unknown callbacks {s['unknown_callbacks']}, jobs retried "
            f"{s['retried_jobs']}; load average {load['start'][0]:.1f} → {load['stop'][0]:.1f}\n"
            f"  CPU in the window (cores of {os.cpu_count()}): benchmark + deployment processes "
            f"{s['cpu_cores_used']['ours']:.2f}, the rest of the machine {s['cpu_cores_used']['rest']:.2f} "
            "(PostgreSQL and Redis, which serve this run, and anything else running)\n"
            f"  result codes: {s['result_codes']}"
        )
        for sample in s["submit_error_samples"]:
            print(f"  submit error: {sample}")
    print("targets: lost = duplicated = 0; ratio >= 0.8")


def _per_kind(values: dict[str, Any], spec: str) -> str:
    return ", ".join(f"{KIND_LABELS[k]} {spec.format(v)}" for k, v in sorted(values.items()))


def _mix_text(mix: dict[str, float]) -> str:
    return ", ".join(f"{KIND_LABELS[k]} {v:.0%}" for k, v in sorted(mix.items())) or "n/a"


def plot(settings: list[dict[str, Any]]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (timeline, bars, boxes) = plt.subplots(1, 3, figsize=(15, 4.5))
    for s in settings:
        times = s["callback_times"]
        timeline.step(times, range(1, len(times) + 1), where="post", label=f"{s['processes']} process(es)")
    if settings:
        warmup, duration = settings[0]["warmup_s"], settings[0]["duration_s"]
        timeline.axvspan(warmup, duration, color="grey", alpha=0.15, label="steady window")
    timeline.set_xlabel("s since the first submission")
    timeline.set_ylabel("jobs called back")
    timeline.legend()
    labels = [str(s["processes"]) for s in settings]
    x = range(len(settings))
    for offset, key, label in (
        (-0.27, "throughput", "measured"),
        (0.0, "engine_capacity", "engine (1 process) x min(N, cores)"),
        (0.27, "engine_bare_capacity", "bare engine, N processes"),
    ):
        bars.bar([i + offset for i in x], [s[key] for s in settings], width=0.27, label=label)
    bars.set_xticks(list(x), labels)
    bars.set_xlabel("verification processes")
    bars.set_ylabel("jobs/s (steady window)")
    bars.legend(fontsize="small", loc="upper left")
    boxes.boxplot([s["upload_to_callback_samples"] or [float("nan")] for s in settings], tick_labels=labels)
    boxes.set_xlabel("verification processes")
    boxes.set_ylabel("s from upload to callback (steady window)")
    fig.tight_layout()
    path = out_path("load.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of submission per setting")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds left out of the steady window")
    parser.add_argument("--partners", type=int, default=3)
    parser.add_argument("--clients-per-partner", type=int, default=2)
    parser.add_argument("--mix", default="selfie=0.5,docv=0.5", help="job kinds and weights")
    parser.add_argument("--workers", default="1,2", help="verification processes per setting, e.g. 1,2")
    parser.add_argument(
        "--layout",
        choices=["concurrency", "processes"],
        default="concurrency",
        help="concurrency: one `openkyc worker --concurrency N`; processes: N `openkyc worker`",
    )
    parser.add_argument("--mode", choices=["scaled", "embedded"], default="scaled")
    parser.add_argument("--in-flight", type=int, default=0, help="jobs outstanding (default 2 x N + 2)")
    parser.add_argument("--no-poll", action="store_true", help="no job_status call after the PUT")
    parser.add_argument("--engine-seconds", type=float, default=20.0)
    parser.add_argument("--drain-timeout", type=float, default=180.0)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait for late duplicates")
    parser.add_argument("--keep", action="store_true", help="keep the deployments' data dirs and logs")
    args = parser.parse_args()
    mix = parse_mix(args.mix)
    worker_settings = parse_counts(args.workers)
    if args.warmup >= args.duration:
        parser.error("--warmup must be shorter than --duration")
    cores = os.cpu_count() or 1
    began = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="openkyc-load-material-") as material_dir:
        print("preparing material ...")
        material = prepare_material(Path(material_dir))
        phases = sorted({1, *worker_settings})
        print(
            f"engine throughput: {', '.join(map(str, phases))} bare process(es), {args.engine_seconds:.0f} s each ..."
        )
        engines = measure_engine(material, mix, args.engine_seconds, phases)
        engine_load_average = os.getloadavg()
        for n, engine in engines.items():
            print(f"  {n} process(es): {engine['throughput']:.3f} jobs/s at the mix ({engine['jobs']})")
        settings: list[dict[str, Any]] = []
        for n in worker_settings:
            print(f"load with {n} verification process(es), {args.duration:.0f} s ...")
            settings.append(run_setting(args, n, material, mix))
            first = settings[0]["effective"] if len(settings) > 1 else float("nan")
            add_ratios(settings[-1], engines, cores, first)
    print_report(settings, engines, mix)
    print(f"total {time.monotonic() - began:.0f} s on {cores} cores")
    summary = {
        "arguments": vars(args),
        "cores": cores,
        "engine": engines,
        "engine_load_average": engine_load_average,
        "settings": settings,
        "speed_up": {
            "raw": [s["throughput"] / settings[0]["throughput"] for s in settings],
            "mix_adjusted": [s["speed_up"] for s in settings],
        },
    }
    path = out_path("load.json")
    path.write_text(json.dumps(summary, indent=2, default=str))
    print(f"results: {path}")
    print(f"plot: {plot(settings)}")
    failed = any(s["lost"] or s["duplicated"] for s in settings)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
