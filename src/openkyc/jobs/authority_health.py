"""How an ID authority has been answering, read from the look-ups jobs made (GET /v3/services/id_status).

openkyc sends no probes of its own to an authority: every look-up a job makes (Enhanced and Basic
KYC, Biometric KYC, Enhanced Document Verification) is a check of the authority that answered it,
and its result says how the check went (``Actions.Verify_ID_Number`` and ``ResultCode``, kept in
clear in the job's result, as are ``Country`` and ``IDType``):

* reached: the authority answered, with a record or without one ("Verified", "Not Verified",
  "Under Review"...);
* not reached: "Issuer Unavailable" (result 1015, the adapter could not reach the authority or it
  answered with an error);
* not a check: no look-up was made ("Not Done", the per-number rate limit 2222, a number refused
  for its format 1014, which adapters decide without asking the authority).

The figures cover one environment (sandbox keys' look-ups go to the sandbox authority, production
keys' to the configured one) and every partner of it: the authority is the same for all. What is
read is a time, a status word and a code per job, over the last hour only (``ix_jobs_completed_at``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select
from sqlalchemy.orm import Session

from openkyc.job_types import JobType
from openkyc.jobs.models import Job
from openkyc.products.catalogue import ActionValue
from openkyc.products.codes.id_lookup import IdLookup

WINDOW = timedelta(hours=1)
# The job types whose result records an ID look-up (Basic KYC shares Enhanced KYC's 5).
LOOKUP_JOB_TYPES = (JobType.BIOMETRIC_KYC, JobType.ENHANCED_KYC, JobType.ENHANCED_DOCUMENT_VERIFICATION)
# Results that made no look-up: the authority was not asked.
NOT_ASKED_CODES = (IdLookup.RATE_LIMITED.code, IdLookup.INVALID_ID_NUMBER.code)


@dataclass(frozen=True)
class AuthorityHealth:
    """The look-ups of one country's ID type over :data:`WINDOW`."""

    last_checked: datetime
    last_reached: bool
    checks: int
    reached: int

    @property
    def success_rate(self) -> int:
        """Percent of the window's look-ups that reached the authority (rounded down)."""
        return self.reached * 100 // self.checks


def _action() -> ColumnElement[str]:
    action: ColumnElement[str] = Job.result[("Actions", "Verify_ID_Number")].as_string()
    return action


def _is_check(environment: str, country: str, id_type: str, since: datetime) -> ColumnElement[bool]:
    action, code = _action(), Job.result["ResultCode"].as_string()
    return and_(
        Job.completed_at >= since,
        Job.environment == environment,
        Job.job_type.in_([int(t) for t in LOOKUP_JOB_TYPES]),
        Job.result["Country"].as_string() == country,
        Job.result["IDType"].as_string() == id_type,
        action.is_not(None),
        action != ActionValue.NOT_DONE.value,
        or_(code.is_(None), not_(code.in_(NOT_ASKED_CODES))),
    )


def authority_health(
    db_session: Session, *, environment: str, country: str, id_type: str, now: datetime
) -> AuthorityHealth | None:
    """The window's look-ups of ``country``/``id_type`` in ``environment``; None when there were none."""
    checks = _is_check(environment, country, id_type, now - WINDOW)
    reached = case((_action() == ActionValue.ISSUER_UNAVAILABLE.value, 0), else_=1)
    total, reached_count = db_session.execute(
        select(func.count(), func.coalesce(func.sum(reached), 0)).select_from(Job).where(checks)
    ).one()
    if not total:
        return None
    last = db_session.execute(
        select(Job.completed_at, _action()).where(checks).order_by(Job.completed_at.desc()).limit(1)
    ).one()
    completed_at, action = last
    if completed_at is None:  # the query selects completed jobs only
        raise ValueError("a look-up job without a completion time")
    return AuthorityHealth(
        last_checked=completed_at,
        last_reached=action != ActionValue.ISSUER_UNAVAILABLE.value,
        checks=int(total),
        reached=int(reached_count),
    )
