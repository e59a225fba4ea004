"""How commands print (openkyc.cli.output): every listing and `show` command has --json; on a
terminal a listing is a table with headers, in a pipe the tab-separated lines scripts read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer._click import Command
from typer.core import TyperGroup
from typer.testing import CliRunner

from openkyc.app import create_app
from openkyc.cli import COMMANDS, app, output
from openkyc.cli.lazy import load
from openkyc.db import transaction, utcnow
from openkyc.management.service import issue_credential
from openkyc.portal.models import PortalRole
from openkyc.signing.environment import Environment
from openkyc.users import service as users
from tests.portal.helpers import add_member
from tests.retention.jobs import finished_job
from tests.server import make_partner, make_runtime

runner = CliRunner()


@dataclass(frozen=True)
class Listing:
    args: tuple[str, ...]  # after the command's words; {partner} and {job} are filled in
    headers: tuple[str, ...]  # the table's, on a terminal


# Every command that lists or shows something, with the arguments it needs here. A new one is
# found by its name (test_every_listing_and_show_command_is_known) and must be added.
LISTINGS = {
    "partners list": Listing((), ("partner_id", "name", "production enabled")),
    "keys list": Listing(
        ("-p", "{partner}"), ("key_id", "environment", "fingerprint", "status", "created (UTC)")
    ),
    "keys list-management": Listing(
        ("-p", "{partner}"), ("api_key", "environment", "status", "created (UTC)")
    ),
    "users list": Listing(
        ("-p", "{partner}", "-e", "sandbox"), ("user_id", "status", "enrolled by job", "updated (UTC)")
    ),
    "jobs list": Listing((), ("smile_job_id", "partner", "job_type", "state", "result", "created (UTC)")),
    "audit list": Listing((), ("at (UTC)", "actor", "action", "target", "detail")),
    "lists count": Listing((), ("list", "entries")),
    "portal list-users": Listing(
        ("-p", "{partner}"), ("id", "email", "role", "2fa", "status", "created (UTC)")
    ),
}
# Commands showing one thing (a document or a number): --json, no table of rows.
SHOWS = {
    "jobs show": ("{job}",),
    "registry count": (),
    "registry count-businesses": (),
}
LISTING_WORDS = {"list", "show", "count"}


def _leaves(name: str, command: Command) -> Iterator[tuple[str, Command]]:
    if isinstance(command, TyperGroup):
        for sub_name, sub in command.commands.items():
            yield from _leaves(f"{name} {sub_name}", sub)
    else:
        yield name, command


def listing_commands() -> dict[str, Command]:
    """Every (non-hidden) command named list, show or count, or list-..., show-..., count-..."""
    found = {}
    for name, entry in COMMANDS.items():
        if entry.hidden:
            continue
        for path, command in _leaves(name, load(name, entry)):
            word = path.split()[-1]
            if word in LISTING_WORDS or word.split("-")[0] in LISTING_WORDS:
                found[path] = command
    return found


@dataclass(frozen=True)
class Installation:
    data_dir: Path
    partner_id: str
    smile_job_id: str

    def args(self, command: str, extra: tuple[str, ...]) -> list[str]:
        filled = [a.format(partner=self.partner_id, job=self.smile_job_id) for a in extra]
        return [*command.split(), *filled, "--data-dir", str(self.data_dir)]


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Installation:
    """A data dir where every listing has at least one row: a partner, a finished job, an
    enrolled user, a management credential, a portal member, audit events."""
    runtime = make_runtime(tmp_path_factory.mktemp("listings"))
    partner = make_partner(runtime)
    with TestClient(create_app(runtime)) as client:
        job = finished_job(client, runtime, partner, "job-1", utcnow())
    with transaction(runtime.sessions) as session:
        users.enrol(
            db_session=session,
            box=runtime.box,
            partner_id=partner.partner_id,
            environment="sandbox",
            user_id="user-1",
            embedding=np.linspace(0, 1, 128),
            selfie_blob=f"users/{partner.partner_id}/{job}/selfie",
            smile_job_id=job,
        )
        issue_credential(
            db_session=session,
            box=runtime.box,
            partner_id=partner.partner_id,
            environment=Environment.SANDBOX,
        )
    add_member(runtime, partner.partner_id, PortalRole.ADMIN)
    return Installation(runtime.settings.data_dir, partner.partner_id, job)


def invoke(args: list[str], env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands print as they do on a terminal (the runner's stdout is not one)."""
    monkeypatch.setattr(output, "on_terminal", lambda: True)


def test_every_listing_and_show_command_is_known() -> None:
    found = set(listing_commands())
    assert found == set(LISTINGS) | set(SHOWS), (
        "a listing or show command was added or removed: give it --json (and --tsv for a listing, "
        "openkyc.cli.output.emit_rows) and list it in LISTINGS or SHOWS"
    )


