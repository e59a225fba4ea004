"""ID-authority records in job results are encrypted at rest, yet partners get the same answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from openkyc import audit
from openkyc.app import create_app
from openkyc.callbacks import service as callbacks
from openkyc.callbacks.client import DeliveryOutcome
from openkyc.callbacks.models import CallbackDelivery
from openkyc.crypto import SecretBox, generate_key, prepend_key_file, token_key_id
from openkyc.crypto_rotation import SEALED_COLUMNS, rotate
from openkyc.db import make_engine, make_session_factory, transaction, upgrade_schema, utcnow
from openkyc.jobs.models import Job
from openkyc.models import Base
from openkyc.retention.purge import purge_job
from openkyc.runtime import Runtime
from openkyc.sealed import (
    CLEAR_RESULT_KEYS,
    SEALED_KEY,
    SealedJSON,
    SealingUnavailable,
    seal,
    sealed_token,
    unseal,
)
from tests.observability.postgres import database_url, throwaway_database
from tests.server import PartnerCreds, make_partner, make_runtime
from tests.web.test_id_verification import body

MANDELA = {"FullName": "Nelson Rolihlahla Mandela", "DOB": "1918-07-18", "PhoneNumber": "0271234567"}
PERSONAL = ("Nelson Rolihlahla Mandela", "1918-07-18", "0271234567", "00000000004")


def stored_texts(runtime: Runtime) -> list[str]:
    """What is in the database, as text, for every sealed column."""
    with runtime.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT CAST(partner_params AS TEXT), CAST(result AS TEXT), CAST(history AS TEXT) FROM jobs"
                " UNION ALL SELECT CAST(payload AS TEXT), NULL, NULL FROM callback_deliveries"
            )
        ).all()
    return [value for row in rows for value in row if value is not None]


def verify_with_custom_record(client: TestClient, partner: PartnerCreds, job_id: str) -> dict[str, Any]:
    """Enhanced KYC, sandbox digit 4: the record comes back with the partner's custom fields."""
    request = body(partner, job_id, 4, partner_params={"user_id": "user-1", **MANDELA})
    response = client.post("/v1/id_verification", json=request)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert result["FullName"] == MANDELA["FullName"] and result["IDNumber"] == "00000000004"
    return result


