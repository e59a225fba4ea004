"""Whole openkyc deployments on loopback, for end-to-end tests, fault tests and benchmarks.

"embedded": one `openkyc serve` (SQLite, local blobs, in-process workers). "scaled": a fresh
PostgreSQL database, Celery on Redis, S3 storage (a moto server on loopback), `openkyc serve`
API processes and `openkyc worker` processes, all separate OS processes talking over TCP, as in
production. Needs the local PostgreSQL (127.0.0.1:5432, trust) and Redis (127.0.0.1:6379).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

import httpx

from testkit.tcp_proxy import TcpProxy

Mode = Literal["embedded", "scaled"]
Broker = Literal["redis", "rabbitmq"]
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
S3_BUCKET = "openkyc-e2e"
# Short leases and sweeps, so the fault tests see a dead worker's job taken over in seconds.
FAST_RECOVERY = {
    "OPENKYC_JOB_LEASE": "PT6S",
    "OPENKYC_SWEEP_INTERVAL": "PT1S",
    "OPENKYC_REDISPATCH_AFTER": "PT15S",
    "OPENKYC_CALLBACK_FIRST_RETRY": "PT1S",
    "OPENKYC_ALLOW_PRIVATE_CALLBACKS": "true",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def openkyc_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "openkyc.cli", *args]


@dataclass
class TlsOptions:
    cert: Path
    key: Path
    ca: Path


@dataclass
class Deployment:
    mode: Mode
    data_dir: Path
    env: dict[str, str]
    partner_id: str
    sandbox_key: str
    port: int
    # Refused (2220) until production is enabled for the partner (``openkyc partners enable-production``).
    production_key: str = ""
    tls: TlsOptions | None = None
    api_processes: int = 1
    api: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    # Set when the processes reach PostgreSQL through a proxy the test can cut (DB outages).
    database_proxy: TcpProxy | None = None
    _worker_logs: dict[int, Path] = field(default_factory=dict)
    _cleanups: list[Callable[[], None]] = field(default_factory=list)
    _logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def verify(self) -> ssl.SSLContext | bool:
        return ssl.create_default_context(cafile=str(self.tls.ca)) if self.tls else True

    @property
    def log_path(self) -> Path:
        return self.data_dir / "serve.log"

    def _log(self, name: str) -> IO[bytes]:
        handle = (self.data_dir / name).open("ab")
        self._logs.append(handle)
        return handle

    def start_api(self) -> None:
        """`openkyc serve` in its own process group (several server processes when scaled)."""
        tls = [] if self.tls is None else ["--tls-cert", str(self.tls.cert), "--tls-key", str(self.tls.key)]
        command = ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        self.api = subprocess.Popen(
            openkyc_command(*command, "--processes", str(self.api_processes), *tls),
            env=self.env,
            stdout=self._log("serve.log"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_up()

    def stop_api(self, sig: int = signal.SIGTERM) -> None:
        """Signal every API process (a SIGKILL reaches the server processes, not just their parent)."""
        if self.api is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.api.pid, sig)
            self.api.wait(timeout=30)
            if sig == signal.SIGKILL:
                _wait_for_group_exit(self.api.pid)
        self.api = None

    def start_worker(self, concurrency: int = 1) -> subprocess.Popen[bytes]:
        """`openkyc worker` (both queues) in its own process group, so a kill takes its children."""
        if self.mode != "scaled":
            raise RuntimeError("the embedded deployment has no separate workers")
        log_name = f"worker-{len(self._worker_logs)}.log"
        worker = subprocess.Popen(
            openkyc_command("worker", "--data-dir", str(self.data_dir), "--concurrency", str(concurrency)),
            env=self.env,
            stdout=self._log(log_name),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(worker)
        self._worker_logs[worker.pid] = self.data_dir / log_name
        return worker

    def wait_for_workers(self, timeout: float = 180) -> None:
        """Until every started worker has reported ready on both queues (models loaded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            logs = [self._worker_logs[worker.pid].read_text(errors="replace") for worker in self.workers]
            if all(text.count(" ready.") >= 2 for text in logs):
                return
            for worker, text in zip(self.workers, logs, strict=True):
                if worker.poll() is not None:
                    raise RuntimeError(f"openkyc worker exited: {text[-3000:]}")
            time.sleep(0.3)
        raise RuntimeError(f"workers not ready in {timeout:.0f} s")

    def kill_worker(self, worker: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        """Signal the worker's whole process group (main processes and prefork children)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, sig)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
        self.workers.remove(worker)

    def _wait_until_up(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api is None or self.api.poll() is not None:
                raise RuntimeError(
                    f"openkyc serve exited: {self.log_path.read_text(errors='replace')[-3000:]}"
                )
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1, verify=self.verify).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"openkyc serve did not come up in {timeout:.0f} s")

    @property
    def database_url(self) -> str:
        """Where this deployment's data is (for tests that look at rows), never through the proxy."""
        from openkyc.config import Settings

        url = Settings(data_dir=self.data_dir, database_url=self.env.get("OPENKYC_DATABASE_URL", ""))
        resolved = url.resolved_database_url
        if self.database_proxy is not None:
            resolved = resolved.replace(f"@127.0.0.1:{self.database_proxy.port}/", "@127.0.0.1:5432/")
        return resolved.split("?")[0]

    def stop(self) -> None:
        """Stop every process at once (SIGTERM to each group, then whatever is left after
        STOP_GRACE_S is killed): a test's teardown is not where graceful shutdown is tested (the
        fault tests do that), and waiting for each process in turn cost seconds per deployment."""
        groups = [process for process in (self.api, *self.workers) if process is not None]
        for process in groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        while time.monotonic() < deadline and any(_group_alive(process) for process in groups):
            time.sleep(0.05)
        for process in groups:
            if _group_alive(process):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        for process in groups:
            process.wait(timeout=30)
            _wait_for_group_exit(process.pid)
        self.api = None
        self.workers.clear()
        for cleanup in reversed(self._cleanups):
            cleanup()
        for handle in self._logs:
            handle.close()


def start_deployment(
    mode: Mode,
    data_dir: Path,
    *,
    workers: int = 1,
    worker_concurrency: int = 1,
    tls: TlsOptions | None = None,
    extra_env: dict[str, str] | None = None,
    proxy_database: bool = False,
    broker: Broker = "redis",
) -> Deployment:
    """Start a deployment with one sandbox partner; the caller must ``stop()`` it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **FAST_RECOVERY, "OPENKYC_DATA_DIR": str(data_dir), **(extra_env or {})}
    cleanups: list[Callable[[], None]] = []
    proxy: TcpProxy | None = None
    if mode == "scaled":
        env.update(_scaled_environment(data_dir, cleanups, broker))
        if proxy_database:
            proxy = TcpProxy("127.0.0.1", 5432)
            proxy.start()
            cleanups.append(proxy.stop)
            env["OPENKYC_DATABASE_URL"] = (
                env["OPENKYC_DATABASE_URL"].replace("@127.0.0.1:5432/", f"@127.0.0.1:{proxy.port}/")
                + "?connect_timeout=3"
            )
    created = subprocess.run(
        openkyc_command("partner", "create", "--data-dir", str(data_dir), "--name", "e2e", "--json"),
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    partner = json.loads(created.stdout)
    deployment = Deployment(
        mode=mode,
        data_dir=data_dir,
        env=env,
        partner_id=partner["partner_id"],
        sandbox_key=partner["api_keys"]["sandbox"],
        production_key=partner["api_keys"]["production"],
        port=free_port(),
        tls=tls,
        # Scaled out, two API processes share the port, as behind a load balancer.
        api_processes=2 if mode == "scaled" else 1,
        database_proxy=proxy,
        _cleanups=cleanups,
    )
    try:
        deployment.start_api()
        if mode == "scaled":
            for _ in range(workers):
                deployment.start_worker(worker_concurrency)
            deployment.wait_for_workers()
    except BaseException:
        deployment.stop()
        raise
    return deployment


def _group_alive(process: subprocess.Popen[bytes]) -> bool:
    """Whether any process of ``process``'s group is left (the leader reaped if it has exited: a
    zombie leader would keep the group alive)."""
    process.poll()
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    return True


# How long a stopping deployment's processes get to exit on SIGTERM before they are killed.
STOP_GRACE_S = 2.0


def _wait_for_group_exit(pgid: int, timeout: float = 10) -> bool:
    """Until no process of the group is left (killed children free the port a moment later);
    whether that happened within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _scaled_environment(data_dir: Path, cleanups: list[Callable[[], None]], broker: Broker) -> dict[str, str]:
    from testkit.s3 import s3_environment, start_s3_server

    database_url = create_database(cleanups)
    endpoint, stop_s3 = start_s3_server(buckets=[S3_BUCKET])
    cleanups.append(stop_s3)
    return {
        "OPENKYC_QUEUE": "celery",
        "OPENKYC_DATABASE_URL": database_url,
        **(_rabbitmq_broker(cleanups) if broker == "rabbitmq" else _redis_broker(cleanups)),
        **s3_environment(endpoint, S3_BUCKET, data_dir.name),
    }


def _redis_broker(cleanups: list[Callable[[], None]]) -> dict[str, str]:
    """The local Redis, every key of this deployment under its own prefix (removed afterwards)."""
    prefix = f"openkyc-test-{secrets.token_hex(4)}:"
    cleanups.append(lambda: _flush_broker_keys(prefix))
    return {"OPENKYC_BROKER_URL": REDIS_URL, "OPENKYC_BROKER_KEY_PREFIX": prefix}


def _rabbitmq_broker(cleanups: list[Callable[[], None]]) -> dict[str, str]:
    """The local RabbitMQ (guest/guest), in a virtual host of this deployment's own (deleted afterwards)."""
    vhost = f"openkyc-test-{secrets.token_hex(4)}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True)

    def delete() -> None:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, check=False)

    cleanups.append(delete)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
        check=True,
        capture_output=True,
    )
    return {"OPENKYC_BROKER_URL": f"amqp://guest:guest@127.0.0.1:5672/{vhost}"}


def create_database(cleanups: list[Callable[[], None]]) -> str:
    """A fresh, empty PostgreSQL database (dropped by the cleanup); its SQLAlchemy URL."""
    import psycopg

    name = f"openkyc_test_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    cleanups.append(drop)
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _flush_broker_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*", count=500))
    if keys:
        client.delete(*keys)
