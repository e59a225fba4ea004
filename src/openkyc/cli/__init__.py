"""The ``openkyc`` command.

Names: a group named after things it lists and changes is plural (``partners``, ``keys``,
``users``, ``jobs``, ``lists``); one named after a part of the installation is singular (``db``,
``registry``, ``encryption``, ``retention``, ``audit``); ``inspect`` is a verb. Each lives in the
module of its name (``openkyc.cli.partners``, ...). An old spelling stays a hidden alias, because
operators' scripts call it (``openkyc partner create``).

Sub-command modules are imported only when a command line names them (:mod:`openkyc.cli.lazy`),
so ``openkyc --help`` imports neither the engine nor the web app nor the database models.
"""

from __future__ import annotations

from typing import ClassVar

import typer

from openkyc import __version__
from openkyc.cli.lazy import Entry, LazyGroup

_PARTNERS = Entry("openkyc.cli.partners:partners_app", "Partners (the organisations calling the API).")

COMMANDS: dict[str, Entry] = {
    "serve": Entry(
        "openkyc.cli.serve:serve",
        "Run the API with in-process workers (SQLite + local blobs under the data dir).",
    ),
    "worker": Entry(
        "openkyc.cli.worker:worker",
        "Run Celery workers: verification on CPU processes, callbacks on threads.",
    ),
    "inspect": Entry(
        "openkyc.cli.inspect:inspect_app",
        "Run the verification engine on images and print its evidence.",
        data_dir=False,
    ),
    "partners": _PARTNERS,
    "partner": Entry(_PARTNERS.target, _PARTNERS.help, hidden=True),  # the old spelling
    "keys": Entry(
        "openkyc.cli.keys:keys_app", "API keys per partner and environment (several may be active at once)."
    ),
    "users": Entry("openkyc.cli.users:users_app", "Enrolled users (registered faces)."),
    "jobs": Entry("openkyc.cli.jobs:jobs_app", "Jobs: list, show, resolve human review."),
    "db": Entry("openkyc.cli.db:db_app", "Database schema."),
    "registry": Entry(
        "openkyc.cli.registry:registry_app",
        "The local registries: people (an ID authority filled from CSV) and businesses (JSON lines).",
    ),
    "lists": Entry("openkyc.cli.lists:lists_app", "Watch lists for the AML check (job_type 10)."),
    "encryption": Entry(
        "openkyc.cli.encryption:encryption_app",
        "Encryption at rest: rotate the key that protects secrets, images and PII.",
    ),
    "retention": Entry(
        "openkyc.cli.retention:retention_app", "Retention of images and PII (OPENKYC_RETENTION_DAYS)."
    ),
    "audit": Entry("openkyc.cli.audit:audit_app", "The audit log: who accessed or changed what."),
    "portal": Entry(
        "openkyc.cli.portal:portal_app", "The partner portal's team members (sign-in accounts with roles)."
    ),
    "tls": Entry(
        "openkyc.cli.tls:tls_app",
        "HTTPS for local development: a development CA and a server certificate.",
        data_dir=False,
    ),
}


class _Root(LazyGroup):
    entries: ClassVar[dict[str, Entry]] = COMMANDS


app = typer.Typer(
    name="openkyc",
    cls=_Root,
    help="Self-hostable identity verification, wire-compatible with the Smile ID API.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold images or PII
)


@app.callback()
def root() -> None:
    # Only the root's options (--data-dir, added by _Root) act here; a callback makes typer build
    # a group rather than a lone `version` command.
    pass


@app.command()
def version() -> None:
    """Print the openkyc version."""
    typer.echo(__version__)
