"""`openkyc retention purge`: remove the images and PII of jobs past the retention period."""

from __future__ import annotations

from typing import Annotated

import typer

from openkyc.audit import operator
from openkyc.cli.common import open_runtime
from openkyc.retention.service import purge_expired

retention_app = typer.Typer(no_args_is_help=True)  # its help: openkyc.cli.COMMANDS


@retention_app.command("purge")
def retention_purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count the jobs due.")] = False,
) -> None:
    """Purge every job finished more than OPENKYC_RETENTION_DAYS ago (results stay, without PII)."""
    runtime = open_runtime()
    if runtime.settings.retention_days == 0:
        typer.echo("retention is off (OPENKYC_RETENTION_DAYS=0): nothing is purged")
        return
    if dry_run:
        due = purge_expired(runtime, dry_run=True).jobs
        typer.echo(f"{due} jobs are due (finished more than {runtime.settings.retention_days} days ago)")
        return
    report = purge_expired(runtime, actor=operator())
    typer.echo(f"purged {report.jobs} jobs, deleted {report.blobs} blobs")
