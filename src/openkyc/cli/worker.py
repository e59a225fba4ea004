"""`openkyc worker`: Celery workers for the scaled-out mode (queue=celery)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from enum import StrEnum
from typing import Annotated

import typer

from openkyc.cli.common import chosen_data_dir, settings


class QueueChoice(StrEnum):
    ALL = "all"
    VERIFICATION = "verification"
    CALLBACKS = "callbacks"


def worker(
    queues: Annotated[
        QueueChoice,
        typer.Option(
            "--queues",
            help="all: one verification and one callbacks worker process; or just one of them.",
        ),
    ] = QueueChoice.ALL,
    concurrency: Annotated[
        int | None,
        typer.Option(help="Verification: processes (default: CPU cores). Callbacks: threads (default 16)."),
    ] = None,
    loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "INFO",
) -> None:
    """Run Celery workers: verification on CPU processes, callbacks on threads (separate queues,
    so a slow partner endpoint never holds up verification). Settings come from OPENKYC_*."""
    os.environ["OPENKYC_QUEUE"] = "celery"
    # The Celery app and the child processes read their settings from the environment.
    data_dir = chosen_data_dir()
    if data_dir is not None:
        os.environ["OPENKYC_DATA_DIR"] = str(data_dir)
    if queues == QueueChoice.ALL:
        raise typer.Exit(_run_both(concurrency, loglevel))
    _run_one(queues, concurrency, loglevel)


def _run_both(concurrency: int | None, loglevel: str) -> int:
    """Each queue in its own process; SIGTERM/SIGINT go to both, and one dying stops the other."""
    base = [sys.executable, "-m", "openkyc.cli", "worker", "--loglevel", loglevel]
    extra = [] if concurrency is None else ["--concurrency", str(concurrency)]
    # S603: this interpreter running openkyc itself, arguments from the command line's own choices.
    children = [
        subprocess.Popen([*base, "--queues", QueueChoice.VERIFICATION.value, *extra]),  # noqa: S603
        subprocess.Popen([*base, "--queues", QueueChoice.CALLBACKS.value]),  # noqa: S603
    ]

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    codes = [child.wait() for child in children]
    return max(codes, key=abs)


def _run_one(queue: QueueChoice, concurrency: int | None, loglevel: str) -> None:
    from openkyc.observability.logging import configure_logging
    from openkyc.tasks.celery_worker import app

    configure_logging(settings(), native_stderr=True)
    if queue == QueueChoice.VERIFICATION:
        processes = concurrency or os.cpu_count() or 1
        pool = ["--pool", "prefork", "--concurrency", str(processes)]
        # Each process's OCR gets its share of the cores instead of all of them (engine/document/ocr.py).
        os.environ.setdefault("OPENKYC_OCR_THREADS", str(max(1, (os.cpu_count() or 1) // processes)))
    else:
        pool = ["--pool", "threads", "--concurrency", str(concurrency or 16)]
    app.worker_main(
        [
            "--quiet",  # (a global option, before the sub-command) no banner: the log stays JSON lines
            "worker",
            "--queues",
            queue.value,
            *pool,
            "--hostname",
            f"{queue.value}-{os.getpid()}@%h",
            "--loglevel",
            loglevel,
            "--without-gossip",
            "--without-mingle",
        ]
    )
