"""`openkyc jobs ...`: look at jobs and resolve the ones waiting for human review."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from openkyc.cli.common import JsonOption, open_runtime
from openkyc.cli.output import emit_json, emit_rows
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
) -> None:
    """List jobs, newest first."""
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
        json_output,
        lambda row: (
            f"{row['smile_job_id']}\t{row['partner_id']}\tjob_type={row['job_type']}\t{row['state']}\t{row['result_code'] or '-'}"
        ),
    )


@jobs_app.command("show")
def jobs_show(smile_job_id: JobIdArgument) -> None:
    """A job's state, result, reasons, history and callback deliveries (JSON)."""
    emit_json(job_summary(open_runtime(), smile_job_id))


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
