"""`openkyc worker`: the data dir it hands to Celery and its processes (through the environment)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openkyc.cli import app, worker

runner = CliRunner()


@pytest.mark.parametrize("before", [True, False], ids=["root --data-dir", "worker --data-dir"])
def test_worker_hands_its_data_dir_to_celery_through_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, before: bool
) -> None:
    # The command sets both in os.environ; setenv first, so the test's end restores them.
    for name in ("OPENKYC_DATA_DIR", "OPENKYC_QUEUE"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    started: list[tuple[str, str | None, str | None]] = []

    def run_one(queue: worker.QueueChoice, concurrency: int | None, loglevel: str) -> None:
        started.append((queue.value, os.environ.get("OPENKYC_DATA_DIR"), os.environ.get("OPENKYC_QUEUE")))

    monkeypatch.setattr(worker, "_run_one", run_one)
    data_dir = ["--data-dir", str(tmp_path)]
    command = ["worker", "--queues", "callbacks"]
    result = runner.invoke(app, [*data_dir, *command] if before else [*command, *data_dir])
    assert result.exit_code == 0, result.output
    assert started == [("callbacks", str(tmp_path), "celery")]
