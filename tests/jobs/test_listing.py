"""One partner's jobs: newest first, a page at a time, filtered, never another partner's."""

from __future__ import annotations

from datetime import timedelta

from openkyc.db import transaction, utcnow
from openkyc.jobs.listing import JobFilters, list_partner_jobs
from openkyc.runtime import Runtime
from tests.portal.helpers import add_job
from tests.server import PartnerCreds, make_partner


def test_pages_run_newest_first_and_say_when_there_is_more(runtime: Runtime, partner: PartnerCreds) -> None:
    start = utcnow()
    ids = [add_job(runtime, partner.partner_id, created_at=start + timedelta(minutes=n)) for n in range(5)]
    add_job(runtime, make_partner(runtime, name="Other").partner_id, created_at=start + timedelta(hours=1))
    with transaction(runtime.sessions) as db:
        first = list_partner_jobs(db, partner_id=partner.partner_id, filters=JobFilters(), page=1, per_page=2)
        last = list_partner_jobs(db, partner_id=partner.partner_id, filters=JobFilters(), page=3, per_page=2)
        past = list_partner_jobs(db, partner_id=partner.partner_id, filters=JobFilters(), page=4, per_page=2)
    assert [job.smile_job_id for job in first.jobs] == ids[::-1][:2] and first.has_next
    assert [job.smile_job_id for job in last.jobs] == [ids[0]] and not last.has_next
    assert list(past.jobs) == [] and not past.has_next


def test_filters_combine(runtime: Runtime, partner: PartnerCreds) -> None:
    wanted = add_job(runtime, partner.partner_id, job_type=6, environment="production", result_code="0810")
    add_job(runtime, partner.partner_id, job_type=6, environment="sandbox", result_code="0810")
    add_job(runtime, partner.partner_id, job_type=1, environment="production", result_code="0810")
    add_job(
        runtime, partner.partner_id, job_type=6, environment="production", result_code=None, state="review"
    )
    filters = JobFilters(job_type=6, environment="production", result_code="0810", state="complete")
    with transaction(runtime.sessions) as db:
        found = list_partner_jobs(db, partner_id=partner.partner_id, filters=filters)
    assert [job.smile_job_id for job in found.jobs] == [wanted]
