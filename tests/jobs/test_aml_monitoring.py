"""AML monitoring: people enrolled through POST /v3/aml/monitoring are screened again when the
lists change, and an aml_monitoring_update goes to their partner's default callback URL when
their answer changes (jobs.aml_monitoring), from the sweep, from `openkyc lists load`, once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from openkyc.aml.entries import ListSource
from openkyc.aml.models import MonitoredSubject
from openkyc.aml.parsers import parse_ofac_xml, parse_opensanctions
from openkyc.aml.service import load_entries
from openkyc.app import create_app
from openkyc.audit import SYSTEM
from openkyc.callbacks.models import CallbackDelivery
from openkyc.cli import app as cli
from openkyc.db import transaction, utcnow
from openkyc.jobs import aml_monitoring
from openkyc.jobs.models import Job
from openkyc.partners.models import Partner
from openkyc.retention.purge import purge_job
from openkyc.runtime import Runtime
from openkyc.tasks.sweeper import Sweeper
from tests.aml.samples import OFAC_XML, opensanctions_lines
from tests.server import PartnerCreds, make_partner, make_runtime
from tests.v3.conftest import token_for

DEFAULT_CALLBACK = "https://partner.example.com/monitoring"
CONSENT = {
    "granted": True,
    "granted_at": "2026-01-01T00:00:00.000Z",
    "notice_language": "EN",
    "notice_privacy_policy_url": "https://example.com/privacy",
}


def monitor(client: TestClient, partner: PartnerCreds, full_name: str, countries: list[str]) -> str:
    """Enrol ``full_name`` through the API; its monitoring job's id."""
    fields: dict[str, Any] = {
        "countries": countries,
        "full_name": full_name,
        "consent": CONSENT,
        "user_details": {"given_names": "A", "last_name": "B", "email": "a.b@example.com"},
        "callback_url": "https://partner.example.com/first-result",
    }
    parts = {
        name: (None, json.dumps(value), "application/json")
        if isinstance(value, dict | list)
        else (None, value)
        for name, value in fields.items()
    }
    answer = client.post(
        "/v3/aml/monitoring", headers={"SmileID-Token": token_for(client, partner)}, files=parts
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["job_id"])


def set_default_callback(runtime: Runtime, partner: PartnerCreds, url: str | None) -> None:
    with transaction(runtime.sessions) as session:
        row = session.get(Partner, partner.partner_id)
        assert row is not None
        row.sandbox_callback_url = url


def updates(runtime: Runtime) -> list[CallbackDelivery]:
    """The monitoring updates scheduled, oldest first (not the first results' callbacks)."""
    with transaction(runtime.sessions) as session:
        found = session.scalars(select(CallbackDelivery).order_by(CallbackDelivery.id)).all()
    return [delivery for delivery in found if delivery.payload.get("product") == "aml_monitoring_update"]


def the_job(runtime: Runtime, job_id: str) -> Job:
    with transaction(runtime.sessions) as session:
        job = session.scalar(select(Job).where(Job.job_id == job_id))
        assert job is not None
        return job


def load_opensanctions(runtime: Runtime) -> None:
    load_entries(runtime.sessions, ListSource.OPENSANCTIONS, parse_opensanctions(opensanctions_lines()))


@pytest.fixture
def ofac_only(runtime: Runtime, partner: PartnerCreds) -> Runtime:
    """Lists without Amina Bello (she is on the OpenSanctions sample), a default callback URL."""
    load_entries(runtime.sessions, ListSource.OFAC_XML, parse_ofac_xml(OFAC_XML))
    set_default_callback(runtime, partner, DEFAULT_CALLBACK)
    return runtime


def test_a_new_list_entry_sends_an_update_to_the_default_callback_url(
    ofac_only: Runtime, client: TestClient, partner: PartnerCreds
) -> None:
    runtime = ofac_only
    job_id = monitor(client, partner, "Amina Bello", ["NG"])
    assert (the_job(runtime, job_id).result or {})["ResultCode"] == "1031"
    # The lists did not change: nobody is due.
    assert aml_monitoring.rescreen_due(runtime) == aml_monitoring.RescreenReport(0, 0)
    load_opensanctions(runtime)
    assert aml_monitoring.rescreen_due(runtime) == aml_monitoring.RescreenReport(screened=1, changed=1)
    (update,) = updates(runtime)
    assert update.url == DEFAULT_CALLBACK and update.wire == "v3"
    body = update.payload
    assert body["status"] == "block" and body["reason"] == "aml_match_found"
    assert body["job_id"] == job_id and body["no_of_persons_found"] == 1
    assert body["people"][0]["name"] == "Amina Bello"
    job = the_job(runtime, job_id)
    assert (job.result or {})["ResultCode"] == "1030" and len(job.history) == 2
    # GET /v3/status gives the latest answer.
    status = client.get(f"/v3/status/{job_id}", headers={"SmileID-Token": token_for(client, partner)})
    assert status.status_code == 200 and status.json()["status"] == "block"
    # Screened: not due again until the lists change again.
    assert aml_monitoring.rescreen_due(runtime).screened == 0


