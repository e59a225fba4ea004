"""The ``openkyc`` command."""

from __future__ import annotations

import typer

from openkyc import __version__
from openkyc.cli.inspect import inspect_app

app = typer.Typer(
    name="openkyc",
    help="Self-hostable identity verification, wire-compatible with the Smile ID API.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold images or PII
)
app.add_typer(inspect_app, name="inspect")


@app.command()
def version() -> None:
    """Print the openkyc version."""
    typer.echo(__version__)
