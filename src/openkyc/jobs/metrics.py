"""Job, queue and callback figures read from the database at scrape time (the app registers the
collector with openkyc.observability.metrics, which knows nothing of jobs).

Several API and worker processes share one database, so per-process counters would each see a
slice: these figures come from the tables instead, and every process reports the same numbers
(aggregate across instances with ``max``, not ``sum``). Each scrape runs a few aggregate queries:
the backlog (an index range on jobs.state), the jobs finished in the last window, and the newest
callback attempts (a primary-key range), each bounded in rows and, on PostgreSQL, in time.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta

from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import ColumnElement, Connection, Engine, and_, func, or_, select, text
from sqlalchemy.exc import SQLAlchemyError

from openkyc.callbacks.models import CallbackAttempt, CallbackDelivery
from openkyc.db import utcnow
from openkyc.job_types import JobType
from openkyc.jobs.models import Job, JobState
from openkyc.products.failures import PRODUCTS_BY_JOB_TYPE

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=1)
# At most this many finished jobs / callback attempts feed the latency histograms per scrape.
MAX_SAMPLES = 10_000
STATEMENT_TIMEOUT_MS = 5_000

BACKLOG_STATES = (
    JobState.AWAITING_UPLOAD,
    JobState.RECEIVING,
    JobState.QUEUED,
    JobState.PROCESSING,
    JobState.REVIEW,
)
STAGE_BUCKETS: dict[str, tuple[float, ...]] = {
    # prep-upload → zip received (the partner's client uploading).
    "upload": (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
    # zip received → result recorded (queue wait included).
    "verification": (0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600),
    # job created → result recorded (synchronous look-ups: the request itself).
    "total": (0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
}
CALLBACK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)
DELIVERY_STATUSES = ("pending", "retrying", "abandoned")
ATTEMPT_RESULTS = ("delivered", "http_error", "no_response")
# Result codes are ours (four digits); anything else is folded so a label can never carry data.
_RESULT_CODE = re.compile(r"^\d{4}$")
# Product names for metric labels, by job_type: a fixed, small set (never partner data).
PRODUCT_NAMES: dict[int, str] = {
    **{job_type: product.value for job_type, product in PRODUCTS_BY_JOB_TYPE.items()},
    # Enhanced and Basic KYC share job_type 5 (compatibility §3.1).
    JobType.ENHANCED_KYC: "id_verification",
    JobType.BUSINESS_VERIFICATION: "business_verification",
}


class DatabaseCollector(Collector):
    """A prometheus_client collector querying ``engine`` on every scrape."""

    def __init__(
        self,
        engine: Engine,
        *,
        window: timedelta = WINDOW,
        max_samples: int = MAX_SAMPLES,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.window = window
        self.max_samples = max_samples
        self.clock = clock

    def describe(self) -> Iterable[Metric]:
        # Nothing: registering must not query the database (prometheus_client calls collect()
        # to learn the names when describe() is missing).
        return []

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        now = self.clock()
        try:
            with self.engine.connect() as connection:
                limit_statement_time(connection)
                families = [
                    *backlog_metrics(connection, now),
                    *result_metrics(connection, now - self.window),
                    latency_metric(connection, now - self.window, self.max_samples),
                    *callback_metrics(connection, now - self.window, self.max_samples),
                ]
            up = 1.0
        except SQLAlchemyError as error:
            # The scrape still answers (process metrics, database_up 0): an outage is visible.
            log.warning("metrics: database query failed (%s)", type(error).__name__)
            families, up = [], 0.0
        yield from families
        yield GaugeMetricFamily(
            "openkyc_database_up", "Whether the metrics queries reached the database.", value=up
        )
        yield GaugeMetricFamily(
            "openkyc_metrics_window_seconds",
            "Length of the recent window the *_recent metrics and latency histograms cover.",
            value=self.window.total_seconds(),
        )
        yield GaugeMetricFamily(
            "openkyc_metrics_collect_seconds",
            "Time the database queries of this scrape took.",
            value=time.perf_counter() - started,
        )


def limit_statement_time(connection: Connection) -> None:
    """On PostgreSQL, end this transaction's queries after STATEMENT_TIMEOUT_MS (the portal's
    dashboard reads its figures under the same bound)."""
    if connection.dialect.name == "postgresql":
        # SET LOCAL: only this scrape's transaction, which ends when the connection goes back.
        connection.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))


def in_backlog(now: datetime) -> ColumnElement[bool]:
    """Jobs someone waits on at ``now``: in a BACKLOG_STATES state (an index range on jobs.state)."""
    return and_(
        Job.state.in_([str(state) for state in BACKLOG_STATES]),
        # Upload URLs that expired unused are not work anyone waits for.
        or_(
            Job.state != JobState.AWAITING_UPLOAD,
            Job.upload_expires_at.is_(None),
            Job.upload_expires_at >= now,
        ),
    )


def backlog_metrics(connection: Connection, now: datetime) -> list[Metric]:
    """Jobs waiting for an upload, in the queue, being verified or awaiting review."""
    query = (
        select(Job.job_type, Job.state, func.count(), func.min(Job.queued_at))
        .where(in_backlog(now))
        .group_by(Job.job_type, Job.state)
    )
    depth: dict[tuple[str, str], float] = {
        (product, str(state)): 0.0 for product in PRODUCT_NAMES.values() for state in BACKLOG_STATES
    }
    oldest: dict[str, float] = {product: 0.0 for product in PRODUCT_NAMES.values()}
    for job_type, state, count, first_queued in connection.execute(query):
        product = product_name(job_type)
        depth[(product, str(state))] = depth.get((product, str(state)), 0.0) + count
        if state == JobState.QUEUED and first_queued is not None:
            age = max(0.0, (now - first_queued).total_seconds())
            oldest[product] = max(oldest.get(product, 0.0), age)
    depth_family = GaugeMetricFamily(
        "openkyc_queue_depth",
        "Jobs by product and state: awaiting_upload (unexpired), receiving, queued, processing, review.",
        labels=["product", "state"],
    )
    for (product, state), jobs in sorted(depth.items()):
        depth_family.add_metric([product, state], jobs)
    oldest_family = GaugeMetricFamily(
        "openkyc_queue_oldest_age_seconds",
        "Age of the oldest queued job (time since it entered the queue), by product.",
        labels=["product"],
    )
    for product, age in sorted(oldest.items()):
        oldest_family.add_metric([product], age)
    return [depth_family, oldest_family]


def result_metrics(connection: Connection, since: datetime) -> list[Metric]:
    """Jobs whose result was recorded in the window, by product and ResultCode."""
    code = Job.result["ResultCode"].as_string()
    query = (
        select(Job.job_type, code, func.count()).where(Job.completed_at >= since).group_by(Job.job_type, code)
    )
    counts: dict[tuple[str, str], float] = {}
    for job_type, result_code, count in connection.execute(query):
        label = result_code if isinstance(result_code, str) and _RESULT_CODE.match(result_code) else "other"
        key = (product_name(job_type), label)
        counts[key] = counts.get(key, 0.0) + count
    family = GaugeMetricFamily(
        "openkyc_jobs_completed_recent",
        "Jobs whose latest result was recorded in the recent window, by product and ResultCode.",
        labels=["product", "result"],
    )
    for (product, result), count in sorted(counts.items()):
        family.add_metric([product, result], count)
    return [family]


def latency_metric(connection: Connection, since: datetime, max_samples: int) -> Metric:
    """Stage latencies of the jobs finished in the window (the newest ``max_samples``)."""
    machine = Job.result["IsMachineResult"].as_string()
    query = (
        select(Job.job_type, Job.created_at, Job.queued_at, Job.completed_at, machine)
        .where(Job.completed_at >= since)
        .order_by(Job.completed_at.desc())
        .limit(max_samples)
    )
    samples: dict[tuple[str, str], list[float]] = {}
    for job_type, created_at, queued_at, completed_at, is_machine in connection.execute(query):
        product = product_name(job_type)
        if queued_at is not None:
            samples.setdefault((product, "upload"), []).append(_seconds(created_at, queued_at))
        # A reviewer's decision resets completed_at: its wait is not the machine's latency.
        if is_machine == "false":
            continue
        if queued_at is not None:
            samples.setdefault((product, "verification"), []).append(_seconds(queued_at, completed_at))
        samples.setdefault((product, "total"), []).append(_seconds(created_at, completed_at))
    family = GaugeHistogramMetricFamily(
        "openkyc_stage_latency_seconds",
        "Stage latencies of the jobs finished in the recent window: upload (prep-upload to zip "
        "received), verification (zip received to result, queue wait included), total.",
        labels=["product", "stage"],
    )
    for (product, stage), values in sorted(samples.items()):
        family.add_metric([product, stage], _buckets(values, STAGE_BUCKETS[stage]), gsum_value=sum(values))
    return family


def callback_metrics(connection: Connection, since: datetime, max_samples: int) -> list[Metric]:
    """Undelivered callbacks by status, and the recent attempts by outcome and duration."""
    retried = (CallbackDelivery.attempts > 0).label("retried")
    undelivered = (
        select(CallbackDelivery.abandoned, retried, func.count())
        .where(CallbackDelivery.delivered.is_(False))
        .group_by(CallbackDelivery.abandoned, retried)
    )
    deliveries = dict.fromkeys(DELIVERY_STATUSES, 0.0)
    for abandoned, was_retried, count in connection.execute(undelivered):
        deliveries[undelivered_status(abandoned=abandoned, retried=was_retried)] += count
    delivery_family = GaugeMetricFamily(
        "openkyc_callback_deliveries",
        "Undelivered callbacks: pending (never tried), retrying (failed so far), abandoned (gave up).",
        labels=["status"],
    )
    for status, undelivered_count in deliveries.items():
        delivery_family.add_metric([status], undelivered_count)

    # The newest attempts by primary key (ids grow with time), then the window: no index needed.
    newest = (
        select(CallbackAttempt.status_code, CallbackAttempt.duration_ms, CallbackAttempt.attempted_at)
        .order_by(CallbackAttempt.id.desc())
        .limit(max_samples)
    )
    outcomes = dict.fromkeys(ATTEMPT_RESULTS, 0.0)
    durations: list[float] = []
    for status_code, duration_ms, attempted_at in connection.execute(newest):
        if attempted_at < since:
            continue
        if status_code is not None and 200 <= status_code < 300:
            outcomes["delivered"] += 1
        elif status_code is not None:
            outcomes["http_error"] += 1
        else:
            outcomes["no_response"] += 1
        if duration_ms is not None:
            durations.append(max(0.0, duration_ms / 1000.0))
    attempt_family = GaugeMetricFamily(
        "openkyc_callback_attempts_recent",
        "Callback attempts in the recent window: delivered (2xx), http_error (other status), "
        "no_response (refused, unreachable, timed out).",
        labels=["result"],
    )
    for result, attempts in outcomes.items():
        attempt_family.add_metric([result], attempts)
    duration_family = GaugeHistogramMetricFamily(
        "openkyc_callback_attempt_duration_seconds",
        "Durations of the callback attempts in the recent window.",
        labels=[],
    )
    duration_family.add_metric([], _buckets(durations, CALLBACK_BUCKETS), gsum_value=sum(durations))
    return [delivery_family, attempt_family, duration_family]


def undelivered_status(*, abandoned: bool, retried: bool) -> str:
    """One of DELIVERY_STATUSES for an undelivered callback."""
    return "abandoned" if abandoned else "retrying" if retried else "pending"


def _seconds(start: datetime, end: datetime) -> float:
    # Clocks of different hosts may disagree by a little: never a negative latency.
    return max(0.0, (end - start).total_seconds())


def _buckets(values: Sequence[float], bounds: Sequence[float]) -> list[tuple[str, float]]:
    """Cumulative ``le`` buckets, ``+Inf`` last, in prometheus_client's form."""
    ordered = sorted(values)
    buckets: list[tuple[str, float]] = []
    index = 0
    for bound in bounds:
        while index < len(ordered) and ordered[index] <= bound:
            index += 1
        buckets.append((_le(bound), float(index)))
    buckets.append(("+Inf", float(len(ordered))))
    return buckets


def _le(bound: float) -> str:
    return str(float(bound))


def product_name(job_type: object) -> str:
    """The product of ``job_type``; ``job_type_N`` for other small integers, else ``other``."""
    try:
        number = int(str(job_type))
    except ValueError:
        return "other"
    if number in PRODUCT_NAMES:
        return PRODUCT_NAMES[number]
    return f"job_type_{number}" if 0 <= number < 100 else "other"
