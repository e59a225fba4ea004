"""`openkyc lists ...`: the sanctions and PEP lists the AML check screens against."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openkyc.aml.entries import ListSource
from openkyc.aml.parsers import ListFormatError
from openkyc.aml.service import count_entries, load_entries, parse_file
from openkyc.cli.common import JsonOption, TsvOption, open_runtime
from openkyc.cli.output import Form, emit_rows, listing_form

lists_app = typer.Typer(no_args_is_help=True)  # its help: openkyc.cli.COMMANDS


@lists_app.command("load")
def lists_load(
    list_format: Annotated[
        ListSource, typer.Argument(metavar="FORMAT", help="ofac-xml, ofac-csv, un-xml or opensanctions.")
    ],
    list_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The published list file.")],
) -> None:
    """Replace the entries of one list with the individuals in FILE (ofac-csv also reads a sibling alt.csv)."""
    try:
        entries = parse_file(list_format, list_file)
    except (ListFormatError, UnicodeDecodeError) as error:
        typer.echo(f"cannot read {list_file.name} as {list_format.value}: {error}", err=True)
        raise typer.Exit(code=1) from None
    # Imported here: the job code builds on the products and the engine, which `lists --help` skips.
    from openkyc.jobs import aml_monitoring

    runtime = open_runtime()
    stored = load_entries(runtime.sessions, list_format, entries)
    typer.echo(f"loaded {stored} {list_format.value} entries")
    # The lists changed: the people under AML monitoring are screened against them now (the
    # server's sweep would within a minute; a new answer is called back from the server).
    rescreened = aml_monitoring.rescreen_all(runtime)
    if rescreened.screened:
        typer.echo(
            f"screened {rescreened.screened} monitored people again: "
            f"{rescreened.changed} with a new answer (called back to their partner's default URL)"
        )


@lists_app.command("count")
def lists_count(json_output: JsonOption = False, tsv_output: TsvOption = False) -> None:
    """How many entries each list holds (--json: one line per list, no total)."""
    form = listing_form(json_output, tsv_output)
    counts = count_entries(open_runtime().sessions)
    rows = [{"list": source.value, "entries": counts.get(source.value, 0)} for source in ListSource]
    if form is not Form.JSON:
        # A reader adding up the lists is spared the sum; JSON readers have the numbers.
        rows.append({"list": "total", "entries": sum(counts.values())})
    emit_rows(
        rows,
        form,
        columns={"list": "list", "entries": "entries"},
        tsv=lambda row: f"{row['list']}\t{row['entries']}",
    )
