"""One partner's jobs, newest first, filtered and a page at a time (the portal's job list).

The query always names the partner: a caller cannot ask for "all jobs" by leaving it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openkyc.jobs.models import Job

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class JobFilters:
    job_type: int | None = None
    result_code: str | None = None
    environment: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class JobPage:
    jobs: Sequence[Job]
    page: int  # from 1
    per_page: int
    has_next: bool


def list_partner_jobs(
    db_session: Session, *, partner_id: str, filters: JobFilters, page: int = 1, per_page: int = 50
) -> JobPage:
    page = max(page, 1)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    query = select(Job).where(Job.partner_id == partner_id)
    if filters.job_type is not None:
        query = query.where(Job.job_type == filters.job_type)
    if filters.environment is not None:
        query = query.where(Job.environment == filters.environment)
    if filters.state is not None:
        query = query.where(Job.state == filters.state)
    if filters.result_code is not None:
        # ResultCode stays in clear in the sealed result (openkyc.sealed.CLEAR_RESULT_KEYS).
        query = query.where(Job.result["ResultCode"].as_string() == filters.result_code)
    query = (
        query.order_by(Job.created_at.desc(), Job.smile_job_id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)  # one more says whether there is a next page
    )
    rows = list(db_session.scalars(query))
    return JobPage(jobs=rows[:per_page], page=page, per_page=per_page, has_next=len(rows) > per_page)


def last_job_per_key(db_session: Session, *, partner_id: str) -> dict[str, datetime]:
    """When each of the partner's API keys last created a job (by key id): what the portal can say
    of a key's last use, since requests themselves leave no record."""
    query = (
        select(Job.api_key_id, func.max(Job.created_at))
        .where(Job.partner_id == partner_id)
        .group_by(Job.api_key_id)
    )
    return {key_id: at for key_id, at in db_session.execute(query) if at is not None}
