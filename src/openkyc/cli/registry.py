"""`openkyc registry ...`: the local registries, of people (CSV) and of businesses (JSON lines)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openkyc.authorities.registry import RegistryImportError, count_records, import_csv
from openkyc.business.registry import count_businesses, import_jsonl
from openkyc.cli.common import JsonOption, open_runtime
from openkyc.cli.output import emit_json

registry_app = typer.Typer(no_args_is_help=True)  # its help: openkyc.cli.COMMANDS


@registry_app.command("import")
def registry_import(
    csv_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with a header row.")],
) -> None:
    """Import or replace records (all rows or none); ID numbers and records are stored encrypted."""
    try:
        summary = import_csv(open_runtime(), csv_file)
    except RegistryImportError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"imported {summary.imported}, replaced {summary.replaced}")


@registry_app.command("count")
def registry_count(json_output: JsonOption = False) -> None:
    """How many records the people registry holds (a number; --json: {"records": N})."""
    _print_count("records", count_records(open_runtime()), json_output)


@registry_app.command("import-businesses")
def registry_import_businesses(
    jsonl_file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="JSON lines, one business per line.")
    ],
) -> None:
    """Import or replace businesses for Business Verification (all lines or none), stored encrypted."""
    try:
        summary = import_jsonl(open_runtime(), jsonl_file)
    except RegistryImportError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"imported {summary.imported}, replaced {summary.replaced}")


@registry_app.command("count-businesses")
def registry_count_businesses(json_output: JsonOption = False) -> None:
    """How many businesses the business registry holds (a number; --json: {"businesses": N})."""
    _print_count("businesses", count_businesses(open_runtime()), json_output)


def _print_count(name: str, count: int, json_output: bool) -> None:
    if json_output:
        emit_json({name: count})
    else:
        typer.echo(str(count))