def test_id_authority_record_is_not_stored_in_clear(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    answered = verify_with_custom_record(client, partner, "sealed-1")
    texts = stored_texts(runtime)
    assert any(SEALED_KEY in value for value in texts)
    for value in texts:
        assert not any(personal in value for personal in PERSONAL), value
    # SQL still reads what /metrics counts.
    with runtime.engine.connect() as connection:
        codes = connection.execute(select(Job.result["ResultCode"].as_string())).scalars().all()
    assert codes == ["1012"]

    status = client.post(
        "/v1/job_status", json=partner.signed(user_id="user-1", job_id="sealed-1", history=True)
    ).json()
    # The same record as the synchronous answer (less its response signature), in the same order.
    unsigned = {key: value for key, value in answered.items() if key not in ("signature", "timestamp")}
    assert status["result"] == unsigned and list(status["result"]) == list(unsigned)
    assert status["history"] == [status["result"]]


def test_callback_payload_is_sealed_and_delivered_in_clear(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = body(partner, "sealed-async", 4, partner_params=MANDELA, callback_url="http://127.0.0.1:9/cb")
    assert client.post("/v1/async_id_verification", json=request).status_code == 200
    for value in stored_texts(runtime):
        assert not any(personal in value for personal in PERSONAL), value
    sent: list[dict[str, Any]] = []

    def fake_post(url: str, payload: dict[str, Any], **_: Any) -> DeliveryOutcome:
        sent.append(payload)
        return DeliveryOutcome(True, 200, None, 1.0)

    monkeypatch.setattr(callbacks, "post_json", fake_post)
    with transaction(runtime.sessions) as session:
        (delivery_id,) = session.scalars(select(CallbackDelivery.id)).all()
    assert callbacks.deliver(runtime, delivery_id, 0) is True
    assert sent[0]["FullName"] == MANDELA["FullName"] and sent[0]["IDNumber"] == "00000000004"


def test_purge_removes_sealed_id_authority_fields(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    answered = verify_with_custom_record(client, partner, "sealed-purge")
    purged = purge_job(
        runtime,
        answered["SmileJobID"],
        now=utcnow(),
        reason="retention",
        actor=audit.SYSTEM,
        keep_enrolled=True,
    )
    assert purged is not None
    with transaction(runtime.sessions) as session:
        job = session.get(Job, answered["SmileJobID"])
        assert job is not None and job.result is not None
        assert job.result["ResultCode"] == "1012" and "FullName" not in job.result
        assert job.result["PartnerParams"] == {"user_id": "user-1", "job_id": "sealed-purge", "job_type": 5}
        assert all("FullName" not in entry for entry in job.history)
    joined = " ".join(stored_texts(runtime))
    assert not any(personal in joined for personal in PERSONAL)


def test_rotation_reseals_results_under_the_newest_key(
    tmp_path: Path, client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    answered = verify_with_custom_record(client, partner, "sealed-rotate")
    status_before = client.post(
        "/v1/job_status", json=partner.signed(user_id="user-1", job_id="sealed-rotate", history=True)
    ).json()
    # A job stored before sealing existed: its result in clear.
    legacy = {"ResultCode": "1012", "FullName": "Ada Byron", "IDNumber": "12345678"}
    with runtime.engine.begin() as connection:
        connection.execute(
            text("UPDATE jobs SET result = :result WHERE smile_job_id != :sealed").bindparams(
                result=json.dumps(legacy), sealed=answered["SmileJobID"]
            )
        )
    old_key = runtime.box.key_id
    prepend_key_file(runtime.settings.master_key_file, generate_key())
    rotated = make_runtime(tmp_path)
    assert rotated.box.key_id != old_key
    first = rotate(rotated, actor=audit.operator())
    assert first.values >= 3 and first.failed == 0  # partner_params, result, history (+ the legacy)
    for value in stored_texts(rotated):
        if SEALED_KEY in value:
            for token in tokens_in(json.loads(value)):
                assert token_key_id(token) == rotated.box.key_id
        assert "Ada Byron" not in value
    second = rotate(rotated, actor=audit.operator())
    assert second.values == 0 and second.values_current == first.values + first.values_current

    with TestClient(create_app(rotated)) as after:
        status_after = after.post(
            "/v1/job_status", json=partner.signed(user_id="user-1", job_id="sealed-rotate", history=True)
        ).json()
    drop = ("timestamp", "signature")
    assert {k: v for k, v in status_after.items() if k not in drop} == {
        k: v for k, v in status_before.items() if k not in drop
    }


def tokens_in(stored: Any) -> list[bytes]:
    items = stored if isinstance(stored, list) else [stored]
    return [token for item in items if (token := sealed_token(item)) is not None]


def test_every_sealed_column_is_rotated() -> None:
    rotated = {(model.__tablename__, name) for model, names in SEALED_COLUMNS for name in names}
    sealed = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, SealedJSON)
    }
    assert sealed == rotated


def test_seal_keeps_clear_keys_readable_and_round_trips_exactly() -> None:
    box = SecretBox([generate_key()])
    value = {"FullName": "Ada", "ResultCode": "1012", "Nested": {"IDNumber": "1"}, "_success": True}
    stored = seal(box, value, CLEAR_RESULT_KEYS)
    assert stored["ResultCode"] == "1012" and stored["_success"] is True and "FullName" not in stored
    restored = unseal(box, stored)
    assert restored == value and list(restored) == list(value)
    only_clear = {"ResultCode": "1012", "ResultText": "ID Number Validated"}
    assert seal(box, only_clear, CLEAR_RESULT_KEYS) is only_clear  # nothing personal: kept as is
    assert unseal(box, "Job is being processed") == "Job is being processed"


def test_an_engine_without_a_secret_box_refuses_to_store_a_result(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'unbound.db'}")
    upgrade_schema(engine)
    job = Job(
        smile_job_id="0000000001",
        partner_id="p",
        environment="sandbox",
        api_key_id="k",
        user_id="u",
        job_id="j",
        job_type=5,
        partner_params={"user_id": "u", "job_id": "j", "job_type": 5, "FullName": "Ada"},
    )
    with pytest.raises(StatementError) as info, transaction(make_session_factory(engine)) as session:
        session.add(job)
    assert isinstance(info.value.orig, SealingUnavailable)  # refused before anything was written
    engine.dispose()


@pytest.mark.services  # its own throwaway PostgreSQL database
def test_rotation_reseals_results_on_postgresql(tmp_path: Path) -> None:
    # JSON has no equality on PostgreSQL: the compare-and-set compares the stored text instead.
    with throwaway_database("openkyc_sealed") as name:
        runtime = make_runtime(tmp_path, database_url=database_url(name))
        partner = make_partner(runtime)
        with TestClient(create_app(runtime)) as client:
            answered = verify_with_custom_record(client, partner, "sealed-pg")
        prepend_key_file(runtime.settings.master_key_file, generate_key())
        rotated = make_runtime(tmp_path, database_url=database_url(name))
        report = rotate(rotated, actor=audit.operator())
        assert report.values >= 3 and report.failed == 0
        with transaction(rotated.sessions) as session:
            job = session.get(Job, answered["SmileJobID"])
            assert job is not None and job.result is not None
            assert job.result["FullName"] == MANDELA["FullName"]
        for value in stored_texts(rotated):
            assert not any(personal in value for personal in PERSONAL), value
            if SEALED_KEY in value:
                assert {token_key_id(t) for t in tokens_in(json.loads(value))} == {rotated.box.key_id}
        runtime.engine.dispose()
        rotated.engine.dispose()
