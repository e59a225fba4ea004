"""`openkyc portal add-user / list-users`, run in-process with typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openkyc.cli import app

runner = CliRunner()
PASSWORD = "a long enough password"


def _partner(data_dir: Path) -> str:
    created = runner.invoke(
        app, ["partners", "create", "--data-dir", str(data_dir), "--name", "Acme", "--json"]
    )
    assert created.exit_code == 0, created.output
    partner_id: str = json.loads(created.output)["partner_id"]
    return partner_id


def test_add_user_reads_the_password_from_stdin_and_list_users_shows_no_secret(tmp_path: Path) -> None:
    partner_id = _partner(tmp_path)
    added = runner.invoke(
        app,
        [
            "--data-dir",
            str(tmp_path),
            "portal",
            "add-user",
            "--partner-id",
            partner_id,
            "--email",
            "Owner@Example.test",
            "--role",
            "owner",
            "--json",
        ],
        input=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["email"] == "owner@example.test"
    listed = runner.invoke(
        app, ["portal", "list-users", "--partner-id", partner_id, "--data-dir", str(tmp_path), "--json"]
    )
    assert listed.exit_code == 0, listed.output
    [member] = [json.loads(line) for line in listed.output.splitlines()]
    assert member["email"] == "owner@example.test" and member["role"] == "owner"
    assert member["two_factor"] is False and member["disabled"] is False
    assert PASSWORD not in listed.output and "argon2" not in listed.output
    text = runner.invoke(
        app, ["portal", "list-users", "--partner-id", partner_id, "--data-dir", str(tmp_path)]
    )
    assert "owner@example.test\towner\t2fa=off\tactive" in text.output


def test_add_user_refuses_a_weak_password_a_bad_role_and_a_duplicate(tmp_path: Path) -> None:
    partner_id = _partner(tmp_path)
    base = [
        "portal",
        "add-user",
        "--data-dir",
        str(tmp_path),
        "--partner-id",
        partner_id,
        "--email",
        "a@example.test",
    ]
    weak = runner.invoke(app, [*base, "--role", "admin"], input="short\n")
    assert weak.exit_code == 1 and "at least 12 characters" in weak.output
    assert runner.invoke(app, [*base, "--role", "superuser"], input=PASSWORD + "\n").exit_code == 2
    assert runner.invoke(app, [*base, "--role", "admin"], input=PASSWORD + "\n").exit_code == 0
    again = runner.invoke(app, [*base, "--role", "auditor"], input=PASSWORD + "\n")
    assert again.exit_code == 1 and "exists already" in again.output
