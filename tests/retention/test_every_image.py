"""Every image a job keeps (each kind jobs.status.stored_images lists, the cropped document among
them) goes when the job is purged, by retention or by its user's deletion."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient

from openkyc import audit
from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job
from openkyc.jobs.status import IMAGE_ORDER, stored_images
from openkyc.retention.service import purge_expired
from openkyc.retention.user_purge import delete_user
from openkyc.runtime import Runtime
from openkyc.storage.keys import enrolled_selfie_key, job_image_key, liveness_frame_key
from openkyc.users import service as users
from tests.retention.conftest import RETENTION_DAYS
from tests.retention.jobs import finished_job
from tests.server import PartnerCreds


def _with_every_image(runtime: Runtime, smile_job_id: str) -> list[str]:
    """Store one blob for each image kind a job may keep; the keys, as stored_images lists them."""
    images: dict[str, object] = {
        kind: job_image_key(smile_job_id, kind) for kind in IMAGE_ORDER if kind != "liveness"
    }
    images["liveness"] = [liveness_frame_key(smile_job_id, n) for n in range(2)]
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        assert job is not None
        job.inputs = {**job.inputs, "images": images}
        listed = stored_images(job)
    assert {kind for kind, _ in listed} >= {"selfie", "id_front", "id_back", "document", "comparison"}
    for _, key in listed:
        runtime.blobs.put(key, b"\xff\xd8 " + key.encode())
    return [key for _, key in listed]


@pytest.mark.parametrize("erased_by", ["retention", "user deletion"])
def test_a_purge_erases_every_image_the_job_lists(
    runtime: Runtime, partner: PartnerCreds, client: TestClient, erased_by: str
) -> None:
    old = utcnow() - timedelta(days=RETENTION_DAYS, hours=1)
    smile_job_id = finished_job(client, runtime, partner, "every-image", old)
    keys = _with_every_image(runtime, smile_job_id)
    assert all(runtime.blobs.exists(key) for key in keys)

    if erased_by == "retention":
        assert purge_expired(runtime, utcnow()).jobs == 1
    else:
        with transaction(runtime.sessions) as session:
            users.enrol(
                db_session=session,
                box=runtime.box,
                partner_id=partner.partner_id,
                environment="sandbox",
                user_id="user-1",
                embedding=np.zeros(128),
                selfie_blob=enrolled_selfie_key(partner.partner_id, smile_job_id),
                smile_job_id=smile_job_id,
            )
        delete_user(
            runtime,
            partner_id=partner.partner_id,
            environment="sandbox",
            user_id="user-1",
            actor=audit.operator(),
        )

    assert [key for key in keys if runtime.blobs.exists(key)] == []
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        assert job is not None and job.purged_at is not None and stored_images(job) == []
