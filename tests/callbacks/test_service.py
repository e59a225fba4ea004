from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from smile_id_core.Signature import Signature
from sqlalchemy import select

from openkyc.app import create_app
from openkyc.callbacks import service
from openkyc.callbacks.client import PRIVATE_HINT, SSRF_POLICY, DeliveryOutcome
from openkyc.callbacks.models import CallbackAttempt, CallbackDelivery
from openkyc.config import Settings
from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job
from openkyc.observability.logging import ContextFilter
from openkyc.observability.redaction import RedactionFilter
from openkyc.partners.models import ApiKey, Partner
from openkyc.runtime import Runtime, build_runtime
from tests.server import PartnerCreds, make_partner, seed_migrated_database

SMILE_JOB_ID = "0000000001"
# A receiver URL whose path, query and credentials-like parts must never reach the log.
SECRET_BITS = ("hook-Secret-7Qx", "sig=", "/private-path")
PRIVATE_URL = "http://127.0.0.1:9/private-path/hook-Secret-7Qx?sig=hook-Secret-7Qx"


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Log records as the server's handler writes them: bound ids stamped, text redacted."""
    caplog.handler.addFilter(ContextFilter())
    caplog.handler.addFilter(RedactionFilter())
    caplog.set_level(logging.INFO, logger="openkyc")
    return caplog


@pytest.fixture
def strict_runtime(tmp_path: Path) -> Runtime:
    """A runtime with the production default: callbacks to private and loopback addresses refused."""
    settings = Settings(data_dir=tmp_path / "data", allow_private_callbacks=False)
    seed_migrated_database(settings)
    return build_runtime(settings)


def callback_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "openkyc.callbacks.service"]


def scheduled(
    runtime: Runtime,
    partner: PartnerCreds,
    horizon: timedelta = timedelta(hours=24),
    url: str = "http://cb.test/x",
) -> int:
    with transaction(runtime.sessions) as session:
        key_id = session.scalars(select(ApiKey.id).where(ApiKey.environment == "sandbox")).one()
        job = Job(
            smile_job_id=SMILE_JOB_ID,
            partner_id=partner.partner_id,
            environment="sandbox",
            api_key_id=key_id,
            user_id="u",
            job_id="j",
            job_type=4,
            partner_params={"user_id": "u", "job_id": "j", "job_type": 4},
        )
        session.add(job)
        session.flush()
        return service.schedule(
            db_session=session,
            job=job,
            payload={"ResultCode": "0840"},
            url=url,
            horizon=horizon,
        ).id


