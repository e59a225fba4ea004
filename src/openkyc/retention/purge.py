"""Purging one job: its blobs deleted, its PII stripped (result kept), the purge audited.

Blobs go first, then the database row is claimed, scrubbed and marked in one transaction. A crash
in between leaves the job unmarked, so the next purge does it again (deleting is idempotent); the
other order could leave blobs nobody would ever look for. Two purgers racing on one job both
delete its blobs (harmless) and only one of them claims the row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from openkyc import audit
from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import rows_matched, transaction
from openkyc.jobs import aml_monitoring
from openkyc.jobs.models import Job
from openkyc.retention.scrub import job_blob_keys, scrub_job, scrub_result, scrub_v3_payload
from openkyc.runtime import Runtime
from openkyc.storage.keys import enrolment_prefix
from openkyc.users.models import EnrolledUser


def enrolment_copies(runtime: Runtime, job: Job) -> set[str]:
    """Copies of the job's selfie made to enrol its user (``users/<partner>/<job>/...``)."""
    return set(runtime.blobs.keys(enrolment_prefix(job.partner_id, job.smile_job_id)))


def purge_job(
    runtime: Runtime,
    smile_job_id: str,
    *,
    now: datetime,
    reason: str,
    actor: audit.Actor,
    keep_enrolled: bool,
) -> int | None:
    """Purge one job; the number of blobs deleted, or None when it was already purged.

    ``keep_enrolled``: an enrolment copy still registered as a user's face stays (retention);
    False deletes it too (the user is being deleted).
    """
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        if job is None or job.purged_at is not None:
            return None
        doomed = job_blob_keys(job, runtime.blobs) | enrolment_copies(runtime, job)
        if keep_enrolled:
            registered = session.scalars(
                select(EnrolledUser.selfie_blob).where(EnrolledUser.selfie_blob.in_(sorted(doomed)))
            )
            doomed -= set(registered)
    for key in sorted(doomed):
        runtime.blobs.delete(key)
    with transaction(runtime.sessions) as session:
        claimed = session.execute(
            update(Job)
            .where(Job.smile_job_id == smile_job_id, Job.purged_at.is_(None))
            .values(purged_at=now)
            .execution_options(synchronize_session=False)
        )
        if rows_matched(claimed) != 1:
            return None  # another purger got there first
        job = session.get(Job, smile_job_id)
        if job is None:  # the claim above just updated its row
            raise RuntimeError(f"job {smile_job_id} vanished while it was being purged")
        scrub_job(job)
        # An AML-monitored person's data goes with the job, and the monitoring with it.
        aml_monitoring.end(session, smile_job_id)
        for delivery in session.scalars(
            select(CallbackDelivery).where(CallbackDelivery.smile_job_id == smile_job_id)
        ):
            # Each body as its wire has it: a V3 body has none of the v1 result's keys.
            if delivery.wire == "v3":
                delivery.payload = scrub_v3_payload(delivery.payload)
            else:
                delivery.payload = scrub_result(delivery.payload) or {}
        audit.record(
            session,
            actor=actor,
            action="job.purged",
            target_type="job",
            target_id=smile_job_id,
            detail={"reason": reason, "blobs_deleted": len(doomed)},
        )
    return len(doomed)
