"""`openkyc partners` (and its old spelling `partner`), run in-process with typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openkyc.cli import app

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_partner_create_prints_the_documented_json(tmp_path: Path) -> None:
    answer = json.loads(invoke("partner", "create", "--data-dir", str(tmp_path), "--name", "Acme", "--json"))
    assert set(answer) == {"partner_id", "api_keys"}
    assert set(answer["api_keys"]) == {"sandbox", "production"}
    listed = invoke("partner", "list", "--data-dir", str(tmp_path), "--json")
    assert json.loads(listed.splitlines()[0])["name"] == "Acme"
