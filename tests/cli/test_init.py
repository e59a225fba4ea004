"""The root command (openkyc.cli): every command line that worked before the CLI was reorganised
still parses, and the groups are listed under their names with old spellings hidden."""

from __future__ import annotations

import re

import pytest
import typer.main
from typer._click import Command
from typer.core import TyperGroup
from typer.testing import CliRunner

from openkyc.cli import COMMANDS, app

runner = CliRunner()

# Every command of `openkyc` before the reorganisation (walked from its --help, recursively): the
# words of the command, its positional arguments (upper case) and every option it took. Operators'
# scripts call these; each must keep working exactly so.
COMMAND_LINES_BEFORE = (
    "serve --host --port --data-dir --tls-cert --tls-key --workers --processes",
    "worker --queues --concurrency --data-dir --loglevel",
    "version",
    "inspect",
    "inspect face IMAGES --pairs --root --operating-point --json",
    "inspect document IMAGES --selfie --id-type --country --json",
    "inspect liveness SELFIE FRAMES --json",
    "partner",
    "partner create --data-dir --name --json",
    "partner list --data-dir --json",
    "partner enable-production --partner-id -p --data-dir",
    "partner disable-production --partner-id -p --data-dir",
    "keys",
    "keys list --partner-id -p --env -e --data-dir --json",
    "keys create --partner-id -p --env -e --data-dir --json",
    "keys revoke KEY_ID --partner-id -p --data-dir",
    "keys rotate KEY_ID --partner-id -p --data-dir --json",
    "keys create-management --partner-id -p --env -e --data-dir --json",
    "keys list-management --partner-id -p --data-dir --json",
    "keys revoke-management API_KEY --partner-id -p --data-dir",
    "users",
    "users list --partner-id -p --env -e --data-dir --json",
    "users disable USER_ID --partner-id -p --env -e --data-dir",
    "users enable USER_ID --partner-id -p --env -e --data-dir",
    "users delete USER_ID --partner-id -p --env -e --data-dir",
    "users flag-reenroll USER_ID --partner-id -p --env -e --data-dir",
    "jobs",
    "jobs list --data-dir --state --partner-id -p --limit --json",
    "jobs show SMILE_JOB_ID --data-dir",
    "jobs review SMILE_JOB_ID --approve --reject --reason --data-dir",
    "db",
    "db upgrade --data-dir",
    "registry",
    "registry import CSV_FILE --data-dir",
    "registry count --data-dir",
    "registry import-businesses JSONL_FILE --data-dir",
    "registry count-businesses --data-dir",
    "lists",
    "lists load LIST_FORMAT LIST_FILE --data-dir",
    "lists count --data-dir",
    "encryption",
    "encryption rotate --data-dir --rewrap-only",
    "retention",
    "retention purge --data-dir --dry-run",
    "audit",
    "audit list --data-dir --since --json",
)


def _resolve(words: list[str]) -> Command:
    """The click command those words name, resolved the way a command line is."""
    command = typer.main.get_command(app)
    ctx = command.make_context("openkyc", [], resilient_parsing=True)
    for word in words:
        assert isinstance(command, TyperGroup), f"{words}: {word!r} under a command that is no group"
        found = command.get_command(ctx, word)
        assert found is not None, f"no command {' '.join(words)}"
        command = found
        ctx = command.make_context(word, [], parent=ctx, resilient_parsing=True)
    return command


@pytest.mark.parametrize("line", COMMAND_LINES_BEFORE)
def test_every_command_line_of_before_still_parses(line: str) -> None:
    words = [w for w in line.split() if not w.startswith("-") and not w.isupper()]
    arguments = [w for w in line.split() if w.isupper()]
    options = {w for w in line.split() if w.startswith("-")}

    result = runner.invoke(app, [*words, "--help"])
    assert result.exit_code == 0, result.output

    command = _resolve(words)
    declared = {
        opt for param in command.params for opt in (*param.opts, *getattr(param, "secondary_opts", ()))
    }
    assert options <= declared, f"{line}: lost {sorted(options - declared)}"
    positional = [p.name.upper() for p in command.params if p.param_type_name == "argument" and p.name]
    assert positional == arguments


def test_old_spellings_are_hidden_aliases_of_the_new() -> None:
    listing = runner.invoke(app, ["--help"]).output
    listed = set(re.findall(r"^│ (\S+)", listing, re.MULTILINE))  # the first column of the tables
    assert {"partners", "keys", "users", "jobs", "lists", "serve", "version"} <= listed
    assert "partner" not in listed
    assert COMMANDS["partner"].hidden
    assert COMMANDS["partner"].target == COMMANDS["partners"].target
    # The alias is the same group: same sub-commands, same help.
    old, new = _resolve(["partner"]), _resolve(["partners"])
    assert isinstance(old, TyperGroup)
    assert isinstance(new, TyperGroup)
    assert list(old.commands) == list(new.commands)
    assert old.help == new.help


def test_a_misspelt_command_gets_a_suggestion_among_the_lazy_names() -> None:
    result = runner.invoke(app, ["encryptoin"])
    assert result.exit_code == 2
    assert "encryption" in result.output


def test_version_prints_the_package_version() -> None:
    from openkyc import __version__

    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.output.strip() == __version__
