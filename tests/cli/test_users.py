"""`openkyc users delete` erases the user's face and its jobs' images, not just its status."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openkyc.app import create_app
from openkyc.cli import app
from openkyc.db import transaction, utcnow
from openkyc.users import service as users
from tests.retention.jobs import FULL_NAME, finished_job, stored_text
from tests.server import make_partner, make_runtime

runner = CliRunner()


def test_delete_purges_the_users_biometric_data(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path)
    partner = make_partner(runtime)
    with TestClient(create_app(runtime)) as client:
        job = finished_job(client, runtime, partner, "j1", utcnow() - timedelta(hours=1))
    selfie = f"users/{partner.partner_id}/{job}/selfie"
    runtime.blobs.put(selfie, b"\xff\xd8 registered face")
    with transaction(runtime.sessions) as session:
        users.enrol(
            db_session=session,
            box=runtime.box,
            partner_id=partner.partner_id,
            environment="sandbox",
            user_id="user-1",
            embedding=np.linspace(0, 1, 128),
            selfie_blob=selfie,
            smile_job_id=job,
        )
    args = ["users", "delete", "-p", partner.partner_id, "-e", "sandbox", "user-1"]

    result = runner.invoke(app, [*args, "--data-dir", str(runtime.settings.data_dir)])

    assert result.exit_code == 0, result.output
    assert "erased 7 images, stripped 1 jobs of PII" in result.output
    assert list(runtime.blobs.keys("")) == []
    assert FULL_NAME not in stored_text(runtime, job)
    with transaction(runtime.sessions) as session:
        user = users.find_user(
            db_session=session, partner_id=partner.partner_id, environment="sandbox", user_id="user-1"
        )
        assert user is not None and user.status == "deleted"
        assert user.embedding_encrypted is None and user.selfie_blob is None
