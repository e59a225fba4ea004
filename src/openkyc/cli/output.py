"""How commands print: tables for a person, JSON or tab-separated lines for a script.

A listing (``jobs list``, ``keys list``, ...) prints one of three forms:

- ``--json``: one JSON object per line (JSON Lines), always;
- ``--tsv``: one tab-separated line per row, no header, always;
- neither: a table with headers when stdout is a terminal, otherwise the tab-separated lines, so
  a script that reads ``openkyc jobs list | cut -f1`` gets what it always got.

Tables never shorten a cell: a value wider than its column (a path, an id) folds onto the next
line instead of ending in an ellipsis. Progress goes to stderr, so stdout stays clean for JSON.

Consoles are made per call, not at import: a console reads ``COLUMNS`` when it is made, and a
command's output file (a test's captured stdout) is the one in place when it prints.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

T = TypeVar("T")
Row = dict[str, Any]
# A table column: the row's key, or what to show for a row.
Cell = str | Callable[[Row], object]


class Form(StrEnum):
    TABLE = "table"
    TSV = "tsv"
    JSON = "json"


def on_terminal() -> bool:
    """Whether stdout is a terminal (a person reads it) rather than a pipe, file or log.

    Callers ask through the module (``output.on_terminal()``), so a test can stand in for a
    terminal in one place. Only the file decides: FORCE_COLOR or TTY_COMPATIBLE (which rich honours for colours) must
    not turn a script's tab-separated lines into a table, nor print a secret into a log.
    """
    try:
        return sys.stdout.isatty()
    except ValueError:  # a closed stdout
        return False


def stdout() -> Console:
    # No markup: a path or an audit detail such as "[b]" is text, not a style.
    return Console(highlight=False, markup=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False, markup=False)


def listing_form(json_output: bool, tsv_output: bool) -> Form:
    """The form a listing prints in, from its ``--json`` and ``--tsv`` flags."""
    if json_output and tsv_output:
        raise typer.BadParameter("choose one of --json and --tsv", param_hint="--json / --tsv")
    if json_output:
        return Form.JSON
    if tsv_output or not on_terminal():
        return Form.TSV
    return Form.TABLE


def table(*headers: str, title: str | None = None, show_header: bool = True) -> Table:
    """A table whose cells fold rather than being cut short with an ellipsis."""
    made = Table(title=title, show_header=show_header, title_justify="left")
    for header in headers:
        made.add_column(header, overflow="fold")
    return made


def cell_text(value: object) -> str:
    """How a value reads in a table: nothing is "-", a dict or list is JSON, the rest str()."""
    if value is None or value == "" or value == {} or value == []:
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def moment(value: object) -> str:
    """An ISO time as a table shows it: to the second, no zone (the column says UTC)."""
    if not isinstance(value, str):
        return cell_text(value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return (parsed.astimezone(UTC) if parsed.tzinfo else parsed).strftime("%Y-%m-%d %H:%M:%S")


def emit_json(obj: Any) -> None:
    """One JSON object per line on stdout, flushed so pipelines see results as they come."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def emit_rows(
    rows: Iterable[Row],
    form: Form,
    *,
    columns: Mapping[str, Cell],
    tsv: Callable[[Row], str],
    title: str | None = None,
) -> None:
    """``rows`` as JSON lines, tab-separated lines (``tsv`` makes each) or a table of ``columns``
    (header: the row's key, or a function of the row)."""
    if form is Form.TABLE:
        shown = table(*columns, title=title)
        for row in rows:
            shown.add_row(
                *(
                    cell_text(row.get(cell) if isinstance(cell, str) else cell(row))
                    for cell in columns.values()
                )
            )
        if not shown.row_count:
            shown.caption = "none"
        stdout().print(shown)
        return
    for row in rows:
        if form is Form.JSON:
            emit_json(row)
        else:
            sys.stdout.write(tsv(row) + "\n")
    sys.stdout.flush()


def with_progress(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    """Iterate with a progress bar on stderr (stdout stays clean for JSON)."""
    progress = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr(),
        transient=True,
        disable=total < 2,
    )
    with progress:
        task = progress.add_task(label, total=total)
        for item in items:
            yield item
            progress.advance(task)
