"""The portal's home page: a dashboard of the member's partner's jobs over the last 7, 30 or 90
days, in one environment or both. The figures come from ``jobs.stats``; this module picks the
period, draws the charts (``portal.charts``, inline SVG: the portal runs no script) and words
the durations and rates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import OperationalError

from openkyc.db import transaction
from openkyc.jobs import stats
from openkyc.jobs.metrics import BACKLOG_STATES
from openkyc.jobs.stats import DashboardFigures, ResultClass, Tally
from openkyc.portal.charts import Series, column_chart, share_bars
from openkyc.portal.pages import PortalRefusal, Reader, new_router, page, small_number
from openkyc.portal.views import PRODUCTS
from openkyc.signing.environment import Environment
from openkyc.signing.errors import describe_duration
from openkyc.webdeps import RuntimeDep

router = new_router()

ALL = "all"
ENVIRONMENTS: dict[str, tuple[str, ...]] = {
    ALL: tuple(item.value for item in Environment),
    **{item.value: (item.value,) for item in Environment},
}
DEFAULT_DAYS = 30
# The result classes in the order they are stacked (bottom up), listed and tabled.
RESULT_SERIES = (
    Series("approved", "r-" + ResultClass.APPROVED.value),
    Series("rejected", "r-" + ResultClass.REJECTED.value),
    Series("in review", "r-" + ResultClass.PROVISIONAL.value),
    Series("errors", "r-" + ResultClass.ERROR.value),
)
CLASSES = (ResultClass.APPROVED, ResultClass.REJECTED, ResultClass.PROVISIONAL, ResultClass.ERROR)
STATE_NAMES = {
    "awaiting_upload": "Waiting for the upload",
    "receiving": "Upload being taken in",
    "queued": "Queued",
    "processing": "Being verified",
    "review": "Waiting for a reviewer",
}


def _choices(params: Mapping[str, str]) -> tuple[str, int]:
    """The environment and period asked for; a value the page does not offer is a 400."""
    environment = params.get("environment") or ALL
    if environment not in ENVIRONMENTS:
        raise PortalRefusal(
            400, "Unknown filter value", "The environment filter has a value the dashboard does not know."
        )
    days = small_number(params.get("days") or str(DEFAULT_DAYS))
    if days not in stats.PERIOD_DAYS:
        raise PortalRefusal(
            400,
            "Unknown filter value",
            "The dashboard covers the last " + ", ".join(map(str, stats.PERIOD_DAYS)) + " days only.",
        )
    return environment, days


@router.get("/")
def dashboard(request: Request, runtime: RuntimeDep, member: Reader) -> Response:
    environment, days = _choices(request.query_params)
    try:
        with transaction(runtime.sessions) as db:
            figures = stats.dashboard_figures(
                db,
                partner_id=member.user.partner_id,
                environments=ENVIRONMENTS[environment],
                days=days,
                callback_horizon=runtime.settings.callback_retry_horizon,
            )
    except OperationalError:
        # Its queries are bounded in time on PostgreSQL (jobs.metrics.limit_statement_time).
        raise PortalRefusal(
            503,
            "Figures unavailable",
            "The dashboard's figures could not be read just now. Try again shortly.",
        ) from None
    return page(
        request,
        "dashboard.html",
        member=member,
        postman=str(request.scope.get("root_path", "")) + "/docs/postman.json",
        figures=figures,
        environment=environment,
        days=days,
        **_view(figures, environment, days),
    )


def _link(environment: str, days: int) -> str:
    return "?" + urlencode({"environment": environment, "days": str(days)})


def _jobs_link(environment: str, **filters: str) -> str:
    if environment != ALL:
        filters = {"environment": environment, **filters}
    return "jobs" + ("?" + urlencode(filters) if filters else "")


def _duration(value: timedelta | None) -> str:
    return "–" if value is None else describe_duration(value)


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f}%"


def _day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def _view(figures: DashboardFigures, environment: str, days: int) -> dict[str, Any]:
    """What the template shows besides the figures themselves: charts, links, worded values."""
    each_day = [day for day, _ in figures.days]
    # A label every day for a week, every 5th or 15th day for longer; today always labelled.
    every = 1 if days <= 8 else 5 if days <= 31 else 15
    results_chart = column_chart(
        [_day_label(day) for day in each_day],
        RESULT_SERIES,
        [[tally[kind] for kind in CLASSES] for _, tally in figures.days],
        titles=[f"{day:%a} {day.day} {day:%b %Y}" for day in each_day],
        labelled=[(len(each_day) - 1 - index) % every == 0 for index in range(len(each_day))],
    )
    products = [
        (PRODUCTS.get(job_type, f"Job type {job_type}"), tally)
        for job_type, tally in figures.products.items()
    ]
    rates_chart = share_bars(
        [(name, tally.pass_rate, _rate_text(tally)) for name, tally in products],
    )
    return {
        "environments": [(name, _link(name, days)) for name in ENVIRONMENTS],
        "periods": [(number, _link(environment, number)) for number in stats.PERIOD_DAYS],
        "series": RESULT_SERIES,
        "classes": CLASSES,
        "results_chart": results_chart,
        "day_rows": [(f"{day:%a} {day.day} {day:%b %Y}", tally) for day, tally in reversed(figures.days)],
        "rates_chart": rates_chart,
        "products": products,
        "pass_rate": _percent(figures.total.pass_rate),
        "percent": _percent,
        "backlog_oldest": _duration(figures.backlog.oldest),
        "backlog_median": _duration(figures.backlog.median),
        "review_median": _duration(figures.review_times.median),
        "in_progress": [
            (
                STATE_NAMES.get(str(state), str(state)),
                figures.in_progress.get(str(state), 0),
                _jobs_link(environment, state=str(state)),
            )
            for state in BACKLOG_STATES
        ],
        "review_link": _jobs_link(environment, state="review"),
        "jobs_link": _jobs_link(environment),
        "environment_label": "sandbox and production" if environment == ALL else environment,
    }


def _rate_text(tally: Tally) -> str:
    if not tally.decided:
        return "none decided yet"
    return f"{_percent(tally.pass_rate)} · {tally[ResultClass.APPROVED]} of {tally.decided}"
