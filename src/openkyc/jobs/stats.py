"""One partner's job figures over a recent period: what the portal's dashboard shows.

Every query names the partner, its environments and a time range, so each reads an index range
(``ix_jobs_partner_env_completed``: partner, environment, completed_at) or a small set (jobs in
review, undelivered callbacks), never the partner's whole history, and groups in SQL: a 90-day
period is a few hundred grouped rows whatever the traffic. PostgreSQL and SQLite alike; days are
UTC days. The words are those of ``jobs.metrics`` (backlog, delivery statuses), whose figures are
the same but for the whole installation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from openkyc.audit.models import AuditEvent
from openkyc.callbacks.models import CallbackAttempt, CallbackDelivery
from openkyc.db import utcnow
from openkyc.jobs.metrics import MAX_SAMPLES, in_backlog, limit_statement_time, undelivered_status
from openkyc.jobs.models import Job, JobState
from openkyc.jobs.review import DECIDED as REVIEW_DECIDED
from openkyc.jobs.service import FINISHED_STATES
from openkyc.products.failures import is_not_verified

# The periods the dashboard offers, in days (today included).
PERIOD_DAYS = (7, 30, 90)
MAX_PERIOD_DAYS = 366


class ResultClass(StrEnum):
    """What a job's current result says, in the four words the dashboard counts."""

    APPROVED = "approved"  # job_success: approved, with attention or not
    REJECTED = "rejected"  # verified, and failed
    PROVISIONAL = "provisional"  # a provisional result: in review, a reviewer decides next
    ERROR = "error"  # not verified at all (products.failures.NOT_VERIFIED_CODES)


def result_class(state: str, result_code: str | None, success: bool) -> ResultClass | None:
    """The class of a job's current result; None while it has none (not yet, or being redone)."""
    if state == JobState.REVIEW:
        return ResultClass.PROVISIONAL
    if state not in FINISHED_STATES:
        return None
    if success:
        return ResultClass.APPROVED
    return ResultClass.ERROR if is_not_verified(result_code) else ResultClass.REJECTED


@dataclass
class Tally:
    """Jobs by ResultClass."""

    counts: dict[ResultClass, int] = field(default_factory=lambda: dict.fromkeys(ResultClass, 0))

    def add(self, kind: ResultClass, count: int) -> None:
        self.counts[kind] += count

    def __getitem__(self, kind: ResultClass) -> int:
        return self.counts[kind]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def decided(self) -> int:
        """Approved or rejected: the jobs a pass rate is taken over."""
        return self.counts[ResultClass.APPROVED] + self.counts[ResultClass.REJECTED]

    @property
    def pass_rate(self) -> float | None:
        """Approved among the decided (provisional results and errors left out); None without any."""
        return self.counts[ResultClass.APPROVED] / self.decided if self.decided else None


@dataclass(frozen=True)
class Period:
    """The last ``days`` UTC days, today included, as seen at ``now``."""

    days: int
    now: datetime

    @property
    def last_day(self) -> date:
        return self.now.astimezone(UTC).date()

    @property
    def first_day(self) -> date:
        return self.last_day - timedelta(days=self.days - 1)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first_day, time(), tzinfo=UTC)

    def each_day(self) -> list[date]:
        return [self.first_day + timedelta(days=offset) for offset in range(self.days)]


@dataclass(frozen=True)
class ReviewBacklog:
    """Jobs waiting for a reviewer now, and how long they have waited (since their provisional result)."""

    waiting: int
    oldest: timedelta | None
    median: timedelta | None


@dataclass(frozen=True)
class ReviewTimes:
    """Reviewers' decisions in the period; the median time from submission to decision of the
    ``timed`` newest (all of them but past MAX_SAMPLES). A job's provisional result is not kept
    apart from its submission, and verification takes seconds where a review takes hours."""

    decided: int
    timed: int
    median: timedelta | None


@dataclass(frozen=True)
class CallbackFigures:
    """Callbacks of the partner's jobs: attempts that failed and deliveries given up on in the
    period (of the deliveries made in it), and those still waiting now."""

    failed_attempts: int
    delivered: int
    abandoned: int
    waiting: int  # made in the period, neither delivered nor given up yet
    pending_now: int  # never tried yet (any period)
    retrying_now: int  # tried, failed, to be tried again (any period)


@dataclass(frozen=True)
class DashboardFigures:
    period: Period
    environments: tuple[str, ...]
    any_jobs: bool  # the partner has a job, in any environment, at any time
    days: list[tuple[date, Tally]]  # every day of the period, oldest first
    products: dict[int, Tally]  # by job_type, the period's results
    total: Tally
    in_progress: dict[str, int]  # jobs someone waits on now, by state (review included)
    backlog: ReviewBacklog
    review_times: ReviewTimes
    callbacks: CallbackFigures


