"""The Celery application of the scaled-out mode: queues, routing and delivery guarantees.

Two queues, so a slow partner's callback endpoint never holds up verification: "verification"
(jobs, taking in direct uploads) and "callbacks". Tasks are acknowledged only after they ran
(``acks_late``) and given back when their worker process dies, so a killed worker loses nothing;
their bodies claim their rows first, so a message delivered twice does its work once.
"""

from __future__ import annotations

from celery import Celery
from kombu.entity import Queue

from openkyc.config import Settings

VERIFICATION_QUEUE = "verification"
CALLBACKS_QUEUE = "callbacks"
VERIFY_JOB = "openkyc.verify_job"
COLLECT_UPLOAD = "openkyc.collect_upload"
DELIVER_CALLBACK = "openkyc.deliver_callback"


def make_celery(settings: Settings) -> Celery:
    app = Celery("openkyc", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_queues=[Queue(VERIFICATION_QUEUE), Queue(CALLBACKS_QUEUE)],  # type: ignore[no-untyped-call]
        task_default_queue=VERIFICATION_QUEUE,
        task_routes={
            VERIFY_JOB: {"queue": VERIFICATION_QUEUE},
            COLLECT_UPLOAD: {"queue": VERIFICATION_QUEUE},
            DELIVER_CALLBACK: {"queue": CALLBACKS_QUEUE},
        },
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One job at a time per process: verification is CPU-bound, and a prefetched message
        # would wait behind the current job instead of going to an idle worker.
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        # A message unacknowledged this long (its worker vanished with the whole machine) goes
        # back to the queue; the database sweep finds such jobs sooner still (job_lease).
        broker_transport_options={
            "visibility_timeout": 3600,
            **({"global_keyprefix": settings.broker_key_prefix} if settings.broker_key_prefix else {}),
        },
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        # A new process loads the verification models before it reports for work.
        worker_proc_alive_timeout=120,
        worker_send_task_events=False,
        # Task arguments are ids only (never PII), but keep them out of logs all the same.
        worker_redirect_stdouts=False,
    )
    return app
