"""`openkyc keys`: API keys and management credentials, run in-process with typer's runner."""

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


def test_keys_create_list_rotate_revoke(tmp_path: Path) -> None:
    partner_id = json.loads(invoke("partner", "create", "--data-dir", str(tmp_path), "--json"))["partner_id"]
    extra = json.loads(
        invoke("keys", "create", "-p", partner_id, "-e", "sandbox", "--data-dir", str(tmp_path), "--json")
    )
    rotated = json.loads(
        invoke("keys", "rotate", "-p", partner_id, extra["key_id"], "--data-dir", str(tmp_path), "--json")
    )
    invoke("keys", "revoke", "-p", partner_id, rotated["key_id"], "--data-dir", str(tmp_path))
    keys = [
        json.loads(line)
        for line in invoke(
            "keys", "list", "-p", partner_id, "--data-dir", str(tmp_path), "--json"
        ).splitlines()
    ]
    active = {k["key_id"]: k["active"] for k in keys}
    assert active[extra["key_id"]] is False and active[rotated["key_id"]] is False
    assert sum(active.values()) == 2  # the two keys made with the partner are untouched
    assert all(extra["api_key"] not in line for line in map(json.dumps, keys))  # secrets are never listed


def test_unknown_partner_or_user_is_a_clean_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["keys", "create", "-p", "9999", "-e", "sandbox", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 1 and "no partner 9999" in result.output
    partner_id = json.loads(invoke("partner", "create", "--data-dir", str(tmp_path), "--json"))["partner_id"]
    result = runner.invoke(
        app, ["users", "disable", "-p", partner_id, "-e", "sandbox", "nobody", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 1


def test_management_credentials_are_issued_listed_and_revoked(tmp_path: Path) -> None:
    partner_id = json.loads(invoke("partner", "create", "--data-dir", str(tmp_path), "--json"))["partner_id"]
    issued = json.loads(
        invoke(
            "keys",
            "create-management",
            "-p",
            partner_id,
            "-e",
            "sandbox",
            "--data-dir",
            str(tmp_path),
            "--json",
        )
    )
    assert issued["api_key"].startswith("sb_") and issued["secret_key"] and issued["auth_token"]
    listed = json.loads(
        invoke("keys", "list-management", "-p", partner_id, "--data-dir", str(tmp_path), "--json")
    )
    assert listed["api_key"] == issued["api_key"] and listed["revoked"] is False
    assert "secret" not in json.dumps(listed)
    invoke("keys", "revoke-management", "-p", partner_id, issued["api_key"], "--data-dir", str(tmp_path))
    listed = json.loads(
        invoke("keys", "list-management", "-p", partner_id, "--data-dir", str(tmp_path), "--json")
    )
    assert listed["revoked"] is True
    sandbox_only = invoke(
        "keys", "list", "-p", partner_id, "-e", "sandbox", "--data-dir", str(tmp_path), "--json"
    )
    assert [json.loads(line)["environment"] for line in sandbox_only.splitlines()] == ["sandbox"]