def dashboard_figures(
    db_session: Session,
    *,
    partner_id: str,
    environments: Sequence[str],
    days: int,
    callback_horizon: timedelta,
    now: datetime | None = None,
) -> DashboardFigures:
    """The dashboard's figures for ``partner_id``'s jobs in ``environments`` over the last ``days``.

    ``callback_horizon``: how long a callback is retried (``Settings.callback_retry_horizon``),
    which bounds the jobs whose callbacks can have been tried in the period.
    """
    if not 1 <= days <= MAX_PERIOD_DAYS:
        raise ValueError(f"a period of {days} days is not one the figures are read over")
    if not environments:
        raise ValueError("no environment to read the figures of")
    period = Period(days=days, now=now or utcnow())
    limit_statement_time(db_session.connection())
    scope = and_(Job.partner_id == partner_id, Job.environment.in_(list(environments)))
    by_day, by_product, total = _results(db_session, scope, period)
    in_progress, oldest_review = _in_progress(db_session, scope, period.now)
    return DashboardFigures(
        period=period,
        environments=tuple(environments),
        any_jobs=_any_jobs(db_session, partner_id),
        days=by_day,
        products=by_product,
        total=total,
        in_progress=in_progress,
        backlog=_review_backlog(
            db_session, scope, period.now, in_progress.get(JobState.REVIEW, 0), oldest_review
        ),
        review_times=_review_times(db_session, scope, period.since),
        callbacks=_callbacks(db_session, scope, period, callback_horizon),
    )


def _any_jobs(db_session: Session, partner_id: str) -> bool:
    return (
        db_session.execute(select(Job.smile_job_id).where(Job.partner_id == partner_id).limit(1)).first()
        is not None
    )


def _utc_day(db_session: Session, column: Any) -> ColumnElement[Any]:
    """The UTC date of a timestamp column (PostgreSQL's date() would take the session's zone)."""
    if db_session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)  # SQLite keeps UTC timestamps as text


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _results(
    db_session: Session, scope: ColumnElement[bool], period: Period
) -> tuple[list[tuple[date, Tally]], dict[int, Tally], Tally]:
    """Jobs whose current result was recorded in the period, by day and by product."""
    day = _utc_day(db_session, Job.completed_at)
    code = Job.result["ResultCode"].as_string()
    success = Job.result["_success"].as_boolean()
    query = (
        select(day, Job.job_type, Job.state, code, success, func.count())
        .where(scope, Job.completed_at >= period.since)
        .group_by(day, Job.job_type, Job.state, code, success)
    )
    days = {each: Tally() for each in period.each_day()}
    products: dict[int, Tally] = {}
    total = Tally()
    for result_day, job_type, state, result_code, succeeded, count in db_session.execute(query):
        kind = result_class(state, result_code if isinstance(result_code, str) else None, bool(succeeded))
        if kind is None:
            continue
        # A result stamped a little ahead of this host's clock counts for today.
        days[min(_as_date(result_day), period.last_day)].add(kind, count)
        products.setdefault(int(job_type), Tally()).add(kind, count)
        total.add(kind, count)
    return sorted(days.items()), dict(sorted(products.items())), total


def _in_progress(
    db_session: Session, scope: ColumnElement[bool], now: datetime
) -> tuple[dict[str, int], datetime | None]:
    """Jobs someone waits on now, by state; and when the oldest one in review got its result."""
    query = (
        select(Job.state, func.count(), func.min(Job.completed_at))
        .where(scope, in_backlog(now))
        .group_by(Job.state)
    )
    counts: dict[str, int] = {}
    oldest_review: datetime | None = None
    for state, count, first_completed in db_session.execute(query):
        counts[str(state)] = count
        if state == JobState.REVIEW:
            oldest_review = first_completed
    return counts, oldest_review


