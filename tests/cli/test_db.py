"""`openkyc db upgrade`, run in-process with typer's runner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from openkyc.cli import app

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_db_upgrade_and_empty_job_list(tmp_path: Path) -> None:
    assert "up to date" in invoke("db", "upgrade", "--data-dir", str(tmp_path))
    assert invoke("jobs", "list", "--data-dir", str(tmp_path), "--state", "review") == ""
