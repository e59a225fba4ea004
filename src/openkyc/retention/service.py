"""Purging the jobs whose retention period is over (the workers' sweeper calls this often)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from openkyc import audit
from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job
from openkyc.jobs.service import FINISHED_STATES
from openkyc.retention.purge import purge_job
from openkyc.runtime import Runtime

# Jobs looked up per query (each is then purged in its own short transactions).
BATCH = 100


@dataclass(frozen=True)
class PurgeReport:
    """What a purge did (or, dry, would do): jobs purged and blobs deleted."""

    jobs: int = 0
    blobs: int = 0
    dry_run: bool = False


def _expired(cutoff: datetime) -> list[ColumnElement[bool]]:
    # Jobs under review are left alone: the reviewer still needs their images. The composite
    # index (purged_at, completed_at) serves the first two conditions.
    return [
        Job.purged_at.is_(None),
        Job.completed_at < cutoff,
        Job.state.in_([state.value for state in FINISHED_STATES]),
    ]


def retention_cutoff(runtime: Runtime, now: datetime) -> datetime | None:
    """Jobs finished before this are due; None when retention is off (retention_days 0)."""
    days = runtime.settings.retention_days
    return now - timedelta(days=days) if days > 0 else None


def expired_jobs(db_session: Session, *, cutoff: datetime, limit: int) -> list[str]:
    """Up to ``limit`` unpurged finished jobs completed before ``cutoff``, oldest first."""
    query = select(Job.smile_job_id).where(*_expired(cutoff)).order_by(Job.completed_at).limit(limit)
    return list(db_session.scalars(query))


def count_expired(db_session: Session, *, cutoff: datetime) -> int:
    return int(db_session.scalar(select(func.count()).select_from(Job).where(*_expired(cutoff))) or 0)


def purge_expired(
    runtime: Runtime,
    now: datetime | None = None,
    *,
    limit: int | None = None,
    dry_run: bool = False,
    actor: audit.Actor = audit.SYSTEM,
) -> PurgeReport:
    """Purge the jobs past retention, ``BATCH`` at a time, at most ``limit`` (None: all due).

    Cheap when nothing is due (one indexed query) and safe from several workers at once (each job
    is claimed). Dry: how many jobs are due, nothing changed.
    """
    cutoff = retention_cutoff(runtime, now or utcnow())
    if cutoff is None:
        return PurgeReport(dry_run=dry_run)
    if dry_run:
        with transaction(runtime.sessions) as session:
            return PurgeReport(jobs=count_expired(session, cutoff=cutoff), dry_run=True)
    jobs = blobs = 0
    while limit is None or jobs < limit:
        size = BATCH if limit is None else min(BATCH, limit - jobs)
        with transaction(runtime.sessions) as session:
            due = expired_jobs(session, cutoff=cutoff, limit=size)
        for smile_job_id in due:
            deleted = purge_job(
                runtime,
                smile_job_id,
                now=now or utcnow(),
                reason="retention",
                actor=actor,
                keep_enrolled=True,
            )
            if deleted is not None:
                jobs, blobs = jobs + 1, blobs + deleted
        if len(due) < size:
            break
    return PurgeReport(jobs=jobs, blobs=blobs)