@pytest.mark.parametrize("command", sorted(set(LISTINGS) | set(SHOWS)))
def test_json_parses_for_every_listing_and_show_command(command: str, installation: Installation) -> None:
    declared = {opt for param in listing_commands()[command].params for opt in param.opts}
    assert "--json" in declared
    extra = LISTINGS[command].args if command in LISTINGS else SHOWS[command]
    printed = invoke([*installation.args(command, extra), "--json"])
    lines = printed.splitlines()
    assert lines, f"{command} --json printed nothing"
    for line in lines:
        assert isinstance(json.loads(line), dict)


@pytest.mark.parametrize("command", sorted(LISTINGS))
def test_a_listing_on_a_terminal_is_a_table_with_headers(
    command: str, installation: Installation, terminal: None
) -> None:
    listing = LISTINGS[command]
    printed = invoke(installation.args(command, listing.args), env={"COLUMNS": "200"})
    header_line = next(line for line in printed.splitlines() if line.startswith("┃"))
    assert [cell.strip() for cell in header_line.strip("┃").split("┃")] == list(listing.headers)
    assert "…" not in printed
    rows = [line for line in printed.splitlines() if line.startswith("│")]
    assert rows


@pytest.mark.parametrize("command", sorted(LISTINGS))
def test_off_a_terminal_a_listing_prints_the_tab_separated_lines_as_with_tsv(
    command: str, installation: Installation, terminal: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = installation.args(command, LISTINGS[command].args)
    forced = invoke([*args, "--tsv"])  # on a "terminal": --tsv asks for them anyway
    monkeypatch.setattr(output, "on_terminal", lambda: False)
    piped = invoke(args)
    assert piped == forced
    lines = piped.splitlines()
    assert lines and all("\t" in line for line in lines)
    # No header row: the first line is data, as scripts have always read it.
    assert not any(header in lines[0].split("\t") for header in LISTINGS[command].headers)


def test_the_tab_separated_lines_keep_their_format(installation: Installation) -> None:
    """Pinned as scripts read them (`cut -f`), unchanged by the tables."""
    (job,) = invoke(installation.args("jobs list", ())).splitlines()
    assert job.split("\t")[:4] == [
        installation.smile_job_id,
        installation.partner_id,
        "job_type=5",
        "complete",
    ]
    partners = invoke(installation.args("partners list", ())).splitlines()
    assert partners == [f"{installation.partner_id}\tTest partner\tproduction=False"]
    keys = invoke(installation.args("keys list", ("-p", "{partner}"))).splitlines()
    assert [line.split("\t")[1:2] + line.split("\t")[3:] for line in keys] == [
        ["sandbox", "active"],
        ["production", "active"],
    ]


def test_json_and_tsv_together_are_refused(installation: Installation) -> None:
    result = runner.invoke(app, [*installation.args("jobs list", ()), "--json", "--tsv"])
    assert result.exit_code == 2
    assert "--json" in result.output and "--tsv" in result.output


def test_an_empty_listing_on_a_terminal_says_none(tmp_path: Path, terminal: None) -> None:
    printed = invoke(["jobs", "list", "--data-dir", str(tmp_path)], env={"COLUMNS": "120"})
    assert "smile_job_id" in printed and "none" in printed


@pytest.mark.parametrize("columns", ["80", "200"])
def test_a_table_folds_long_values_instead_of_cutting_them(
    columns: str, terminal: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    path = "/srv/openkyc/" + "/".join(f"directory-{i:02d}" for i in range(20)) + "/face.jpg"
    rows = [{"path": path, "note": "[bold]text"}]
    output.emit_rows(rows, output.Form.TABLE, columns={"path": "path", "note": "note"}, tsv=str)
    printed = capsys.readouterr().out
    assert "…" not in printed
    assert table_column(printed, 0) == [path]
    assert table_column(printed, 1) == ["[bold]text"]  # text, not rich markup
    assert max(len(line) for line in printed.splitlines()) <= int(columns)


def table_column(printed: str, index: int) -> list[str]:
    """The cells of one column of a printed table, each folded piece joined back (rows are
    separated by nothing, so a one-row table gives one cell)."""
    pieces = [
        line.strip("│").split("│")[index].strip() for line in printed.splitlines() if line.startswith("│")
    ]
    return ["".join(pieces)] if pieces else []


def test_cell_text_and_moment() -> None:
    assert output.cell_text(None) == "-" and output.cell_text({}) == "-"
    assert output.cell_text({"a": [1]}) == '{"a": [1]}'
    assert output.moment("2026-01-31T12:00:01.123456+00:00") == "2026-01-31 12:00:01"
    assert output.moment("2026-01-31T14:00:01+02:00") == "2026-01-31 12:00:01"
    assert output.moment(None) == "-"
