"""The Celery tasks and the process set-up of `openkyc worker` (one runtime per process).

Prefork children must not share their parent's database connections, so each process builds its
own runtime on first use, and a forked child drops the one it inherited. The sweep runs in each
worker's main process (tasks/sweeper.py).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_ready, worker_shutdown

from openkyc.callbacks.dispatch import CallbackDispatcher
from openkyc.config import Settings
from openkyc.runtime import Runtime, build_runtime
from openkyc.tasks.celery_app import (
    CALLBACKS_QUEUE,
    COLLECT_UPLOAD,
    DELIVER_CALLBACK,
    VERIFICATION_QUEUE,
    VERIFY_JOB,
    make_celery,
)
from openkyc.tasks.celery_queue import CeleryQueue
from openkyc.tasks.sweeper import Sweeper

log = logging.getLogger(__name__)

app: Celery = make_celery(Settings())
_runtime: Runtime | None = None
_dispatcher: CallbackDispatcher | None = None
_sweep_stop = threading.Event()


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        built = build_runtime(Settings())
        built.queue = CeleryQueue(app)
        _runtime = built
    return _runtime


def dispatcher() -> CallbackDispatcher:
    """This process's callback dispatcher (threads of its own, made after any fork)."""
    global _dispatcher
    if _dispatcher is None:
        from openkyc.tasks import work

        built = runtime()
        settings = built.settings
        _dispatcher = CallbackDispatcher(
            lambda due: work.deliver_from_dispatcher(built, due),
            workers=settings.callback_workers,
            per_host=settings.callback_per_host,
            per_partner=settings.callback_per_partner,
        )
    return _dispatcher


@worker_process_init.connect
def _fresh_runtime_after_fork(**_: Any) -> None:
    global _runtime, _dispatcher
    _dispatcher = None  # the parent's threads did not survive the fork
    if _runtime is not None:
        # The parent's pooled connections belong to the parent: forget them without closing.
        _runtime.engine.dispose(close=False)
        _runtime = None
    from openkyc.engine.warmup import load_models

    try:
        load_models()  # the first job of each process does not pay for it
    except Exception:
        log.exception("loading the verification models failed; jobs will retry loading them")


@worker_ready.connect
def _start_sweeper(sender: Any = None, **_: Any) -> None:
    queues = {queue.name for queue in sender.app.amqp.queues.consume_from.values()} if sender else set()
    sweeper = Sweeper(
        runtime(),
        redispatch_jobs=VERIFICATION_QUEUE in queues,
        collect_uploads=VERIFICATION_QUEUE in queues,
        purge_retention=VERIFICATION_QUEUE in queues,
        rescreen_monitoring=VERIFICATION_QUEUE in queues,
        hand_over_callbacks=CALLBACKS_QUEUE in queues,
    )
    threading.Thread(target=sweeper.run, args=(_sweep_stop,), name="openkyc-sweeper", daemon=True).start()


@worker_shutdown.connect
def _stop_sweeper(**_: Any) -> None:
    _sweep_stop.set()
    if _dispatcher is not None:
        _dispatcher.close()


@app.task(name=VERIFY_JOB)
def verify_job(smile_job_id: str) -> None:
    from openkyc.tasks import work

    work.verify_job(runtime(), smile_job_id)


@app.task(name=COLLECT_UPLOAD)
def collect_upload(smile_job_id: str) -> None:
    from openkyc.tasks import work

    work.collect_upload(runtime(), smile_job_id)


@app.task(name=DELIVER_CALLBACK)
def deliver_callback(delivery_id: int, attempt: int) -> None:
    from openkyc.tasks import work

    # Handed to this process's dispatcher (per-host and per-partner caps), not sent here: a task
    # waiting on a receiver that never answers would keep this process from every other callback.
    work.dispatch_callback(runtime(), dispatcher(), delivery_id, attempt)
