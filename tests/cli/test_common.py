"""The shared --data-dir option and the settings it selects (openkyc.cli.common)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openkyc.cli import app
from openkyc.cli.common import invocation, settings

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def listed_partner_ids(*args: str) -> list[str]:
    return [json.loads(line)["partner_id"] for line in invoke(*args).splitlines()]


def test_data_dir_works_before_and_after_the_sub_command(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "data")
    first = json.loads(invoke("--data-dir", data_dir, "partners", "create", "--json"))["partner_id"]
    second = json.loads(invoke("partners", "create", "--data-dir", data_dir, "--json"))["partner_id"]
    third = json.loads(invoke("partners", "--data-dir", data_dir, "create", "--json"))["partner_id"]
    # The old spelling, as operators' scripts call it.
    fourth = json.loads(invoke("partner", "create", "--data-dir", data_dir, "--json"))["partner_id"]

    everyone = {first, second, third, fourth}
    assert len(everyone) == 4
    assert set(listed_partner_ids("--data-dir", data_dir, "partners", "list", "--json")) == everyone
    assert set(listed_partner_ids("partners", "list", "--json", "--data-dir", data_dir)) == everyone


def test_the_data_dir_given_last_wins(tmp_path: Path) -> None:
    root_dir, command_dir = tmp_path / "root", tmp_path / "command"
    created = json.loads(
        invoke("--data-dir", str(root_dir), "partners", "create", "--data-dir", str(command_dir), "--json")
    )["partner_id"]
    assert listed_partner_ids("partners", "list", "--data-dir", str(command_dir), "--json") == [created]
    assert not root_dir.exists()


def test_without_data_dir_the_environment_chooses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENKYC_DATA_DIR", str(tmp_path / "from-env"))
    created = json.loads(invoke("partners", "create", "--json"))["partner_id"]
    assert listed_partner_ids("partners", "list", "--data-dir", str(tmp_path / "from-env"), "--json") == [
        created
    ]


def test_data_dir_is_not_offered_where_it_means_nothing() -> None:
    result = runner.invoke(app, ["inspect", "face", "--data-dir", "somewhere"])
    assert result.exit_code == 2
    assert "--data-dir" in result.output


def test_settings_are_built_once_per_command_line(tmp_path: Path) -> None:
    with invocation({}):
        built = settings()
        assert settings() is built
        with pytest.raises(RuntimeError):
            settings(workers=2)
    with invocation({}):
        assert settings(workers=3).workers == 3
    # Nothing outlives a command line: the next one builds its own.
    assert settings() is not built
