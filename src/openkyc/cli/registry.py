"""`openkyc registry ...`: the local ID registry (records an operator imports from CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openkyc.authorities.registry import RegistryImportError, count_records, import_csv
from openkyc.cli.common import DataDirOption, open_runtime

registry_app = typer.Typer(
    help="The local ID registry, an ID authority filled from CSV.", no_args_is_help=True
)


@registry_app.command("import")
def registry_import(
    csv_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with a header row.")],
    data_dir: DataDirOption = None,
) -> None:
    """Import or replace records (all rows or none); ID numbers and records are stored encrypted."""
    try:
        summary = import_csv(open_runtime(data_dir), csv_file)
    except RegistryImportError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"imported {summary.imported}, replaced {summary.replaced}")


@registry_app.command("count")
def registry_count(data_dir: DataDirOption = None) -> None:
    """How many records the registry holds."""
    typer.echo(str(count_records(open_runtime(data_dir))))