def test_backoff_doubles_and_is_capped() -> None:
    first = timedelta(seconds=5)
    assert [service.backoff(n, first).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert service.backoff(30, first) == service.MAX_BACKOFF


def test_each_attempt_is_signed_afresh_and_logged(
    runtime: Runtime, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[dict[str, Any]] = []
    answers = iter([DeliveryOutcome(False, 503, "HTTP 503", 3.0), DeliveryOutcome(True, 200, None, 2.0)])

    def fake_post(url: str, body: dict[str, Any], **_: Any) -> DeliveryOutcome:
        sent.append(body)
        return next(answers)

    monkeypatch.setattr(service, "post_json", fake_post)
    delivery_id = scheduled(runtime, partner)
    assert service.claim_due(runtime) == [(delivery_id, 0)]
    assert service.claim_due(runtime) == []  # claimed: a second dispatcher does not take it
    assert service.deliver(runtime, delivery_id, 0) is False
    with transaction(runtime.sessions) as session:
        delivery = session.get(CallbackDelivery, delivery_id)
        assert delivery is not None and delivery.attempts == 1 and not delivery.delivered
        assert delivery.next_attempt_at > utcnow()
        delivery.next_attempt_at = utcnow()  # make the retry due now
    assert service.claim_due(runtime) == [(delivery_id, 1)]
    assert service.deliver(runtime, delivery_id, 1) is True
    for body in sent:
        assert Signature(partner.partner_id, partner.sandbox_key).confirm_signature(
            body["timestamp"], body["signature"]
        )
        assert body["ResultCode"] == "0840"
    with transaction(runtime.sessions) as session:
        attempts = session.query(CallbackAttempt).filter_by(delivery_id=delivery_id).all()
        assert [a.status_code for a in attempts] == [503, 200]
        log = service.delivery_log(db_session=session, smile_job_id="0000000001")
    assert log[0]["delivered"] is True and len(log[0]["attempts"]) == 2


def test_delivery_is_abandoned_after_the_horizon(
    runtime: Runtime, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        service, "post_json", lambda *a, **k: DeliveryOutcome(False, None, "ConnectError", 1.0)
    )
    delivery_id = scheduled(runtime, partner, horizon=timedelta(seconds=1))
    service.deliver(runtime, delivery_id, 0)
    with transaction(runtime.sessions) as session:
        delivery = session.get(CallbackDelivery, delivery_id)
        assert delivery is not None and delivery.abandoned and not delivery.delivered
    assert service.claim_due(runtime) == []


def test_a_duplicated_attempt_is_sent_once(
    runtime: Runtime, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[dict[str, Any]] = []

    def fake_post(url: str, body: dict[str, Any], **_: Any) -> DeliveryOutcome:
        sent.append(body)
        return DeliveryOutcome(False, 502, "HTTP 502", 1.0)

    monkeypatch.setattr(service, "post_json", fake_post)
    delivery_id = scheduled(runtime, partner)
    # The same task delivered twice (a redelivered message, two sweeps): one POST, one attempt.
    assert service.deliver(runtime, delivery_id, 0) is False
    assert service.deliver(runtime, delivery_id, 0) is False
    assert len(sent) == 1
    with transaction(runtime.sessions) as session:
        delivery = session.get(CallbackDelivery, delivery_id)
        assert delivery is not None and delivery.attempts == 1
        assert session.query(CallbackAttempt).filter_by(delivery_id=delivery_id).count() == 1


def test_a_refused_attempt_is_a_warning_with_the_job_attempt_and_reason(
    strict_runtime: Runtime, logged: pytest.LogCaptureFixture
) -> None:
    partner = make_partner(strict_runtime)
    delivery_id = scheduled(strict_runtime, partner, url=PRIVATE_URL)
    assert service.deliver(strict_runtime, delivery_id, 0) is False
    with transaction(strict_runtime.sessions) as session:
        delivery = session.get(CallbackDelivery, delivery_id)
        assert delivery is not None
        delivery.next_attempt_at = utcnow()
    assert service.deliver(strict_runtime, delivery_id, 1) is False
    first, second = callback_lines(logged)
    for number, line in enumerate((first, second), 1):
        assert line.levelno == logging.WARNING
        assert getattr(line, "smile_job_id", None) == SMILE_JOB_ID
        assert getattr(line, "partner_id", None) == partner.partner_id
        message = line.getMessage()
        assert f"callback for job {SMILE_JOB_ID} to 127.0.0.1 failed on attempt {number}: " in message
        assert f"{SSRF_POLICY}: loopback address 127.0.0.1 ({PRIVATE_HINT})" in message
        assert "; next attempt in " in message
        assert not any(bit in message for bit in SECRET_BITS), message
    # The database keeps the same reason for `openkyc jobs show`.
    with transaction(strict_runtime.sessions) as session:
        (log,) = service.delivery_log(db_session=session, smile_job_id=SMILE_JOB_ID)
    assert [a["error"] for a in log["attempts"]] == [f"{SSRF_POLICY}: loopback address 127.0.0.1"] * 2


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        (DeliveryOutcome(False, None, "connection refused", 1.0), "connection refused"),
        (
            DeliveryOutcome(False, None, "timeout waiting for the answer", 1.0),
            "timeout waiting for the answer",
        ),
        (DeliveryOutcome(False, 503, "HTTP 503", 1.0), "HTTP 503"),
    ],
)
def test_each_failure_is_logged_with_its_reason(
    runtime: Runtime,
    partner: PartnerCreds,
    monkeypatch: pytest.MonkeyPatch,
    logged: pytest.LogCaptureFixture,
    outcome: DeliveryOutcome,
    reason: str,
) -> None:
    monkeypatch.setattr(service, "post_json", lambda *a, **k: outcome)
    service.deliver(runtime, scheduled(runtime, partner, url="https://user:pw@cb.test/hook?token=x"), 0)
    (line,) = callback_lines(logged)
    assert line.levelno == logging.WARNING
    assert line.getMessage().startswith(
        f"callback for job {SMILE_JOB_ID} to cb.test failed on attempt 1: {reason}; "
    )
    assert "pw" not in line.getMessage() and "token" not in line.getMessage()


def test_the_last_attempt_says_it_gives_up(
    runtime: Runtime, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch, logged: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(
        service, "post_json", lambda *a, **k: DeliveryOutcome(False, None, "connection refused", 1.0)
    )
    service.deliver(runtime, scheduled(runtime, partner, horizon=timedelta(seconds=1)), 0)
    (line,) = callback_lines(logged)
    assert line.levelno == logging.WARNING
    assert line.getMessage().endswith("connection refused; giving up: the retry window is over")


def test_a_delivery_is_one_info_line(
    runtime: Runtime, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch, logged: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(service, "post_json", lambda *a, **k: DeliveryOutcome(True, 204, None, 1.0))
    assert service.deliver(runtime, scheduled(runtime, partner), 0) is True
    (line,) = callback_lines(logged)
    assert line.levelno == logging.INFO
    assert (
        line.getMessage() == f"callback for job {SMILE_JOB_ID} delivered to cb.test on attempt 1 (HTTP 204)"
    )


@pytest.mark.parametrize(
    ("url", "allow_private", "reason"),
    [
        (PRIVATE_URL, False, f"{SSRF_POLICY}: loopback address 127.0.0.1 ({PRIVATE_HINT})"),
        ("http://localhost:3000/cb", False, f"{SSRF_POLICY}: loopback address (localhost) ({PRIVATE_HINT})"),
        ("http://user:pw@receiver.example.com/cb", True, f"{SSRF_POLICY}: credentials in the URL"),
        ("ftp://receiver.example.com/cb", True, f"{SSRF_POLICY}: not an http(s) URL with a host"),
    ],
)
def test_intake_warns_once_of_a_callback_url_every_attempt_will_refuse(
    logged: pytest.LogCaptureFixture, url: str, allow_private: bool, reason: str
) -> None:
    assert service.warn_at_intake(SMILE_JOB_ID, url, allow_private=allow_private) is True
    (line,) = callback_lines(logged)
    assert line.levelno == logging.WARNING and getattr(line, "smile_job_id", None) == SMILE_JOB_ID
    message = line.getMessage()
    assert message.startswith(f"job {SMILE_JOB_ID} was accepted with a callback_url that every delivery")
    assert f": {reason}; " in message
    assert not any(bit in message for bit in (*SECRET_BITS, "pw")), message


@pytest.mark.parametrize(
    ("url", "allow_private"),
    [
        (None, False),
        ("", False),
        ("https://receiver.example.com/cb", False),  # public, or known only once resolved: delivery says
        ("http://8.8.8.8/cb", False),
        (PRIVATE_URL, True),  # allowed by the operator
    ],
)
def test_intake_is_silent_when_delivery_may_succeed(
    logged: pytest.LogCaptureFixture, url: str | None, allow_private: bool
) -> None:
    assert service.warn_at_intake(SMILE_JOB_ID, url, allow_private=allow_private) is False
    assert callback_lines(logged) == []


def test_a_job_with_a_loopback_callback_is_accepted_with_a_warning(
    strict_runtime: Runtime, logged: pytest.LogCaptureFixture
) -> None:
    partner = make_partner(strict_runtime)
    signature = Signature(partner.partner_id, partner.sandbox_key).generate_signature()
    with TestClient(create_app(strict_runtime)) as client:
        answer = client.post(
            "/v1/upload",
            json={
                "smile_client_id": partner.partner_id,
                "partner_params": {"user_id": "u-1", "job_id": "j-1", "job_type": 4},
                "callback_url": PRIVATE_URL,
                **signature,
            },
        )
    assert answer.status_code == 200, answer.text  # Smile ID's API accepts such a job too
    smile_job_id = answer.json()["smile_job_id"]
    (line,) = callback_lines(logged)
    assert line.levelno == logging.WARNING and getattr(line, "smile_job_id", None) == smile_job_id
    assert f"job {smile_job_id} was accepted with a callback_url" in line.getMessage()
    assert "loopback address 127.0.0.1" in line.getMessage()


def test_a_job_without_a_callback_url_reports_to_its_environments_default(
    runtime: Runtime, partner: PartnerCreds
) -> None:
    with transaction(runtime.sessions) as db:
        row = db.get(Partner, partner.partner_id)
        assert row is not None
        row.sandbox_callback_url, row.production_callback_url = (
            "https://test.example/cb",
            "https://live.example/cb",
        )
    urls = []
    with transaction(runtime.sessions) as db:
        for number, (environment, own) in enumerate(
            [("sandbox", None), ("production", None), ("production", "https://own.example/cb")]
        ):
            job = Job(
                smile_job_id=f"000000000{number}",
                partner_id=partner.partner_id,
                environment=environment,
                api_key_id="k",
                user_id="u",
                job_id=f"j{number}",
                job_type=4,
                partner_params={"user_id": "u", "job_id": f"j{number}", "job_type": 4},
                callback_url=own,
            )
            db.add(job)
            db.flush()
            delivery = service.schedule_result(
                db_session=db, job=job, result={"ResultCode": "0840"}, horizon=timedelta(hours=1)
            )
            assert delivery is not None
            urls.append(delivery.url)
    assert urls == ["https://test.example/cb", "https://live.example/cb", "https://own.example/cb"]
