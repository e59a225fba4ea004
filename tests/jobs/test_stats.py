"""The dashboard's figures (jobs.stats) from jobs with known timestamps, on SQLite and on
PostgreSQL (whose session time zone is set far from UTC: days must still be UTC days)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from openkyc.audit.models import AuditEvent
from openkyc.callbacks.models import CallbackAttempt, CallbackDelivery
from openkyc.db import transaction
from openkyc.jobs import stats
from openkyc.jobs.models import Job, JobState
from openkyc.jobs.review import DECIDED as REVIEW_DECIDED
from openkyc.jobs.stats import DashboardFigures, ResultClass, result_class
from openkyc.runtime import Runtime
from tests.observability.postgres import database_url, throwaway_database
from tests.server import make_partner, make_runtime

# Just after midnight UTC: a day boundary is half an hour ago.
NOW = datetime(2030, 1, 10, 0, 30, tzinfo=UTC)
TODAY = date(2030, 1, 10)
H = timedelta(hours=1)
HORIZON = timedelta(hours=24)
BOTH = ("sandbox", "production")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    if request.param == "sqlite":
        yield make_runtime(tmp_path)
        return
    with throwaway_database("openkyc_stats") as name:
        # A session zone 9 hours ahead of UTC: date() of a timestamptz there is another day.
        url = database_url(name) + "&options=-c%20TimeZone%3DAsia/Tokyo"
        runtime = make_runtime(tmp_path, database_url=url)
        try:
            yield runtime
        finally:
            runtime.engine.dispose()


class Rows:
    def __init__(self, session: Session, partner_id: str) -> None:
        self.session, self.partner_id, self.count = session, partner_id, 0

    def job(
        self,
        job_type: int,
        state: JobState,
        *,
        completed: datetime | None = None,
        code: str | None = None,
        success: bool = False,
        environment: str = "sandbox",
        created: datetime | None = None,
        partner_id: str | None = None,
    ) -> Job:
        self.count += 1
        # PartnerParams is sealed: the figures must read the clear keys beside the sealed token.
        result = (
            None
            if code is None
            else {"ResultCode": code, "PartnerParams": {"user_id": "u"}, "_success": success}
        )
        job = Job(
            smile_job_id=f"{self.count:010d}",
            partner_id=partner_id or self.partner_id,
            environment=environment,
            api_key_id="key_test",
            user_id=f"user-{self.count}",
            job_id=f"job-{self.count}",
            job_type=job_type,
            partner_params={},
            state=state,
            created_at=created or (completed - H if completed else NOW - H),
            completed_at=completed,
            result=result,
        )
        self.session.add(job)
        self.session.flush()
        return job

    def delivery(self, job: Job, created: datetime, **fields: Any) -> CallbackDelivery:
        delivery = CallbackDelivery(
            smile_job_id=job.smile_job_id,
            url="http://127.0.0.1:9/cb",
            payload={},
            created_at=created,
            give_up_at=created + HORIZON,
            **fields,
        )
        self.session.add(delivery)
        self.session.flush()
        return delivery

    def attempt(self, delivery: CallbackDelivery, at: datetime, status: int | None) -> None:
        self.session.add(CallbackAttempt(delivery_id=delivery.id, attempted_at=at, status_code=status))

    def decision(self, job: Job, at: datetime, waited: timedelta | None = None) -> None:
        detail: dict[str, object] = {"approve": True}
        if waited is not None:
            detail["waited_s"] = round(waited.total_seconds())
        self.session.add(
            AuditEvent(
                at=at,
                actor_type="reviewer",
                actor_id="someone",
                action=REVIEW_DECIDED,
                target_type="job",
                target_id=job.smile_job_id,
                detail=detail,
            )
        )


def _figures(
    runtime: Runtime, partner_id: str, environments: tuple[str, ...] = BOTH, days: int = 7
) -> DashboardFigures:
    with transaction(runtime.sessions) as session:
        return stats.dashboard_figures(
            session,
            partner_id=partner_id,
            environments=environments,
            days=days,
            callback_horizon=HORIZON,
            now=NOW,
        )


def test_results_by_day_class_and_product_with_utc_day_boundaries(any_runtime: Runtime) -> None:
    partner = make_partner(any_runtime).partner_id
    other = make_partner(any_runtime, name="Other").partner_id
    midnight = datetime(2030, 1, 10, tzinfo=UTC)
    with transaction(any_runtime.sessions) as session:
        rows = Rows(session, partner)
        # Today (after midnight UTC): approved, rejected, an error, and one in review.
        rows.job(4, JobState.COMPLETE, completed=midnight, code="0810", success=True)
        rows.job(4, JobState.FAILED, completed=midnight + 0.25 * H, code="0811")
        rows.job(4, JobState.FAILED, completed=midnight + 0.1 * H, code="0001")
        rows.job(6, JobState.REVIEW, completed=midnight + 0.2 * H, code="0814")
        # Yesterday, a second before midnight; an Enhanced KYC look-up whose authority was down.
        rows.job(4, JobState.COMPLETE, completed=midnight - timedelta(seconds=1), code="0810", success=True)
        rows.job(5, JobState.COMPLETE, completed=midnight - 5 * H, code="1015")
        rows.job(5, JobState.COMPLETE, completed=midnight - 6 * H, code="1012", success=True)
        # The period's first day at 00:00, and the second before it (out of the period).
        first = datetime(2030, 1, 4, tzinfo=UTC)
        rows.job(6, JobState.COMPLETE, completed=first, code="0810", success=True)
        rows.job(6, JobState.COMPLETE, completed=first - timedelta(seconds=1), code="0810", success=True)
        # Production, another partner, and jobs with no result yet.
        rows.job(4, JobState.COMPLETE, completed=midnight + 0.2 * H, code="0811", environment="production")
        rows.job(4, JobState.COMPLETE, completed=midnight, code="0810", success=True, partner_id=other)
        rows.job(4, JobState.QUEUED)
        rows.job(4, JobState.PROCESSING, environment="production")

    figures = _figures(any_runtime, partner)
    assert figures.any_jobs
    assert figures.period.first_day == date(2030, 1, 4) and figures.period.last_day == TODAY
    assert [day for day, _ in figures.days] == [date(2030, 1, 4) + timedelta(days=n) for n in range(7)]
    by_day = {day: tally.counts for day, tally in figures.days}
    assert by_day[TODAY] == {
        ResultClass.APPROVED: 1,
        ResultClass.REJECTED: 2,  # the production one too: both environments asked for
        ResultClass.PROVISIONAL: 1,
        ResultClass.ERROR: 1,
    }
    assert by_day[date(2030, 1, 9)] == {
        ResultClass.APPROVED: 2,
        ResultClass.REJECTED: 0,
        ResultClass.PROVISIONAL: 0,
        ResultClass.ERROR: 1,
    }
    assert by_day[date(2030, 1, 4)][ResultClass.APPROVED] == 1  # not the one a second earlier
    assert sum(tally.total for _, tally in figures.days) == figures.total.total == 9
    assert figures.total.pass_rate == pytest.approx(4 / 6)
    assert set(figures.products) == {4, 5, 6}
    assert figures.products[4].counts == {
        ResultClass.APPROVED: 2,
        ResultClass.REJECTED: 2,
        ResultClass.PROVISIONAL: 0,
        ResultClass.ERROR: 1,
    }
    assert figures.products[5].pass_rate == 1.0  # the unreachable authority is an error, not a fail
    assert figures.products[6].pass_rate == 1.0 and figures.products[6][ResultClass.PROVISIONAL] == 1
    assert figures.in_progress == {"queued": 1, "processing": 1, "review": 1}

    sandbox = _figures(any_runtime, partner, ("sandbox",))
    assert sandbox.total.total == 8 and sandbox.total[ResultClass.REJECTED] == 1
    assert sandbox.in_progress == {"queued": 1, "review": 1}
    production = _figures(any_runtime, partner, ("production",))
    assert production.total.counts == {
        ResultClass.APPROVED: 0,
        ResultClass.REJECTED: 1,
        ResultClass.PROVISIONAL: 0,
        ResultClass.ERROR: 0,
    }
    assert production.total.pass_rate == 0.0 and production.products[4].decided == 1

    longer = _figures(any_runtime, partner, days=30)
    assert longer.total.total == 10 and len(longer.days) == 30


def test_review_backlog_and_time_to_decision(any_runtime: Runtime) -> None:
    partner = make_partner(any_runtime).partner_id
    with transaction(any_runtime.sessions) as session:
        rows = Rows(session, partner)
        for hours in (1, 3, 10):
            rows.job(6, JobState.REVIEW, completed=NOW - hours * H, code="0814")
        rows.job(6, JobState.REVIEW, completed=NOW - 50 * H, code="0814", environment="production")
        # Decided in the period after 2 h, 4 h and 30 h from submission; one before the period.
        for created, decided in (
            (NOW - 3 * H, NOW - H),
            (NOW - 5 * H, NOW - H),
            (NOW - 40 * H, NOW - 10 * H),
        ):
            job = rows.job(
                6, JobState.COMPLETE, completed=decided, code="0810", success=True, created=created
            )
            rows.decision(job, decided)
        old = rows.job(6, JobState.COMPLETE, completed=NOW - 300 * H, code="0810", success=True)
        rows.decision(old, NOW - 300 * H)

    sandbox = _figures(any_runtime, partner, ("sandbox",))
    assert sandbox.backlog.waiting == 3
    assert sandbox.backlog.oldest == 10 * H and sandbox.backlog.median == 3 * H
    both = _figures(any_runtime, partner)
    assert both.backlog.waiting == 4
    assert both.backlog.oldest == 50 * H and both.backlog.median == 6.5 * H  # between 3 h and 10 h
    assert both.review_times.decided == 3 and both.review_times.timed == 3
    assert both.review_times.median == 4 * H
    assert _figures(any_runtime, partner, ("production",)).review_times.decided == 0
    assert _figures(any_runtime, partner, ("production",)).review_times.median is None


def test_time_to_review_counts_from_the_provisional_result_when_the_decision_recorded_it(
    any_runtime: Runtime,
) -> None:
    partner = make_partner(any_runtime).partner_id
    with transaction(any_runtime.sessions) as session:
        rows = Rows(session, partner)
        # Submitted 10 h before the decision; the reviewer's wait was recorded as 1 h, 2 h, 6 h.
        for waited in (1, 2, 6):
            job = rows.job(
                6, JobState.COMPLETE, completed=NOW - H, code="0810", success=True, created=NOW - 11 * H
            )
            rows.decision(job, NOW - H, waited=waited * H)
    assert _figures(any_runtime, partner).review_times.median == 2 * H


def test_callback_failures_in_the_period_and_waiting_now(any_runtime: Runtime) -> None:
    partner = make_partner(any_runtime).partner_id
    other = make_partner(any_runtime, name="Other").partner_id
    with transaction(any_runtime.sessions) as session:
        rows = Rows(session, partner)
        recent = rows.job(4, JobState.COMPLETE, completed=NOW - H, code="0810", success=True)
        delivered = rows.delivery(recent, NOW - H, delivered=True, attempts=2)
        rows.attempt(delivered, NOW - H, 500)
        rows.attempt(delivered, NOW - 0.5 * H, 200)
        given_up = rows.delivery(recent, NOW - 2 * H, abandoned=True, attempts=2)
        rows.attempt(given_up, NOW - 2 * H, None)
        rows.attempt(given_up, NOW - 1.5 * H, 404)
        rows.delivery(recent, NOW - 0.1 * H)  # pending: never tried
        retrying = rows.delivery(recent, NOW - 0.2 * H, attempts=1)
        rows.attempt(retrying, NOW - 0.2 * H, 503)
        # A job finished half a day before the period, its delivery still retried in it.
        first = datetime(2030, 1, 4, tzinfo=UTC)
        earlier = rows.job(4, JobState.COMPLETE, completed=first - 12 * H, code="0810", success=True)
        late = rows.delivery(earlier, first - 12 * H, attempts=3)
        rows.attempt(late, first - 11 * H, 500)  # before the period
        rows.attempt(late, first + 6 * H, 500)  # in it
        # Another partner's failure, and a production one.
        theirs = rows.job(
            4, JobState.COMPLETE, completed=NOW - H, code="0810", success=True, partner_id=other
        )
        rows.attempt(rows.delivery(theirs, NOW - H, attempts=1), NOW - H, 500)
        production = rows.job(4, JobState.COMPLETE, completed=NOW - H, code="0810", environment="production")
        rows.attempt(rows.delivery(production, NOW - H, abandoned=True, attempts=1), NOW - H, 500)

    found = _figures(any_runtime, partner, ("sandbox",)).callbacks
    assert found.failed_attempts == 5
    assert (found.delivered, found.abandoned, found.waiting) == (1, 1, 2)
    assert (found.pending_now, found.retrying_now) == (1, 2)
    both = _figures(any_runtime, partner).callbacks
    assert both.failed_attempts == 6 and both.abandoned == 2


def test_a_partner_without_jobs_has_empty_figures(any_runtime: Runtime) -> None:
    partner = make_partner(any_runtime).partner_id
    figures = _figures(any_runtime, partner, days=90)
    assert not figures.any_jobs and figures.total.total == 0 and figures.total.pass_rate is None
    assert len(figures.days) == 90 and figures.products == {} and figures.in_progress == {}
    assert figures.backlog == stats.ReviewBacklog(waiting=0, oldest=None, median=None)
    assert figures.review_times == stats.ReviewTimes(decided=0, timed=0, median=None)
    assert figures.callbacks == stats.CallbackFigures(0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("state", "code", "success", "expected"),
    [
        ("complete", "0810", True, ResultClass.APPROVED),
        ("complete", "0817", True, ResultClass.APPROVED),  # approved with attention
        ("failed", "0811", False, ResultClass.REJECTED),
        ("complete", "1013", False, ResultClass.REJECTED),  # no record of the ID number
        ("failed", "0001", False, ResultClass.ERROR),
        ("failed", "0903", False, ResultClass.ERROR),
        ("complete", "1015", False, ResultClass.ERROR),
        ("failed", "2201", False, ResultClass.ERROR),  # an interrupted look-up
        ("failed", "2314", False, ResultClass.ERROR),  # a direct upload refused
        ("failed", None, False, ResultClass.ERROR),
        ("review", "0814", False, ResultClass.PROVISIONAL),
        ("queued", None, False, None),
        ("processing", "0810", True, None),  # being redone: its old result does not count
    ],
)
def test_result_class(state: str, code: str | None, success: bool, expected: ResultClass | None) -> None:
    assert result_class(state, code, success) == expected


@pytest.mark.parametrize(
    ("days", "environments", "message"),
    [(0, BOTH, "period"), (400, BOTH, "period"), (7, (), "no environment")],
)
def test_a_period_out_of_range_is_refused(
    runtime: Runtime, days: int, environments: tuple[str, ...], message: str
) -> None:
    partner = make_partner(runtime).partner_id
    with pytest.raises(ValueError, match=message), transaction(runtime.sessions) as session:
        stats.dashboard_figures(
            session, partner_id=partner, environments=environments, days=days, callback_horizon=HORIZON
        )
