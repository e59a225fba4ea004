"""`openkyc db upgrade`: apply the Alembic migrations (serve does it too on the embedded default)."""

from __future__ import annotations

import typer

from openkyc.cli.common import settings
from openkyc.db import make_engine, upgrade_schema
from openkyc.runtime import make_data_private

db_app = typer.Typer(no_args_is_help=True)  # its help: openkyc.cli.COMMANDS


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database (OPENKYC_DATABASE_URL, or the SQLite file in the data dir) to the newest schema."""
    chosen = settings()
    make_data_private(chosen)  # this may be what creates the SQLite file
    upgrade_schema(make_engine(chosen.resolved_database_url))
    typer.echo("database schema is up to date")
