"""Faults staged against whole deployments: no accepted job lost, none answered twice.

Each test runs embedded (one `openkyc serve`) and scaled out (API and Celery worker processes on
PostgreSQL, Redis and S3) where the fault exists in both; the deployment is shared by the tests
of a mode and left whole by each.
"""

from __future__ import annotations

import json
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from smile_id_core.Signature import Signature
from sqlalchemy import create_engine, text

from openkyc.config import Settings
from openkyc.tasks.celery_app import DELIVER_CALLBACK, VERIFY_JOB, make_celery
from testkit.callback_receiver import CallbackReceiver
from testkit.deployment import Deployment, start_deployment
from testkit.partner_client import PartnerClient

pytestmark = pytest.mark.slow

SELFIE = 0  # image_type_id of a selfie file


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The scaled deployment, its database reached through a proxy the outage test can cut; the
    other scaled tests run on it too (a scaled deployment costs the suite ~15 s to start and stop)."""
    started = start_deployment("scaled", tmp_path_factory.mktemp("faults-scaled"), proxy_database=True)
    yield started
    started.stop()


@pytest.fixture(scope="module", params=["embedded", "scaled"])
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    if request.param == "scaled":
        yield request.getfixturevalue("proxied")
        return
    started = start_deployment("embedded", tmp_path_factory.mktemp("faults-embedded"))
    yield started
    started.stop()


def client(deployment: Deployment, receiver: CallbackReceiver) -> PartnerClient:
    return PartnerClient(deployment.base_url, deployment.partner_id, deployment.sandbox_key, receiver.url)


def params(job_id: str, job_type: int = 4) -> dict[str, Any]:
    return {"user_id": f"user-{job_id}", "job_id": job_id, "job_type": job_type}


def job_row(deployment: Deployment, smile_job_id: str) -> dict[str, Any]:
    engine = create_engine(deployment.database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT state, attempts, history FROM jobs WHERE smile_job_id = :id"),
                {"id": smile_job_id},
            ).one()
    finally:
        engine.dispose()
    history = json.loads(row.history) if isinstance(row.history, str) else row.history  # SQLite: text
    return {"state": row.state, "attempts": row.attempts, "history": history}


def wait_for_state(deployment: Deployment, smile_job_id: str, *states: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if job_row(deployment, smile_job_id)["state"] in states:
            return
        time.sleep(0.05)
    raise TimeoutError(f"job {smile_job_id} never reached {states}")


def assert_answered_once(
    deployment: Deployment, receiver: CallbackReceiver, smile_job_id: str, settle_s: float = 3.0
) -> dict[str, Any]:
    """One accepted callback and one result in the history, still so after ``settle_s``."""
    body = receiver.wait_accepted(smile_job_id, timeout=180)
    time.sleep(settle_s)
    assert len(receiver.accepted(smile_job_id)) == 1
    row = job_row(deployment, smile_job_id)
    assert row["state"] in ("complete", "failed", "review")
    assert len(row["history"]) == 1, row["history"]
    assert Signature(deployment.partner_id, deployment.sandbox_key).confirm_signature(
        body["timestamp"], body["signature"]
    )
    return body


def test_a_worker_killed_mid_job_still_answers_it_once(
    deployment: Deployment, receiver: CallbackReceiver, faces_dir: Path, docs_dir: Path
) -> None:
    partner = client(deployment, receiver)
    smile_job_id = partner.submit(
        params("killed-worker"), [(SELFIE, faces_dir / "ageitgey+face_recognition/examples/obama.jpg")]
    )
    wait_for_state(deployment, smile_job_id, "processing")
    if deployment.mode == "embedded":
        deployment.stop_api(signal.SIGKILL)  # the API process is the worker
        deployment.start_api()
    else:
        (worker,) = deployment.workers
        deployment.kill_worker(worker, signal.SIGKILL)
        deployment.start_worker()
        deployment.wait_for_workers()
    assert_answered_once(deployment, receiver, smile_job_id)
    assert job_row(deployment, smile_job_id)["attempts"] >= 2  # it was really taken over


def test_an_api_restart_mid_upload_loses_no_accepted_job(
    deployment: Deployment, receiver: CallbackReceiver, faces_dir: Path
) -> None:
    partner = client(deployment, receiver)
    selfie = faces_dir / "ageitgey+face_recognition/examples/obama.jpg"
    job = params("restart-mid-upload")
    prep = partner.prep_upload(job)
    payload = partner.make_zip(job, prep["upload_url"], [(SELFIE, selfie)])
    if deployment.mode == "embedded":
        # Half the zip reaches the API, then the API dies: the upload was not accepted, and the
        # same URL takes the whole zip once the API is back.
        url = urlsplit(prep["upload_url"])
        with socket.create_connection((url.hostname, url.port)) as connection:
            connection.sendall(
                f"PUT {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/zip\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n".encode()
                + payload[: len(payload) // 2]
            )
            time.sleep(0.3)
            deployment.stop_api(signal.SIGKILL)
    else:
        # The zip goes straight to storage while no API process runs at all.
        deployment.stop_api(signal.SIGKILL)
    try:
        if deployment.mode == "scaled":
            assert partner.put_zip(prep["upload_url"], payload).status_code == 200
    finally:
        deployment.start_api()
    if deployment.mode == "embedded":
        assert partner.put_zip(prep["upload_url"], payload).status_code == 200
    assert_answered_once(deployment, receiver, prep["smile_job_id"])

    # An upload accepted just before the API dies is verified after it comes back.
    accepted = partner.submit(params("accepted-then-killed"), [(SELFIE, selfie)])
    deployment.stop_api(signal.SIGKILL)
    deployment.start_api()
    assert_answered_once(deployment, receiver, accepted)


def test_callbacks_reach_a_receiver_that_was_down_once_each_attempt_signed_afresh(
    deployment: Deployment, receiver: CallbackReceiver, faces_dir: Path
) -> None:
    receiver.failing = True  # answers 503 at first
    smile_job_id = client(deployment, receiver).submit(
        params("receiver-down"), [(SELFIE, faces_dir / "ageitgey+face_recognition/examples/obama.jpg")]
    )
    receiver.wait_count(smile_job_id, 2, timeout=120)
    receiver.stop()  # then refuses connections altogether
    time.sleep(2.5)
    receiver.failing = False
    receiver.start()  # back on the same port
    assert_answered_once(deployment, receiver, smile_job_id)
    attempts = receiver.all_for(smile_job_id)
    assert len(attempts) >= 3
    signer = Signature(deployment.partner_id, deployment.sandbox_key)
    assert all(signer.confirm_signature(a.body["timestamp"], a.body["signature"]) for a in attempts)
    assert len({a.body["signature"] for a in attempts}) == len(attempts)  # re-signed each time

    def strip(body: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k not in ("timestamp", "signature")}

    assert all(strip(a.body) == strip(attempts[0].body) for a in attempts)  # the same result


def test_duplicated_tasks_do_their_work_once(
    deployment: Deployment, receiver: CallbackReceiver, faces_dir: Path
) -> None:
    if deployment.mode == "embedded":
        pytest.skip("the embedded queue is the job table: there are no messages to duplicate")
    settings = Settings(
        broker_url=deployment.env["OPENKYC_BROKER_URL"],
        broker_key_prefix=deployment.env["OPENKYC_BROKER_KEY_PREFIX"],
    )
    celery = make_celery(settings)
    partner = client(deployment, receiver)
    smile_job_id = partner.submit(
        params("duplicated"), [(SELFIE, faces_dir / "ageitgey+face_recognition/examples/obama.jpg")]
    )
    # Taken in from storage: from now on its task may run, and the copies race it.
    wait_for_state(deployment, smile_job_id, "queued", "processing", "complete")
    for _ in range(3):  # the same task, delivered several times
        celery.send_task(VERIFY_JOB, args=[smile_job_id])
    body = assert_answered_once(deployment, receiver, smile_job_id)
    # And after the answer: the job's task and its callback's first attempt, delivered again.
    engine = create_engine(deployment.database_url)
    with engine.connect() as connection:
        delivery_id = connection.execute(
            text("SELECT id FROM callback_deliveries WHERE smile_job_id = :id"), {"id": smile_job_id}
        ).scalar_one()
    engine.dispose()
    for _ in range(2):
        celery.send_task(VERIFY_JOB, args=[smile_job_id])
        celery.send_task(DELIVER_CALLBACK, args=[delivery_id, 0])
    assert (
        assert_answered_once(deployment, receiver, smile_job_id, settle_s=4)["ResultCode"]
        == body["ResultCode"]
    )


def test_a_database_outage_answers_json_503_and_recovers_by_itself(
    proxied: Deployment, receiver: CallbackReceiver, faces_dir: Path
) -> None:
    partner = client(proxied, receiver)
    selfie = faces_dir / "ageitgey+face_recognition/examples/obama.jpg"
    before = partner.submit(params("before-outage"), [(SELFIE, selfie)])
    assert proxied.database_proxy is not None
    proxied.database_proxy.stop()
    try:
        started = time.monotonic()
        response = httpx.post(
            f"{proxied.base_url}/v1/upload",
            json={
                "smile_client_id": proxied.partner_id,
                "partner_params": params("during-outage"),
                **Signature(proxied.partner_id, proxied.sandbox_key).generate_signature(),
            },
            timeout=30,
        )
        assert response.status_code == 503, response.text
        assert response.json()["success"] is False and response.json()["code"] == "2201"
        assert time.monotonic() - started < 15
        time.sleep(3)  # workers' sweeps and lease renewals fail meanwhile
    finally:
        proxied.database_proxy.start()
    # No restart, no manual step: the API answers again and the workers carry on.
    after = partner.submit(params("after-outage"), [(SELFIE, selfie)])
    assert_answered_once(proxied, receiver, before)
    assert_answered_once(proxied, receiver, after)


@pytest.mark.services  # a scaled deployment of its own, on RabbitMQ
def test_a_rabbitmq_broker_works_as_redis_does(
    tmp_path_factory: pytest.TempPathFactory, receiver: CallbackReceiver, faces_dir: Path
) -> None:
    """The scaled-out mode on RabbitMQ instead of Redis: a job verified and called back once."""
    deployment = start_deployment("scaled", tmp_path_factory.mktemp("rabbitmq"), broker="rabbitmq")
    try:
        smile_job_id = client(deployment, receiver).submit(
            params("on-rabbitmq"), [(SELFIE, faces_dir / "ageitgey+face_recognition/examples/obama.jpg")]
        )
        assert assert_answered_once(deployment, receiver, smile_job_id)["ResultCode"] == "0840"
    finally:
        deployment.stop()
