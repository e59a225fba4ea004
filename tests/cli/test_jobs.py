"""`openkyc jobs list` and `jobs show`: a summary on a terminal, JSON for scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openkyc.app import create_app
from openkyc.cli import app, output
from openkyc.db import utcnow
from tests.retention.jobs import finished_job
from tests.server import make_partner, make_runtime

runner = CliRunner()


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A data dir and a finished Enhanced KYC job in it."""
    runtime = make_runtime(tmp_path_factory.mktemp("jobs"))
    partner = make_partner(runtime)
    with TestClient(create_app(runtime)) as client:
        smile_job_id = finished_job(client, runtime, partner, "job-1", utcnow())
    return runtime.settings.data_dir, smile_job_id


def show(job: tuple[Path, str], *extra: str) -> str:
    data_dir, smile_job_id = job
    result = runner.invoke(
        app, ["jobs", "show", smile_job_id, "--data-dir", str(data_dir), *extra], env={"COLUMNS": "100"}
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_show_json_is_the_whole_document_on_one_line(job: tuple[Path, str]) -> None:
    printed = show(job, "--json")
    assert len(printed.splitlines()) == 1
    document = json.loads(printed)
    assert document["smile_job_id"] == job[1]
    assert document["result"]["ResultCode"] and "history_codes" in document and "callbacks" in document


def test_show_off_a_terminal_prints_the_json_document_as_before(job: tuple[Path, str]) -> None:
    assert json.loads(show(job)) == json.loads(show(job, "--json"))


def test_show_on_a_terminal_is_a_summary_and_indented_json(
    job: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output, "on_terminal", lambda: True)
    printed = show(job)
    document = json.loads(show(job, "--json"))
    result = document["result"]
    assert f"job {job[1]}" in printed
    summary = {
        cells[0].strip(): cells[1].strip()
        for line in printed.splitlines()
        if line.startswith("│") and len(cells := line.strip("│").split("│")) == 2
    }
    assert summary["state"] == document["state"] and summary["job_type"] == "5"
    assert summary["result"] == f"{result['ResultCode']} {result['ResultText']}"
    assert summary["callback"].startswith("http://127.0.0.1:9/cb")
    # The result follows as indented JSON: it parses back to the document's result.
    indented = printed[printed.index("result:\n") + len("result:\n") :]
    assert indented.startswith("{\n  ")
    assert json.loads(indented) == result


def test_show_of_an_unknown_job_is_a_clean_error(job: tuple[Path, str]) -> None:
    result = runner.invoke(app, ["jobs", "show", "0000000000", "--data-dir", str(job[0])])
    assert result.exit_code == 1
    assert "no job 0000000000" in result.output


def test_list_json_lines(job: tuple[Path, str]) -> None:
    result = runner.invoke(app, ["jobs", "list", "--data-dir", str(job[0]), "--json"])
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["smile_job_id"] == job[1] and row["job_type"] == 5