def test_a_reload_that_changes_no_answer_sends_nothing(
    ofac_only: Runtime, client: TestClient, partner: PartnerCreds
) -> None:
    runtime = ofac_only
    monitor(client, partner, "Vladimir Putin", ["RU"])
    load_opensanctions(runtime)
    assert aml_monitoring.rescreen_all(runtime).changed == 1
    load_opensanctions(runtime)  # the same entries again: another version of the lists
    assert aml_monitoring.rescreen_all(runtime) == aml_monitoring.RescreenReport(screened=1, changed=0)
    assert len(updates(runtime)) == 1


def test_a_partner_without_a_default_url_has_the_update_on_the_job_only(
    ofac_only: Runtime, client: TestClient, partner: PartnerCreds
) -> None:
    runtime = ofac_only
    set_default_callback(runtime, partner, None)
    job_id = monitor(client, partner, "Amina Bello", ["NG"])
    load_opensanctions(runtime)
    assert aml_monitoring.rescreen_due(runtime).changed == 1
    assert updates(runtime) == []
    assert (the_job(runtime, job_id).result or {})["ResultCode"] == "1030"


def test_two_sweepers_screen_a_person_once(
    ofac_only: Runtime, client: TestClient, partner: PartnerCreds
) -> None:
    runtime = ofac_only
    monitor(client, partner, "Amina Bello", ["NG"])
    with transaction(runtime.sessions) as session:
        subject_id, version = session.execute(
            select(MonitoredSubject.id, MonitoredSubject.lists_version)
        ).one()
    load_opensanctions(runtime)
    # Both saw the person due under the same version; only the first claim stores an answer.
    assert aml_monitoring._rescreen(runtime, subject_id, version) is True
    assert aml_monitoring._rescreen(runtime, subject_id, version) is None
    assert len(updates(runtime)) == 1


def test_the_sweep_catches_a_load_it_did_not_make(
    ofac_only: Runtime, client: TestClient, partner: PartnerCreds
) -> None:
    runtime = ofac_only
    monitor(client, partner, "Amina Bello", ["NG"])
    sweeper = Sweeper(runtime, redispatch_jobs=False, hand_over_callbacks=False, purge_retention=False)
    assert sweeper.sweep().rescreened == 0
    load_opensanctions(runtime)
    sweeper._last_rescreen = 0.0  # a minute later
    assert sweeper.sweep().rescreened == 1
    assert len(updates(runtime)) == 1
    assert not Sweeper(runtime, rescreen_monitoring=False, purge_retention=False).sweep().rescreened


def test_a_purged_job_ends_its_monitoring_and_erases_the_person(
    ofac_only: Runtime, client: TestClient, partner: PartnerCreds
) -> None:
    runtime = ofac_only
    job_id = monitor(client, partner, "Amina Bello", ["NG"])
    purge_job(
        runtime,
        the_job(runtime, job_id).smile_job_id,
        now=utcnow(),
        reason="user_deleted",
        actor=SYSTEM,
        keep_enrolled=False,
    )
    with transaction(runtime.sessions) as session:
        (row,) = session.scalars(select(MonitoredSubject)).all()
        assert not row.active and row.subject == {} and row.last_screening == {}
    load_opensanctions(runtime)
    assert aml_monitoring.rescreen_all(runtime).screened == 0
    assert updates(runtime) == []


def test_lists_load_screens_the_monitored_people_again(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    runtime = make_runtime(tmp_path)
    partner = make_partner(runtime)
    set_default_callback(runtime, partner, DEFAULT_CALLBACK)
    with TestClient(create_app(runtime)) as client:
        monitor(client, partner, "Amina Bello", ["NG"])
    runtime.engine.dispose()
    (tmp_path / "os.json").write_bytes(opensanctions_lines())
    result = CliRunner().invoke(
        cli, ["lists", "load", "opensanctions", str(tmp_path / "os.json"), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "screened 1 monitored people again: 1 with a new answer" in result.output
    reopened = make_runtime(tmp_path)
    assert len(updates(reopened)) == 1
    reopened.engine.dispose()
