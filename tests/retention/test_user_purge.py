"""Deleting a user erases its biometric data everywhere; its jobs keep their results without PII."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openkyc.audit import operator
from openkyc.audit.models import AuditEvent
from openkyc.db import transaction
from openkyc.management.service import issue_credential
from openkyc.retention.scrub import KEPT_RESULT_KEYS
from openkyc.retention.user_purge import purge_user_biometrics
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment
from openkyc.users import service as users
from openkyc.users.models import UserStatus
from tests.management.test_views import signed
from tests.server import PartnerCreds, submit_and_process

pytestmark = pytest.mark.slow


def _blobs_of(runtime: Runtime, partner: PartnerCreds, *smile_job_ids: str) -> list[str]:
    prefixes = [f"jobs/{job}/" for job in smile_job_ids] + [
        f"users/{partner.partner_id}/{job}/" for job in smile_job_ids
    ]
    return [key for key in runtime.blobs.keys("") if key.startswith(tuple(prefixes))]


def test_deleting_a_user_through_the_management_api_erases_its_biometric_data(
    runtime: Runtime, partner: PartnerCreds, client: TestClient, faces_dir: Path
) -> None:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    registration = submit_and_process(
        runtime,
        partner,
        examples / "knn_examples" / "test" / "obama1.jpg",
        "reg",
        user_id="u1",
        customer_name="Barack Obama",
    )
    authentication = submit_and_process(
        runtime, partner, examples / "obama2.jpg", "auth", job_type=2, user_id="u1"
    )
    other = submit_and_process(runtime, partner, examples / "biden.jpg", "reg-other", user_id="u2")
    assert len(_blobs_of(runtime, partner, registration, authentication)) >= 4
    others_before = _blobs_of(runtime, partner, other)
    before = client.post("/v1/job_status", json=partner.signed(user_id="u1", job_id="reg")).json()["result"]
    assert before["PartnerParams"]["customer_name"] == "Barack Obama"
    with transaction(runtime.sessions) as session:
        credential = issue_credential(
            db_session=session,
            box=runtime.box,
            partner_id=partner.partner_id,
            environment=Environment.SANDBOX,
        )

    path = "/v1/management/users/u1/delete"
    response = client.post(path, headers=signed(credential, "POST", path))

    assert response.status_code == 200, response.text
    assert response.json()["status"] == UserStatus.DELETED
    assert _blobs_of(runtime, partner, registration, authentication) == []
    assert _blobs_of(runtime, partner, other) == others_before  # another user's data is untouched
    with transaction(runtime.sessions) as session:
        user = users.find_user(
            db_session=session, partner_id=partner.partner_id, environment="sandbox", user_id="u1"
        )
        assert user is not None and user.embedding_encrypted is None and user.selfie_blob is None
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    actions = [(event.action, event.actor_type, event.actor_id) for event in events]
    assert ("user.status_changed", "partner", partner.partner_id) in actions
    assert ("user.biometrics_purged", "partner", partner.partner_id) in actions
    purged = {event.target_id for event in events if event.action == "job.purged"}
    assert purged == {registration, authentication}

    status = client.post(
        "/v1/job_status", json=partner.signed(user_id="u1", job_id="reg", history=True, image_links=True)
    ).json()
    assert status["job_complete"] is True and status["result"]["ResultCode"] == before["ResultCode"]
    assert status["result"]["Actions"] == before["Actions"]
    assert set(status["result"]) <= KEPT_RESULT_KEYS
    assert status["result"]["PartnerParams"] == {"user_id": "u1", "job_id": "reg", "job_type": 4}
    assert "Barack Obama" not in repr(status) and "error" in status["image_links"]


def test_purging_an_unknown_user_changes_nothing(runtime: Runtime, partner: PartnerCreds) -> None:
    with pytest.raises(users.UserNotFound):
        purge_user_biometrics(
            runtime, partner_id=partner.partner_id, environment="sandbox", user_id="nobody", actor=operator()
        )
