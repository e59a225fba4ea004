"""The server-side CLI: partners, keys, users, db, jobs (run in-process with typer's runner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


def test_db_upgrade_and_empty_job_list(tmp_path: Path) -> None:
    assert "up to date" in invoke("db", "upgrade", "--data-dir", str(tmp_path))
    assert invoke("jobs", "list", "--data-dir", str(tmp_path), "--state", "review") == ""


def test_first_start_creates_a_sandbox_partner_once(tmp_path: Path) -> None:
    from openkyc.cli.serve import ensure_first_partner
    from tests.server import make_runtime

    runtime = make_runtime(tmp_path)
    first = ensure_first_partner(runtime)
    assert first is not None and first["partner_id"] and first["sandbox_api_key"]
    assert ensure_first_partner(runtime) is None  # an installation with partners is left alone


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


def test_registry_import_and_count(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    records.write_text(
        "country,id_type,id_number,full_name\nKE,NATIONAL_ID,12345678,Ada Lovelace\n", encoding="utf-8"
    )
    assert "imported 1, replaced 0" in invoke("registry", "import", str(records), "--data-dir", str(tmp_path))
    assert invoke("registry", "count", "--data-dir", str(tmp_path)).strip() == "1"
    records.write_text("country,id_type,id_number\nKENYA,NATIONAL_ID,1\n", encoding="utf-8")
    result = runner.invoke(app, ["registry", "import", str(records), "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "line 2" in result.output


def test_the_first_partners_key_is_not_printed_to_a_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openkyc.cli.serve import announce_first_partner

    first = {"partner_id": "1001", "sandbox_api_key": "secret-key-value", "production_api_key": "p"}
    announce_first_partner(first, tmp_path)  # captured output is not a terminal
    printed = capsys.readouterr().out
    assert "1001" in printed and "secret-key-value" not in printed
    written = tmp_path / "first-partner.json"
    assert json.loads(written.read_text())["sandbox_api_key"] == "secret-key-value"
    assert written.stat().st_mode & 0o777 == 0o600
