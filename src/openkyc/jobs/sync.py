"""Jobs answered within their request (ID and business look-ups, AML): open one, publish its result.

The look-up products all record a job so /v1/job_status finds it, and the async variants store
the result and its callback delivery before acknowledging, so an acknowledged job always gets its
callback (retried by the callback dispatcher).
"""

from __future__ import annotations

import logging
from typing import Any

from openkyc.callbacks.service import warn_at_intake
from openkyc.db import transaction
from openkyc.jobs import results_out, service
from openkyc.partner_input import PartnerParams
from openkyc.partners.auth import Caller
from openkyc.runtime import Runtime

log = logging.getLogger(__name__)


def open_sync_job(runtime: Runtime, caller: Caller, params: PartnerParams, callback_url: str | None) -> str:
    """A new job for ``caller`` in processing (2215 if its job_id is taken); its smile_job_id."""
    with transaction(runtime.sessions) as session:
        job = service.create_sync_job(
            db_session=session,
            partner_id=caller.partner_id,
            environment=caller.environment.value,
            api_key_id=caller.key_id,
            params=params,
            callback_url=callback_url,
        )
        smile_job_id = job.smile_job_id
    warn_at_intake(smile_job_id, callback_url, allow_private=runtime.settings.allow_private_callbacks)
    return smile_job_id


def publish_sync_result(
    runtime: Runtime,
    smile_job_id: str,
    result: dict[str, Any],
    *,
    call_back: bool,
    private: dict[str, Any] | None = None,
    attempt: int | None = None,
    failed: bool = False,
) -> None:
    """Store ``result`` as the job's final answer and, when ``call_back``, schedule its signed
    callback. ``private``: keys stored with the result for job_status only, never sent.

    ``attempt``: a queued job's claim (jobs.id_verification.run_queued); its result is dropped if
    another worker has taken the job over since. ``failed``: the job could not be verified."""
    delivery = None
    with transaction(runtime.sessions) as session:
        job = service.get_job(db_session=session, smile_job_id=smile_job_id)
        if attempt is not None and not service.holds_claim(job, attempt):
            log.warning("job %s: claim %d superseded; result dropped", smile_job_id, attempt)
            return
        service.record_result(
            db_session=session, job=job, result={**result, **(private or {})}, final=True, failed=failed
        )
        if call_back:
            delivery = results_out.schedule_result(runtime, db_session=session, job=job, result=result)
    if delivery is not None:
        runtime.queue.callback_due(delivery.id, delivery.attempts)
