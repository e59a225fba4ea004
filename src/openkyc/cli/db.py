"""`openkyc db upgrade`: apply the Alembic migrations (serve does it too on the embedded default)."""

from __future__ import annotations

import typer

from openkyc.cli.common import DataDirOption
from openkyc.config import Settings
from openkyc.db import make_engine, upgrade_schema
from openkyc.runtime import make_data_private

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDirOption = None) -> None:
    """Bring the database (OPENKYC_DATABASE_URL, or the SQLite file in the data dir) to the newest schema."""
    settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
    make_data_private(settings)  # this may be what creates the SQLite file
    upgrade_schema(make_engine(settings.resolved_database_url))
    typer.echo("database schema is up to date")
