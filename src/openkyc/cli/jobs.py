"""`openkyc jobs ...`: look at jobs and resolve the ones waiting for human review."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy import select

from openkyc.api_errors import ApiError
from openkyc.cli import output
from openkyc.cli.common import JsonOption, TsvOption, open_runtime
from openkyc.cli.output import (
    cell_text,
    emit_json,
    emit_rows,
    listing_form,
    moment,
    stdout,
    table,
)
from openkyc.db import transaction
from openkyc.jobs.models import Job, JobState
from openkyc.jobs.review import NotUnderReview, job_summary, resolve
from openkyc.products.review import ReviewReason

jobs_app = typer.Typer(no_args_is_help=True)  # its help: openkyc.cli.COMMANDS
JobIdArgument = Annotated[str, typer.Argument(help="The SmileJobID.")]


@jobs_app.command("list")
def jobs_list(
    state: Annotated[JobState | None, typer.Option(help="Only jobs in this state (e.g. review).")] = None,
    partner_id: Annotated[str | None, typer.Option("--partner-id", "-p")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    json_output: JsonOption = False,
    tsv_output: TsvOption = False,
) -> None:
    """List jobs, newest first."""
    form = listing_form(json_output, tsv_output)
    runtime = open_runtime()
    query = select(Job).order_by(Job.created_at.desc()).limit(limit)
    if state is not None:
        query = query.where(Job.state == state)
    if partner_id is not None:
        query = query.where(Job.partner_id == partner_id)
    with transaction(runtime.sessions) as session:
        rows = [
            {
                "smile_job_id": j.smile_job_id,
                "partner_id": j.partner_id,
                "job_type": j.job_type,
                "state": j.state,
                "result_code": (j.result or {}).get("ResultCode"),
                "created_at": j.created_at.isoformat(),
            }
            for j in session.scalars(query)
        ]
    emit_rows(
        rows,
        form,
        columns={
            "smile_job_id": "smile_job_id",
            "partner": "partner_id",
            "job_type": "job_type",
            "state": "state",
            "result": "result_code",
            "created (UTC)": lambda row: moment(row["created_at"]),
        },
        tsv=lambda row: (
            f"{row['smile_job_id']}\t{row['partner_id']}\tjob_type={row['job_type']}\t{row['state']}\t{row['result_code'] or '-'}"
        ),
    )


@jobs_app.command("show")
def jobs_show(smile_job_id: JobIdArgument, json_output: JsonOption = False) -> None:
    """A job's state, result, reasons, history and callback deliveries.

    On a terminal: a summary, then the result as indented JSON. With --json, or when stdout is not
    a terminal: the whole document as one JSON line.
    """
    try:
        summary = job_summary(open_runtime(), smile_job_id)
    except ApiError:
        typer.echo(f"no job {smile_job_id}", err=True)
        raise typer.Exit(code=1) from None
    if json_output or not output.on_terminal():
        emit_json(summary)
    else:
        _print_job(summary)


def _print_job(summary: dict[str, Any]) -> None:
    result: dict[str, Any] = summary["result"]
    shown = table("field", "value", title=f"job {summary['smile_job_id']}")
    for field in ("partner_id", "environment", "user_id", "job_id", "job_type", "state"):
        shown.add_row(field, cell_text(summary[field]))
    if result:
        shown.add_row(
            "result", f"{cell_text(result.get('ResultCode'))} {cell_text(result.get('ResultText'))}"
        )
    for action, outcome in (result.get("Actions") or {}).items():
        shown.add_row(f"  {action}", cell_text(outcome))
    shown.add_row("reasons", ", ".join(map(str, summary["reasons"])) or "-")
    shown.add_row("history", " -> ".join(map(cell_text, summary["history_codes"])) or "-")
    for delivery in summary["callbacks"]:
        attempts = delivery["attempts"]
        status = "delivered" if delivery["delivered"] else "abandoned" if delivery["abandoned"] else "pending"
        last = attempts[-1] if attempts else None
        detail = f"{status}, {len(attempts)} attempt(s)"
        if last is not None and not delivery["delivered"]:
            detail += f"; last: {cell_text(last['status_code'] or last['error'])} at {last['at']}"
        shown.add_row("callback", f"{delivery['url']}: {detail}")
    console = stdout()
    console.print(shown)
    console.print("result:" if result else "result: none yet")
    if result:
        console.print_json(data=result, default=str)


@jobs_app.command("review")
def jobs_review(
    smile_job_id: JobIdArgument,
    approve: Annotated[bool, typer.Option("--approve/--reject", help="The reviewer's decision.")],
    reason: Annotated[
        ReviewReason | None,
        typer.Option(help="Why a rejection (default: the likeliest from what was under review)."),
    ] = None,
) -> None:
    """Resolve a provisional result; the final result is stored, added to history and called back."""
    try:
        final = resolve(
            open_runtime(), smile_job_id, approve=approve, reason=reason.value if reason else None
        )
    except NotUnderReview as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=1) from None
    emit_json(final)
