"""The database collector's figures, on SQLite and on PostgreSQL, from rows with known timestamps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy.orm import Session

from openkyc.callbacks.models import CallbackAttempt, CallbackDelivery
from openkyc.db import transaction
from openkyc.jobs.metrics import DatabaseCollector
from openkyc.jobs.models import Job, JobState
from openkyc.runtime import Runtime
from tests.observability.conftest import Samples, sample, samples_of
from tests.observability.postgres import database_url, throwaway_database
from tests.server import make_partner, make_runtime

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    if request.param == "sqlite":
        yield make_runtime(tmp_path)
        return
    with throwaway_database() as name:
        runtime = make_runtime(tmp_path, database_url=database_url(name))
        try:
            yield runtime
        finally:
            runtime.engine.dispose()


class Rows:
    def __init__(self, session: Session, partner_id: str) -> None:
        self.session, self.partner_id, self.count = session, partner_id, 0

    def job(self, job_type: int, state: JobState, created: datetime, **fields: Any) -> Job:
        self.count += 1
        job = Job(
            smile_job_id=f"{self.count:010d}",
            partner_id=self.partner_id,
            environment="sandbox",
            api_key_id="key_test",
            user_id=f"user-{self.count}",
            job_id=f"job-{self.count}",
            job_type=job_type,
            partner_params={},
            state=state,
            created_at=created,
            **fields,
        )
        self.session.add(job)
        self.session.flush()
        return job

    def delivery(self, job: Job, **fields: Any) -> CallbackDelivery:
        delivery = CallbackDelivery(
            smile_job_id=job.smile_job_id, url="http://127.0.0.1:9/cb", payload={}, give_up_at=NOW, **fields
        )
        self.session.add(delivery)
        self.session.flush()
        return delivery


def _fill(runtime: Runtime) -> None:
    partner = make_partner(runtime)
    with transaction(runtime.sessions) as session:
        rows = Rows(session, partner.partner_id)
        # Backlog.
        rows.job(4, JobState.QUEUED, NOW - 600 * S, queued_at=NOW - 300 * S)
        rows.job(4, JobState.QUEUED, NOW - 100 * S, queued_at=NOW - 60 * S)
        rows.job(6, JobState.PROCESSING, NOW - 100 * S, queued_at=NOW - 90 * S)
        rows.job(6, JobState.AWAITING_UPLOAD, NOW - 10 * S, upload_expires_at=NOW + 3600 * S)
        rows.job(6, JobState.AWAITING_UPLOAD, NOW - 7200 * S, upload_expires_at=NOW - 3600 * S)  # expired
        # Finished in the last hour: upload 20 s, verification 3 s; upload 2 s, verification 0.5 s.
        start = NOW - 1800 * S
        done = rows.job(
            4,
            JobState.COMPLETE,
            start,
            queued_at=start + 20 * S,
            completed_at=start + 23 * S,
            result={"ResultCode": "0810", "IsMachineResult": "true"},
        )
        start = NOW - 1200 * S
        rows.job(
            4,
            JobState.FAILED,
            start,
            queued_at=start + 2 * S,
            completed_at=start + 2.5 * S,
            result={"ResultCode": "0001", "IsMachineResult": "true"},
        )
        # A synchronous look-up (no upload stage).
        rows.job(
            5, JobState.COMPLETE, NOW - 300 * S, completed_at=NOW - 298.8 * S, result={"ResultCode": "1012"}
        )
        # A reviewer's decision: its upload counts, its completion time is not machine latency.
        start = NOW - 3000 * S
        rows.job(
            6,
            JobState.COMPLETE,
            start,
            queued_at=start + 10 * S,
            completed_at=NOW - 60 * S,
            result={"ResultCode": "0810", "IsMachineResult": "false"},
        )
        # Finished before the window; a result code that is not ours.
        rows.job(
            4,
            JobState.COMPLETE,
            NOW - 9000 * S,
            queued_at=NOW - 8990 * S,
            completed_at=NOW - 8980 * S,
            result={"ResultCode": "0810"},
        )
        rows.job(
            4, JobState.COMPLETE, NOW - 100 * S, completed_at=NOW - 99 * S, result={"ResultCode": "user-42"}
        )

        rows.delivery(done)
        rows.delivery(done, attempts=2)
        rows.delivery(done, attempts=5, abandoned=True)
        sent = rows.delivery(done, attempts=1, delivered=True)
        for status, ms, ago in ((200, 120.0, 60), (500, 2000.0, 120), (None, 10000.0, 180), (200, 5.0, 7200)):
            session.add(
                CallbackAttempt(
                    delivery_id=sent.id, status_code=status, duration_ms=ms, attempted_at=NOW - ago * S
                )
            )


def _collect(runtime: Runtime) -> Samples:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(runtime.engine, clock=lambda: NOW))
    return samples_of(generate_latest(registry).decode())


def test_backlog_results_latencies_and_callbacks(any_runtime: Runtime) -> None:
    _fill(any_runtime)
    found = _collect(any_runtime)

    def depth(product: str, state: str) -> float | None:
        return sample(found, "openkyc_queue_depth", product=product, state=state)

    assert depth("smart_selfie_enrollment", "queued") == 2
    assert depth("document_verification", "processing") == 1
    assert depth("document_verification", "awaiting_upload") == 1  # the expired upload left out
    assert depth("biometric_kyc", "queued") == 0  # known products are always reported
    assert sample(found, "openkyc_queue_oldest_age_seconds", product="smart_selfie_enrollment") == 300

    def completed(product: str, result: str) -> float | None:
        return sample(found, "openkyc_jobs_completed_recent", product=product, result=result)

    assert completed("smart_selfie_enrollment", "0810") == 1  # not the one from three hours ago
    assert completed("smart_selfie_enrollment", "0001") == 1
    assert completed("smart_selfie_enrollment", "other") == 1  # never a label from the result's data
    assert completed("id_verification", "1012") == 1
    assert completed("document_verification", "0810") == 1

    def bucket(product: str, stage: str, le: str) -> float | None:
        return sample(found, "openkyc_stage_latency_seconds_bucket", product=product, stage=stage, le=le)

    assert [bucket("smart_selfie_enrollment", "upload", le) for le in ("1.0", "5.0", "30.0", "+Inf")] == [
        0,
        1,
        2,
        2,
    ]
    assert sample(
        found, "openkyc_stage_latency_seconds_gsum", product="smart_selfie_enrollment", stage="upload"
    ) == pytest.approx(22)
    assert [bucket("smart_selfie_enrollment", "verification", le) for le in ("0.25", "0.5", "5.0")] == [
        0,
        1,
        2,
    ]
    assert bucket("smart_selfie_enrollment", "total", "+Inf") == 3  # with the job without upload
    assert [bucket("document_verification", "upload", le) for le in ("5.0", "15.0")] == [0, 1]
    assert bucket("document_verification", "verification", "+Inf") is None  # reviewed: not machine time
    assert bucket("id_verification", "total", "2.0") == 1
    assert bucket("id_verification", "upload", "+Inf") is None

    assert sample(found, "openkyc_callback_deliveries", status="pending") == 1
    assert sample(found, "openkyc_callback_deliveries", status="retrying") == 1
    assert sample(found, "openkyc_callback_deliveries", status="abandoned") == 1
    assert sample(found, "openkyc_callback_attempts_recent", result="delivered") == 1  # not the old one
    assert sample(found, "openkyc_callback_attempts_recent", result="http_error") == 1
    assert sample(found, "openkyc_callback_attempts_recent", result="no_response") == 1
    assert sample(found, "openkyc_callback_attempt_duration_seconds_bucket", le="0.25") == 1
    assert sample(found, "openkyc_callback_attempt_duration_seconds_gcount") == 3
    assert sample(found, "openkyc_callback_attempt_duration_seconds_gsum") == pytest.approx(12.12)
    assert sample(found, "openkyc_database_up") == 1
    assert sample(found, "openkyc_metrics_window_seconds") == 3600


def test_an_empty_database_reports_zeros(runtime: Runtime) -> None:
    found = _collect(runtime)
    assert sample(found, "openkyc_queue_depth", product="document_verification", state="queued") == 0
    assert sample(found, "openkyc_callback_deliveries", status="abandoned") == 0
    assert sample(found, "openkyc_callback_attempt_duration_seconds_gcount") == 0


def test_an_unreachable_database_is_reported_not_raised(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(engine))
    found = samples_of(generate_latest(registry).decode())
    assert sample(found, "openkyc_database_up") == 0
    assert not any(name == "openkyc_queue_depth" for name, _ in found)
