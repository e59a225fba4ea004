"""A finished job as the v1 flows leave it: a PII-laden result, callback, images and enrolment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from openkyc.db import transaction
from openkyc.jobs.models import Job
from openkyc.runtime import Runtime
from tests.server import PartnerCreds

FULL_NAME, DOB, ID_NUMBER = "Joe Leo Doe", "1990-01-01", "00000000000"


def finished_job(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, job_id: str, completed_at: datetime
) -> str:
    """An Enhanced KYC job (result with name, DOB, number) given images, finished at ``completed_at``."""
    answer = client.post(
        "/v1/id_verification",
        json=partner.signed(
            partner_params={"user_id": "user-1", "job_id": job_id, "job_type": 5, "customer_name": FULL_NAME},
            country="NG",
            id_type="BVN",
            id_number=ID_NUMBER,
            callback_url="http://127.0.0.1:9/cb",
            source_sdk="rest_api",
            source_sdk_version="1.0.0",
        ),
    )
    assert answer.status_code == 200, answer.text
    smile_job_id: str = answer.json()["SmileJobID"]
    prefix = f"jobs/{smile_job_id}"
    images: dict[str, Any] = {
        "selfie": f"{prefix}/selfie",
        "id_front": f"{prefix}/id_front",
        "liveness": [f"{prefix}/liveness/0", f"{prefix}/liveness/1"],
    }
    for key in [images["selfie"], images["id_front"], *images["liveness"], f"{prefix}/payload.zip"]:
        runtime.blobs.put(key, b"\xff\xd8 " + key.encode())
    runtime.blobs.put(f"{prefix}/comparison", b"\xff\xd8 an image no input names")
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        assert job is not None
        job.inputs = {
            **job.inputs,
            "payload": f"{prefix}/payload.zip",
            "images": images,
            "id_info": {"first_name": "Joe", "dob": DOB, "id_number": ID_NUMBER},
            "lookup_counted": True,
        }
        job.completed_at = completed_at
    return smile_job_id


def stored_text(runtime: Runtime, smile_job_id: str) -> str:
    """Everything the database keeps about the job, callback payloads included, as one text."""
    from openkyc.callbacks.models import CallbackDelivery

    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        assert job is not None
        payloads = session.scalars(
            select(CallbackDelivery.payload).where(CallbackDelivery.smile_job_id == smile_job_id)
        ).all()
        return repr([job.inputs, job.partner_params, job.result, job.history, payloads])
