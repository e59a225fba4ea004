"""AML monitoring: the people enrolled by ``POST /v3/aml/monitoring`` are screened again whenever
the loaded lists change, and their partner is called back when the answer does.

A monitored person (``aml.models.MonitoredSubject``) remembers the version of the lists its last
answer was screened against (``aml.service.lists_version``: every load changes it). Whoever
notices the lists changed screens the people whose version differs: ``openkyc lists load`` right
after it loads, and the periodic sweep (``tasks.sweeper``) for loads it missed (a load by another
process, a command interrupted). A person is claimed by moving its version with a conditional
update in the transaction that stores the new answer, so two sweepers never both send an update
and a crash mid-way leaves the person due.

When the answer changed (another outcome, or other list entries matched), it becomes the
monitoring job's result (``GET /v3/status`` and replay give the latest) and an
``aml_monitoring_update`` callback, the One-Time AML body with that product, goes to the
partner's *default* callback URL of the job's environment, as Smile ID sends them (wire v3). A
partner without one still has the update on the job.

Monitoring ends when its job is purged (the user deleted, or past retention): the person's data
is erased with the job's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openkyc.aml import service as aml
from openkyc.aml.models import MonitoredSubject
from openkyc.callbacks import service as callbacks
from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import rows_matched, transaction, utcnow
from openkyc.jobs import service
from openkyc.jobs.models import Job
from openkyc.jobs.v3_aml import (
    AML_MONITORING_UPDATE,
    AmlSubject,
    payload,
    result_of,
    screen,
    screening_state,
)
from openkyc.observability.context import bind_job
from openkyc.partners.models import Partner
from openkyc.runtime import Runtime

log = logging.getLogger(__name__)

BATCH = 100


@dataclass
class RescreenReport:
    screened: int = 0  # people screened again
    changed: int = 0  # whose answer changed (an update recorded, and called back where possible)


def rescreen_due(runtime: Runtime, *, limit: int = BATCH) -> RescreenReport:
    """Screen again up to ``limit`` monitored people whose answer predates the loaded lists."""
    report = RescreenReport()
    with transaction(runtime.sessions) as session:
        # Nobody monitored (most installations): not even the lists' version is read.
        if (
            session.scalar(select(MonitoredSubject.id).where(MonitoredSubject.active.is_(True)).limit(1))
            is None
        ):
            return report
    version = aml.lists_version(runtime.sessions)
    with transaction(runtime.sessions) as session:
        due = session.execute(
            select(MonitoredSubject.id, MonitoredSubject.lists_version)
            .where(MonitoredSubject.active.is_(True), MonitoredSubject.lists_version != version)
            .order_by(MonitoredSubject.id)
            .limit(limit)
        ).all()
    for subject_id, screened_version in due:
        outcome = _rescreen(runtime, subject_id, screened_version)
        if outcome is not None:
            report.screened += 1
            report.changed += int(outcome)
    return report


def rescreen_all(runtime: Runtime) -> RescreenReport:
    """Screen again every monitored person whose answer predates the loaded lists."""
    total = RescreenReport()
    while True:
        report = rescreen_due(runtime)
        total.screened += report.screened
        total.changed += report.changed
        if report.screened < BATCH:
            return total


def _rescreen(runtime: Runtime, subject_id: int, screened_version: str) -> bool | None:
    """Screen one person again; whether its answer changed, None when another process had it."""
    with transaction(runtime.sessions) as session:
        row = session.get(MonitoredSubject, subject_id)
        if row is None or not row.active or row.lists_version != screened_version:
            return None
        subject = AmlSubject.of(row.subject)
    screening = screen(runtime, subject)
    result = result_of(screening, subject)
    state = screening_state(result, screening.entries)
    delivery: CallbackDelivery | None = None
    with transaction(runtime.sessions) as session:
        claimed = session.execute(
            update(MonitoredSubject)
            .where(
                MonitoredSubject.id == subject_id,
                MonitoredSubject.active.is_(True),
                MonitoredSubject.lists_version == screened_version,
            )
            .values(
                lists_version=screening.lists_version,
                screened_at=utcnow(),
                screenings=MonitoredSubject.screenings + 1,
            )
        )
        if rows_matched(claimed) != 1:
            return None
        row = session.get(MonitoredSubject, subject_id)
        if row is None or row.last_screening == state:
            return False
        row.last_screening = state
        job = service.get_job(db_session=session, smile_job_id=row.smile_job_id)
        service.record_result(db_session=session, job=job, result=result, final=True)
        delivery = _call_back(runtime, session, job)
    if delivery is not None:
        runtime.queue.callback_due(delivery.id, delivery.attempts)
    return True


def _call_back(runtime: Runtime, session: Session, job: Job) -> CallbackDelivery | None:
    partner = session.get(Partner, job.partner_id)
    url = partner.callback_url_for(job.environment) if partner is not None else None
    if not url:
        with bind_job(job.smile_job_id):
            log.info(
                "AML monitoring job %s has a new answer; partner %s has no default %s callback URL "
                "to send it to (GET /v3/status/%s gives it)",
                job.smile_job_id,
                job.partner_id,
                job.environment,
                job.job_id,
            )
        return None
    return callbacks.schedule(
        db_session=session,
        job=job,
        payload=payload(job, product=AML_MONITORING_UPDATE),
        url=url,
        horizon=runtime.settings.callback_retry_horizon,
        wire=callbacks.WIRE_V3,
    )


def end(session: Session, smile_job_id: str) -> bool:
    """End the monitoring of a job's person and erase what was kept of them (its job is being
    purged); whether there was one to end."""
    row = session.scalar(select(MonitoredSubject).where(MonitoredSubject.smile_job_id == smile_job_id))
    if row is None:
        return False
    row.active = False
    row.subject = {}
    row.last_screening = {}
    return True
