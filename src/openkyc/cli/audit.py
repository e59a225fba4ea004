"""`openkyc audit list`: read the append-only audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from openkyc.audit.service import describe, list_events
from openkyc.cli.common import JsonOption, TsvOption, open_runtime
from openkyc.cli.output import emit_rows, listing_form, moment
from openkyc.db import transaction

audit_app = typer.Typer(no_args_is_help=True)  # its help: openkyc.cli.COMMANDS


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("use an ISO date or time, e.g. 2026-01-31 or 2026-01-31T12:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@audit_app.command("list")
def audit_list(
    since: Annotated[
        str | None, typer.Option("--since", help="Only events at or after this ISO time (UTC if no zone).")
    ] = None,
    json_output: JsonOption = False,
    tsv_output: TsvOption = False,
) -> None:
    """Events in the order they were recorded."""
    form = listing_form(json_output, tsv_output)
    start = _since(since)
    runtime = open_runtime()
    with transaction(runtime.sessions) as session:
        rows = [describe(event) for event in list_events(session, since=start)]
    emit_rows(
        rows,
        form,
        columns={
            "at (UTC)": lambda row: moment(row["at"]),
            "actor": lambda row: f"{row['actor_type']}:{row['actor_id']}",
            "action": "action",
            "target": lambda row: f"{row['target_type']}:{row['target_id']}",
            "detail": "detail",
        },
        tsv=lambda row: (
            f"{row['at']}\t{row['actor_type']}:{row['actor_id']}\t{row['action']}\t"
            f"{row['target_type']}:{row['target_id']}\t{row['detail']}"
        ),
    )
