"""The ``openkyc`` command."""

from __future__ import annotations

import typer

from openkyc import __version__
from openkyc.cli.audit import audit_app
from openkyc.cli.db import db_app
from openkyc.cli.inspect import inspect_app
from openkyc.cli.jobs import jobs_app
from openkyc.cli.keys import encryption_app
from openkyc.cli.lists import lists_app
from openkyc.cli.partners import keys_app, partner_app
from openkyc.cli.registry import registry_app
from openkyc.cli.retention import retention_app
from openkyc.cli.serve import serve
from openkyc.cli.users import users_app
from openkyc.cli.worker import worker

app = typer.Typer(
    name="openkyc",
    help="Self-hostable identity verification, wire-compatible with the Smile ID API.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold images or PII
)
app.add_typer(inspect_app, name="inspect")
app.add_typer(partner_app, name="partner")
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
app.add_typer(jobs_app, name="jobs")
app.add_typer(db_app, name="db")
app.add_typer(registry_app, name="registry")
app.add_typer(lists_app, name="lists")
app.add_typer(encryption_app, name="encryption")
app.add_typer(retention_app, name="retention")
app.add_typer(audit_app, name="audit")
app.command()(serve)
app.command()(worker)


@app.command()
def version() -> None:
    """Print the openkyc version."""
    typer.echo(__version__)
