"""`openkyc retention purge [--dry-run]`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openkyc.app import create_app
from openkyc.cli import app
from openkyc.db import utcnow
from tests.retention.jobs import FULL_NAME, finished_job, stored_text
from tests.server import make_partner, make_runtime

runner = CliRunner()


def test_purge_and_dry_run(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path, retention_days=7)
    partner = make_partner(runtime)
    with TestClient(create_app(runtime)) as client:
        old = finished_job(client, runtime, partner, "old", utcnow() - timedelta(days=8))
        finished_job(client, runtime, partner, "new", utcnow() - timedelta(days=6))
    args = ["retention", "purge", "--data-dir", str(runtime.settings.data_dir)]
    env = {"OPENKYC_RETENTION_DAYS": "7"}

    dry = runner.invoke(app, [*args, "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("1 jobs are due") and FULL_NAME in stored_text(runtime, old)

    purged = runner.invoke(app, args, env=env)
    assert purged.exit_code == 0, purged.output
    assert purged.output.strip() == "purged 1 jobs, deleted 6 blobs"
    assert FULL_NAME not in stored_text(runtime, old)


def test_retention_off_says_so(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path)
    result = runner.invoke(
        app,
        ["retention", "purge", "--data-dir", str(runtime.settings.data_dir)],
        env={"OPENKYC_RETENTION_DAYS": "0"},
    )
    assert result.exit_code == 0 and "retention is off" in result.output
