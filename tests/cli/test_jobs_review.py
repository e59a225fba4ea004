"""`openkyc jobs review`: the whole-job decision from the command line, on the same claim as the
portal's (a second decision is refused and names the result that stands)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from openkyc.audit.models import AuditEvent
from openkyc.cli import app
from openkyc.db import transaction
from openkyc.jobs.review import DECIDED
from tests.portal.test_review_pages import add_review_job
from tests.server import make_partner, make_runtime

runner = CliRunner()


def test_review_from_the_command_line_then_again(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path)
    smile_job_id = add_review_job(runtime, make_partner(runtime).partner_id)
    data_dir = str(runtime.settings.data_dir)
    decided = runner.invoke(
        app, ["jobs", "review", smile_job_id, "--reject", "--reason", "no_match", "--data-dir", data_dir]
    )
    assert decided.exit_code == 0, decided.output
    final = json.loads(decided.stdout)
    assert (final["ResultCode"], final["IsFinalResult"]) == ("1221", "true")
    assert "_decision" not in final and "_review_note" not in final
    with transaction(runtime.sessions) as db:
        [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == DECIDED)).all()
        assert event.actor_type == "reviewer" and event.detail["reason"] == "no_match"

    again = runner.invoke(app, ["jobs", "review", smile_job_id, "--approve", "--data-dir", data_dir])
    assert again.exit_code == 1
    assert "decided already: 1221 Failed Authentication" in again.output
