"""GET /v3/status/{jobId} and POST /v3/replay/{job_id}, over V3 job rows made here directly (the entry
endpoints make them for real; their tests cover that way in)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import usesmileid
from fastapi.testclient import TestClient
from sqlalchemy import select

from openkyc.audit.models import AuditEvent
from openkyc.callbacks import service as callbacks
from openkyc.callbacks.models import CallbackDelivery
from openkyc.cli.tls import DevCertificates
from openkyc.db import transaction
from openkyc.jobs import v3_results
from openkyc.jobs.models import ApiVersion, Job, JobState
from openkyc.partners.models import ApiKey, Partner
from openkyc.runtime import Runtime
from openkyc.signing.sid_request import compute_signature
from openkyc.typeid import new as new_typeid
from openkyc.v3.status import API_VERSION
from testkit.callback_receiver import CallbackReceiver, tls_receiver
from tests.server import PartnerCreds, make_partner, make_runtime
from tests.v3.conftest import token_for

# Every answer these tests get from a spec operation is checked against the spec (tests/v3/contract.py).
pytestmark = pytest.mark.usefixtures("conforming")

ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
USER_ID = "user_01h8x9y2z3a4b5c6d7e8f9g0h1"
VALIDATED = {
    "ResultCode": "1012",
    "ResultText": "ID Number Validated",
    "IsFinalResult": "true",
    "_success": True,
}
NOT_FOUND = {"ResultCode": "1013", "ResultText": "ID Number Not Found", "IsFinalResult": "true"}
UNAVAILABLE = {"ResultCode": "1015", "ResultText": "ID Authority Unavailable", "IsFinalResult": "true"}
BAD_STATUS_ID = "\"jobId\" must be a valid TypeID with prefix 'job_'"
BAD_REPLAY_ID = "\"job_id\" must be a valid TypeID with prefix 'job_'"


@pytest.fixture(scope="module")
def https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CallbackReceiver, DevCertificates]]:
    receiver, certificates = tls_receiver(tmp_path_factory.mktemp("status-receiver-tls"))
    yield receiver, certificates
    receiver.stop()


@pytest.fixture
def receiver_tls(https: tuple[CallbackReceiver, DevCertificates]) -> CallbackReceiver:
    receiver, _ = https
    receiver.received.clear()
    return receiver


@pytest.fixture
def runtime(tmp_path: Path, https: tuple[CallbackReceiver, DevCertificates]) -> Runtime:
    """The suite's runtime, its deliveries trusting the test receiver's development CA."""
    return make_runtime(tmp_path, callback_ca_file=https[1].ca_cert)


def v3_job(
    runtime: Runtime,
    partner: PartnerCreds,
    *,
    state: str = JobState.COMPLETE,
    result: dict[str, Any] | None = None,
    environment: str = "sandbox",
    user_id: str = USER_ID,
    callback_url: str | None = None,
    api_version: str = ApiVersion.V3,
    job_id: str | None = None,
) -> Job:
    """An Enhanced KYC job as the V3 entry endpoint stores it."""
    job_id = job_id or new_typeid("job")
    with transaction(runtime.sessions) as session:
        key_id = session.scalars(
            select(ApiKey.id).where(
                ApiKey.partner_id == partner.partner_id, ApiKey.environment == environment
            )
        ).first()
        job = Job(
            smile_job_id=f"{time.monotonic_ns() % 10**10:010d}",
            partner_id=partner.partner_id,
            environment=environment,
            api_key_id=key_id,
            user_id=user_id,
            job_id=job_id,
            job_type=5,
            partner_params={"user_id": user_id, "job_id": job_id, "job_type": 5, "reference": "r-7"},
            callback_url=callback_url,
            state=state,
            result=result if result is not None else (VALIDATED if state == JobState.COMPLETE else None),
            api_version=api_version,
            v3_request=(
                {"product": "enhanced_kyc", "user_details": {}, "consent": None, "metadata": []}
                if api_version == ApiVersion.V3
                else None
            ),
        )
        session.add(job)
        session.flush()
        session.expunge(job)
        return job


def set_default_callback(runtime: Runtime, partner: PartnerCreds, url: str | None) -> None:
    with transaction(runtime.sessions) as session:
        found = session.get(Partner, partner.partner_id)
        assert found is not None
        found.sandbox_callback_url = url


def deliveries(runtime: Runtime, job: Job) -> list[CallbackDelivery]:
    with transaction(runtime.sessions) as session:
        found = list(
            session.scalars(select(CallbackDelivery).where(CallbackDelivery.smile_job_id == job.smile_job_id))
        )
        session.expunge_all()
        return found


# -- GET /v3/status/{jobId} ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "status"),
    [(VALIDATED, "clear"), (NOT_FOUND, "block"), (UNAVAILABLE, "error")],
)
def test_a_finished_job_has_its_outcome_status(
    client: TestClient,
    runtime: Runtime,
    partner: PartnerCreds,
    auth: dict[str, str],
    result: dict[str, Any],
    status: str,
) -> None:
    job = v3_job(runtime, partner, result=result)

    answer = client.get(f"/v3/status/{job.job_id}", headers=auth)

    assert answer.status_code == 200
    body = answer.json()
    assert {key: value for key, value in body.items() if key != "created_at"} == {
        "status": status,
        "job_id": job.job_id,
        "user_id": USER_ID,
        "message": "Job completed",
    }
    assert ISO_MS_Z.match(body["created_at"])
    assert answer.headers["api_version"] == API_VERSION
    assert (answer.headers["job_id"], answer.headers["user_id"]) == (job.job_id, USER_ID)


@pytest.mark.parametrize(
    "state", [JobState.AWAITING_UPLOAD, JobState.QUEUED, JobState.PROCESSING, JobState.REVIEW]
)
def test_an_unfinished_job_is_processing(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str], state: str
) -> None:
    # A job waiting for a reviewer has a provisional result: V3 has none, it is still processing.
    job = v3_job(runtime, partner, state=state, result=VALIDATED if state == JobState.REVIEW else None)

    answer = client.get(f"/v3/status/{job.job_id}", headers=auth)

    assert answer.status_code == 202
    assert answer.json()["status"] == "processing"
    assert answer.json()["message"] == "Job is still processing"
    assert answer.headers["user_id"] == USER_ID


def test_an_unknown_job_is_not_found_in_the_status_shape(client: TestClient, auth: dict[str, str]) -> None:
    job_id = new_typeid("job")

    answer = client.get(f"/v3/status/{job_id}", headers=auth)

    assert answer.status_code == 404
    body = answer.json()
    assert {key: value for key, value in body.items() if key != "created_at"} == {
        "status": "not_found",
        "job_id": job_id,
        "user_id": "unknown",
        "message": "Job not found",
    }
    assert ISO_MS_Z.match(body["created_at"])
    assert (answer.headers["job_id"], answer.headers["user_id"]) == (job_id, "unknown")


def test_only_the_callers_own_v3_jobs_are_found(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    other = make_partner(runtime, "Another partner")
    hidden = [
        v3_job(runtime, other),  # another partner's
        v3_job(runtime, partner, environment="production"),  # the sandbox token's partner, in production
        v3_job(runtime, partner, api_version=ApiVersion.V1),  # a v1 job named like a TypeID
    ]
    for job in hidden:
        answer = client.get(f"/v3/status/{job.job_id}", headers=auth)
        assert answer.status_code == 404, job
        assert answer.json()["user_id"] == "unknown"
    # The same jobs, asked for by their owners, are there.
    other_token = token_for(client, other)
    assert (
        client.get(f"/v3/status/{hidden[0].job_id}", headers={"SmileID-Token": other_token}).status_code
        == 200
    )


def test_a_token_scoped_to_a_user_finds_only_that_users_jobs(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    mine, theirs = v3_job(runtime, partner, user_id="user-a"), v3_job(runtime, partner, user_id="user-b")
    scoped = {"SmileID-Token": token_for(client, partner, user_id="user-a")}

    assert client.get(f"/v3/status/{mine.job_id}", headers=scoped).status_code == 200
    assert client.get(f"/v3/status/{theirs.job_id}", headers=scoped).status_code == 404


@pytest.mark.parametrize(
    "job_id",
    [
        "123",
        "job_123",
        "job_01H2XCEJQTF2NBREXX3VQJHP41",  # upper case
        "job_01h2xcejqtf2nbrexx3vqjhp4u",  # u is no Crockford digit
        "user_01h2xcejqtf2nbrexx3vqjhp41",
        "job_01h2xcejqtf2nbrexx3vqjhp411",
    ],
)
def test_a_malformed_job_id_is_400(client: TestClient, auth: dict[str, str], job_id: str) -> None:
    answer = client.get(f"/v3/status/{job_id}", headers=auth)
    assert answer.status_code == 400
    assert answer.json() == {"status": "Bad Request", "message": BAD_STATUS_ID}


def test_status_needs_a_token(client: TestClient) -> None:
    answer = client.get(f"/v3/status/{new_typeid('job')}")
    assert answer.status_code == 401
    assert answer.json() == {"status": "Unauthorized", "message": "Invalid authentication credentials."}


# -- POST /v3/replay/{job_id} --------------------------------------------------------------------


def test_replay_sends_the_v3_callback_again_to_the_jobs_url(
    client: TestClient,
    runtime: Runtime,
    partner: PartnerCreds,
    auth: dict[str, str],
    receiver_tls: CallbackReceiver,
) -> None:
    job = v3_job(runtime, partner, callback_url=receiver_tls.url)

    # As the SDKs send it: no body, no Content-Type.
    answer = client.post(f"/v3/replay/{job.job_id}", headers=auth)

    assert answer.status_code == 202
    assert answer.json() == {
        "status": "accepted",
        "job_id": job.job_id,
        "user_id": USER_ID,
        "message": "Callback replay queued successfully.",
    }
    (delivery,) = deliveries(runtime, job)
    assert (delivery.wire, delivery.url) == ("v3", receiver_tls.url)
    assert callbacks.deliver(runtime, delivery.id, 0) is True
    got = receiver_tls.wait_for(lambda r: r.body.get("job_id") == job.job_id, timeout=10)
    with transaction(runtime.sessions) as session:
        stored = session.get(Job, job.smile_job_id)
        assert stored is not None
        expected = v3_results.callback_payload(runtime, stored)
    assert got.body == {**expected, "kyc_receipt": None}
    assert got.body["status"] == "clear" and got.body["partner_params"] == {"reference": "r-7"}
    stamp = got.headers["response-timestamp"]
    assert got.headers["response-signature"] == compute_signature(
        partner.sandbox_key, partner.partner_id, stamp
    )


def test_replay_is_audited(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    job = v3_job(runtime, partner, callback_url="https://hooks.example.com/kyc?secret=s3")

    assert client.post(f"/v3/replay/{job.job_id}", headers=auth).status_code == 202

    with transaction(runtime.sessions) as session:
        (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "callback.replayed"))
        assert (event.actor_type, event.actor_id) == ("partner", partner.partner_id)
        assert (event.target_type, event.target_id) == ("job", job.smile_job_id)
        assert event.detail["url_from"] == "job"
        assert "s3" not in str(event.detail)  # never the URL


def test_replay_url_comes_from_the_request_then_the_job_then_the_partner_default(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    set_default_callback(runtime, partner, "https://default.example.com/cb")
    with_url = v3_job(runtime, partner, callback_url="https://job.example.com/cb")
    without_url = v3_job(runtime, partner)

    override = {"callback_url": (None, "https://override.example.com/cb")}
    assert client.post(f"/v3/replay/{with_url.job_id}", headers=auth, files=override).status_code == 202
    assert client.post(f"/v3/replay/{with_url.job_id}", headers=auth).status_code == 202
    assert client.post(f"/v3/replay/{without_url.job_id}", headers=auth).status_code == 202

    assert [d.url for d in deliveries(runtime, with_url)] == [
        "https://override.example.com/cb",
        "https://job.example.com/cb",
    ]
    assert [d.url for d in deliveries(runtime, without_url)] == ["https://default.example.com/cb"]


def test_replay_without_an_https_url_is_400(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    # A v1 default callback URL may be http: a V3 callback never goes there.
    set_default_callback(runtime, partner, "http://plain.example.com/cb")
    job = v3_job(runtime, partner)

    answer = client.post(f"/v3/replay/{job.job_id}", headers=auth)

    assert answer.status_code == 400
    assert answer.json() == {"status": "Bad Request", "message": "No valid callback URL available"}
    sent_http = client.post(
        f"/v3/replay/{job.job_id}",
        headers=auth,
        files={"callback_url": (None, "http://plain.example.com/cb")},
    )
    assert sent_http.status_code == 400
    assert sent_http.json()["message"] == "Field 'callback_url' is invalid."
    assert deliveries(runtime, job) == []


@pytest.mark.parametrize("state", [JobState.QUEUED, JobState.PROCESSING, JobState.REVIEW])
def test_replay_of_an_unfinished_job_is_409(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str], state: str
) -> None:
    job = v3_job(
        runtime,
        partner,
        state=state,
        result=VALIDATED if state == JobState.REVIEW else None,
        callback_url="https://job.example.com/cb",
    )

    answer = client.post(f"/v3/replay/{job.job_id}", headers=auth)

    assert answer.status_code == 409
    assert answer.json() == {
        "status": "Conflict",
        "message": "Job is still processing. Callbacks can only be replayed for completed jobs.",
    }
    assert deliveries(runtime, job) == []


def test_replay_of_an_unknown_or_foreign_job_is_404(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    other = make_partner(runtime, "Another partner")
    foreign = v3_job(runtime, other, callback_url="https://job.example.com/cb")
    for job_id in (new_typeid("job"), foreign.job_id):
        answer = client.post(f"/v3/replay/{job_id}", headers=auth)
        assert answer.status_code == 404
        assert answer.json() == {"status": "Not Found", "message": "Job not found"}
    assert deliveries(runtime, foreign) == []


def test_a_user_scoped_token_cannot_replay_another_users_job(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    theirs = v3_job(runtime, partner, user_id="user-b", callback_url="https://job.example.com/cb")
    scoped = {"SmileID-Token": token_for(client, partner, user_id="user-a")}

    answer = client.post(
        f"/v3/replay/{theirs.job_id}",
        headers=scoped,
        files={"callback_url": (None, "https://evil.example/x")},
    )

    assert answer.status_code == 404
    assert deliveries(runtime, theirs) == []


@pytest.mark.parametrize(
    "job_id", ["123", "job_123", "job_01H2XCEJQTF2NBREXX3VQJHP41", "task_01h2xcejqtf2nbrexx3vqjhp41"]
)
def test_replay_of_a_malformed_job_id_is_400(client: TestClient, auth: dict[str, str], job_id: str) -> None:
    answer = client.post(f"/v3/replay/{job_id}", headers=auth)
    assert answer.status_code == 400
    assert answer.json() == {"status": "Bad Request", "message": BAD_REPLAY_ID}


def test_replay_takes_multipart_only(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    job = v3_job(runtime, partner, callback_url="https://job.example.com/cb")
    answer = client.post(
        f"/v3/replay/{job.job_id}", headers=auth, json={"callback_url": "https://x.example/cb"}
    )
    assert answer.status_code == 415
    assert deliveries(runtime, job) == []


def test_replay_needs_a_token(client: TestClient) -> None:
    answer = client.post(f"/v3/replay/{new_typeid('job')}")
    assert answer.status_code == 401


def test_the_python_sdk_reads_status_and_replays(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, receiver_tls: CallbackReceiver
) -> None:
    """usesmileid 12.1.0, unmodified, over the app (its httpx client is the TestClient)."""
    finished = v3_job(runtime, partner, callback_url=receiver_tls.url)
    unfinished = v3_job(runtime, partner, state=JobState.PROCESSING)
    smile = usesmileid.Client(
        partner_id=partner.partner_id,
        api_key=partner.sandbox_key,
        base_url="https://testserver",
        http_client=client,
    )

    assert smile.verifications.retrieve(finished.job_id).status == "clear"
    assert smile.verifications.retrieve(unfinished.job_id).status == "processing"
    assert smile.verifications.retrieve(new_typeid("job")).status == "not_found"
    replayed = smile.verifications.replay(finished.job_id)
    assert (replayed.status, replayed.job_id, replayed.user_id) == ("accepted", finished.job_id, USER_ID)
    override = smile.verifications.replay(finished.job_id, callback_url="https://elsewhere.example.com/cb")
    assert override.status == "accepted"
    assert [d.url for d in deliveries(runtime, finished)] == [
        receiver_tls.url,
        "https://elsewhere.example.com/cb",
    ]
