"""`openkyc audit list [--since] [--json]`, and the CLI's own actions being audited."""

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


def test_partner_creation_and_key_changes_are_listed(tmp_path: Path) -> None:
    data_dir = ("--data-dir", str(tmp_path / "data"))
    partner_id = json.loads(invoke("partner", "create", "--json", *data_dir))["partner_id"]
    keys = [
        json.loads(line)
        for line in invoke("keys", "list", "-p", partner_id, "--json", *data_dir).splitlines()
    ]
    invoke("keys", "rotate", "-p", partner_id, keys[0]["key_id"], *data_dir)

    events = [json.loads(line) for line in invoke("audit", "list", "--json", *data_dir).splitlines()]

    actions = [event["action"] for event in events]
    assert actions[:3] == ["partner.created", "api_key.created", "api_key.created"]
    assert actions[3:] == ["api_key.revoked", "api_key.created", "api_key.rotated"]
    assert {event["actor_type"] for event in events} == {"operator"}
    assert events[-1]["target_id"] == keys[0]["key_id"]
    text = invoke("audit", "list", *data_dir)
    assert "partner.created" in text and f"partner:{partner_id}" in text
    assert invoke("audit", "list", "--since", "2999-01-01", *data_dir) == ""


def test_a_malformed_since_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "list", "--since", "last tuesday", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0