def _review_backlog(
    db_session: Session, scope: ColumnElement[bool], now: datetime, waiting: int, oldest: datetime | None
) -> ReviewBacklog:
    if waiting == 0 or oldest is None:
        return ReviewBacklog(waiting=waiting, oldest=None, median=None)
    timed = and_(scope, Job.state == JobState.REVIEW, Job.completed_at.is_not(None))
    counted = db_session.scalar(select(func.count()).where(timed)) or 0
    # The middle one (or two) by time: one short index range, no percentile function (SQLite has none).
    middle = list(
        db_session.scalars(
            select(Job.completed_at)
            .where(timed)
            .order_by(Job.completed_at)
            .offset((counted - 1) // 2)
            .limit(1 if counted % 2 else 2)
        )
    )
    ages = [_age(now, at) for at in middle if at is not None]
    return ReviewBacklog(
        waiting=waiting, oldest=_age(now, oldest), median=sum(ages, timedelta()) / len(ages) if ages else None
    )


def _age(now: datetime, since: datetime) -> timedelta:
    # Clocks of different hosts may disagree by a little: never a negative age.
    return max(timedelta(), now - since)


def _review_times(db_session: Session, scope: ColumnElement[bool], since: datetime) -> ReviewTimes:
    """Reviewers' decisions audited in the period on the partner's jobs, and the median time each
    job waited for its reviewer (the newest MAX_SAMPLES decisions): from its provisional result to
    the decision, as the decision recorded it (``waited_s``); decisions recorded before that was
    kept count from the job's submission."""
    decisions = (
        select(AuditEvent.at, Job.created_at, AuditEvent.detail)
        .join(Job, Job.smile_job_id == AuditEvent.target_id)
        .where(
            AuditEvent.action == REVIEW_DECIDED,
            AuditEvent.target_type == "job",
            AuditEvent.at >= since,  # ix_audit_events_at
            scope,
        )
    )
    decided = db_session.scalar(select(func.count()).select_from(decisions.subquery())) or 0
    waits: list[float] = []
    for decided_at, created_at, detail in db_session.execute(
        decisions.order_by(AuditEvent.at.desc()).limit(MAX_SAMPLES)
    ):
        recorded = _waited(detail)
        waits.append(recorded if recorded is not None else _age(decided_at, created_at).total_seconds())
    waits.sort()
    return ReviewTimes(decided=decided, timed=len(waits), median=_median_duration(waits))


def _waited(detail: object) -> float | None:
    """The seconds a decision recorded its job waited for review, if it recorded them."""
    value = detail.get("waited_s") if isinstance(detail, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value)


def _median_duration(seconds: Sequence[float]) -> timedelta | None:
    if not seconds:
        return None
    middle = len(seconds) // 2
    value = seconds[middle] if len(seconds) % 2 else (seconds[middle - 1] + seconds[middle]) / 2
    return timedelta(seconds=max(0.0, value))


def _callbacks(
    db_session: Session, scope: ColumnElement[bool], period: Period, horizon: timedelta
) -> CallbackFigures:
    # A delivery is made when a result is recorded (completed_at, which only moves forward) and
    # tried until its horizon: jobs whose callbacks were tried in the period finished after this.
    in_reach = and_(scope, Job.completed_at >= period.since - horizon)
    delivery_job = (CallbackDelivery, Job.smile_job_id == CallbackDelivery.smile_job_id)
    failed = or_(
        CallbackAttempt.status_code.is_(None),
        CallbackAttempt.status_code < 200,
        CallbackAttempt.status_code >= 300,
    )
    failed_attempts = (
        db_session.scalar(
            select(func.count())
            .select_from(CallbackAttempt)
            .join(CallbackDelivery, CallbackDelivery.id == CallbackAttempt.delivery_id)
            .join(Job, Job.smile_job_id == CallbackDelivery.smile_job_id)
            .where(in_reach, CallbackAttempt.attempted_at >= period.since, failed)
        )
        or 0
    )
    made: dict[str, int] = {"delivered": 0, "abandoned": 0, "waiting": 0}
    for delivered, abandoned, count in db_session.execute(
        select(CallbackDelivery.delivered, CallbackDelivery.abandoned, func.count())
        .select_from(Job)
        .join(*delivery_job)
        .where(in_reach, CallbackDelivery.created_at >= period.since)
        .group_by(CallbackDelivery.delivered, CallbackDelivery.abandoned)
    ):
        made["delivered" if delivered else "abandoned" if abandoned else "waiting"] += count
    retried = (CallbackDelivery.attempts > 0).label("retried")
    now: dict[str, int] = {}
    for was_retried, count in db_session.execute(
        select(retried, func.count())
        .select_from(Job)
        .join(*delivery_job)
        # ix_callback_deliveries_delivered: the undelivered are few next to the delivered.
        .where(scope, CallbackDelivery.delivered.is_(False), CallbackDelivery.abandoned.is_(False))
        .group_by(retried)
    ):
        status = undelivered_status(abandoned=False, retried=bool(was_retried))
        now[status] = now.get(status, 0) + count
    return CallbackFigures(
        failed_attempts=failed_attempts,
        delivered=made["delivered"],
        abandoned=made["abandoned"],
        waiting=made["waiting"],
        pending_now=now.get("pending", 0),
        retrying_now=now.get("retrying", 0),
    )
