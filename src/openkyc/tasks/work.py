"""The bodies of the queued tasks, as plain functions of a runtime (Celery calls them; tests too).

Each is idempotent: it first claims its row atomically, so a duplicated or redelivered task finds
nothing to do and a task whose worker died is done again by the next claimant.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from enum import StrEnum

from openkyc.callbacks import service as callbacks
from openkyc.callbacks.dispatch import CallbackDispatcher
from openkyc.callbacks.models import CallbackDelivery
from openkyc.callbacks.service import DueDelivery
from openkyc.db import transaction
from openkyc.jobs import service as jobs
from openkyc.jobs import uploads
from openkyc.jobs.flows import process_job
from openkyc.observability.context import bind_job
from openkyc.runtime import Runtime
from openkyc.tasks.lease import held_lease


class Outcome(StrEnum):
    DONE = "done"
    NOTHING_TO_DO = "nothing to do"  # finished, not yet uploaded, or held by a live worker


def verify_job(runtime: Runtime, smile_job_id: str) -> Outcome:
    """Claim the job and verify it under a renewed lease; its result is published once."""
    with bind_job(smile_job_id):
        return _verify_job(runtime, smile_job_id)


def _verify_job(runtime: Runtime, smile_job_id: str) -> Outcome:
    with transaction(runtime.sessions) as session:
        attempt = jobs.claim_job(
            db_session=session, smile_job_id=smile_job_id, lease=runtime.settings.job_lease
        )
    if attempt is None:
        return Outcome.NOTHING_TO_DO
    with held_lease(runtime, smile_job_id, attempt):
        process_job(runtime, smile_job_id)
    return Outcome.DONE


def bind_delivery(runtime: Runtime, delivery_id: int) -> AbstractContextManager[None]:
    """Log lines of a delivery name its job."""
    with transaction(runtime.sessions) as session:
        delivery = session.get(CallbackDelivery, delivery_id)
        smile_job_id = delivery.smile_job_id if delivery is not None else None
    return bind_job(smile_job_id)


def deliver_callback(runtime: Runtime, delivery_id: int, attempt: int) -> Outcome:
    """Make attempt number ``attempt`` of a delivery, unless another worker already made it."""
    with bind_delivery(runtime, delivery_id):
        callbacks.deliver(runtime, delivery_id, attempt)
    return Outcome.DONE


def dispatch_callback(
    runtime: Runtime, dispatcher: CallbackDispatcher, delivery_id: int, attempt: int
) -> Outcome:
    """Hand attempt ``attempt`` of a delivery to this process's dispatcher and return at once.

    A task that sent the callback itself would hold a worker process for as long as the receiver
    keeps it waiting, so a few receivers that never answer would hold every other partner's
    callbacks back; the dispatcher's caps per host and per partner prevent that. The delivery is
    held (claimed) meanwhile, so the sweep does not hand it over again; if this process dies with
    it, the hold runs out and the sweep hands it over again: still at least once.
    """
    due = callbacks.due_delivery(runtime, delivery_id, attempt)
    if due is None:
        return Outcome.NOTHING_TO_DO  # made already (a duplicated task), or finished
    callbacks.hold(runtime, delivery_id, attempt)
    dispatcher.offer(due)  # refused (a full backlog): the hold makes the sweep offer it again later
    return Outcome.DONE


def deliver_from_dispatcher(runtime: Runtime, due: DueDelivery) -> None:
    """What a dispatcher thread of a Celery worker runs: the attempt, its log lines naming the job."""
    with bind_delivery(runtime, due.id):
        callbacks.deliver(runtime, due.id, due.attempt)


def collect_upload(runtime: Runtime, smile_job_id: str) -> Outcome:
    """Take in a job's direct (S3) upload if it has arrived."""
    with bind_job(smile_job_id):
        taken = uploads.collect_direct_upload(runtime, smile_job_id)
    return Outcome.DONE if taken else Outcome.NOTHING_TO_DO
