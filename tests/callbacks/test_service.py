from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from smile_id_core.Signature import Signature
from sqlalchemy import select

from openkyc.callbacks import service
from openkyc.callbacks.client import DeliveryOutcome
from openkyc.callbacks.models import CallbackAttempt, CallbackDelivery
from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job
from openkyc.partners.models import ApiKey
from openkyc.runtime import Runtime
from tests.server import PartnerCreds


def scheduled(runtime: Runtime, partner: PartnerCreds, horizon: timedelta = timedelta(hours=24)) -> int:
    with transaction(runtime.sessions) as session:
        key_id = session.scalars(select(ApiKey.id).where(ApiKey.environment == "sandbox")).one()
        job = Job(
            smile_job_id="0000000001",
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
            url="http://cb.test/x",
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
