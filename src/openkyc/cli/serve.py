"""`openkyc serve`: the API and in-process workers on the embedded default.

With ``OPENKYC_METRICS_BIND`` set it also answers Prometheus scrapes on that second address
(see :mod:`openkyc.observability.metrics`); the API port never serves them unauthenticated.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
from pathlib import Path
from typing import Annotated, Any

import typer

from openkyc.cli import output
from openkyc.cli.common import settings as cli_settings
from openkyc.config import Settings
from openkyc.crypto import environment_keys
from openkyc.db import transaction
from openkyc.observability.logging import configure_logging, parse_level
from openkyc.partners import service as partners
from openkyc.runtime import Runtime, build_runtime
from openkyc.tasks import queue_for

log = logging.getLogger(__name__)

# Where the first partner's keys go when the output is not a terminal (tests/live_server.py reads it).
FIRST_PARTNER_FILE = "first-partner.json"
# Listening on every interface says nothing of the address partners use.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 (compared with, never bound)


def ensure_first_partner(runtime: Runtime) -> dict[str, str] | None:
    """On an empty installation, a sandbox partner to start with; None when partners exist."""
    with transaction(runtime.sessions) as session:
        if partners.list_partners(db_session=session):
            return None
        partner, keys = partners.create_partner(db_session=session, box=runtime.box, name="Sandbox partner")
        return {
            "partner_id": partner.id,
            **{f"{env.value}_api_key": key.api_key for env, key in keys.items()},
            **{f"{env.value}_key_id": key.key_id for env, key in keys.items()},
        }


def where_keys_are_kept(settings: Settings) -> str:
    """A line saying where the partners' keys are stored and under which key (never a secret: a
    database URL may carry a password, so it is named, not shown)."""
    database = (
        "the database at OPENKYC_DATABASE_URL"
        if settings.database_url
        else f"the SQLite database {settings.resolved_database_url.removeprefix('sqlite:///')}"
    )
    if environment_keys(settings):
        variable = "OPENKYC_SECRET_KEY" if settings.secret_key.strip() else "OPENKYC_MASTER_KEY"
        sealed_by = f"the key in {variable}"
    else:
        sealed_by = f"the key file {settings.master_key_file.resolve()}"
    return f"Keys are stored in {database}, encrypted with {sealed_by}."


def announce_first_partner(first: dict[str, str], settings: Settings) -> None:
    """Say what the first start created.

    On a terminal (a person started the server): both keys, this once, then where they are kept
    and the commands that list, replace and enable them. Elsewhere the output is a log (a service
    manager's journal, a container's): no key goes there; they are written to a file only the
    installation's user can read, and one log record says where, with the same commands.
    """
    partner_id = first["partner_id"]
    data_dir = settings.data_dir.resolve()
    # Copy-pasted as they are, the commands reach this installation whatever the working directory.
    target = f"-p {partner_id} --data-dir {shlex.quote(str(data_dir))}"
    kept = where_keys_are_kept(settings)
    if not output.on_terminal():
        path = data_dir / FIRST_PARTNER_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(first, handle, indent=2)
        log.warning(
            "created sandbox partner %s for this new installation: its API keys are not logged but "
            "written to %s (only this user can read it; delete it once read). %s List them: "
            "`openkyc keys list %s`; replace one: `openkyc keys rotate %s KEY_ID`; the production "
            "key is refused (2220) until `openkyc partners enable-production %s`.",
            partner_id,
            path,
            kept,
            target,
            target,
            target,
            extra={"partner_id": partner_id},
        )
        return
    typer.echo("Created a sandbox partner for this new installation:")
    typer.echo(f"  partner_id:         {partner_id}")
    typer.echo(f"  sandbox api key:    {first['sandbox_api_key']}")
    typer.echo(f"  production api key: {first['production_api_key']}")
    typer.echo("Shown here this once: the log never holds them.")
    typer.echo(kept)
    typer.echo("A key's secret is never shown again. To list the keys (ids, fingerprints):")
    typer.echo(f"  openkyc keys list {target}")
    typer.echo(
        f"To replace one with a new key (sandbox {first['sandbox_key_id']}, "
        f"production {first['production_key_id']}):"
    )
    typer.echo(f"  openkyc keys rotate {target} KEY_ID")
    typer.echo("The production key is refused (2220) until:")
    typer.echo(f"  openkyc partners enable-production {target}")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="PEM certificate (serve HTTPS).")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key for --tls-cert.")] = None,
    workers: Annotated[int | None, typer.Option(help="In-process verification workers.")] = None,
    processes: Annotated[
        int,
        typer.Option(min=1, help="API server processes (more than one needs OPENKYC_QUEUE=celery)."),
    ] = 1,
) -> None:
    """Run the API with in-process workers (SQLite + local blobs under the data dir)."""
    import uvicorn

    from openkyc.app import create_app
    from openkyc.jobs.flows import process_job
    from openkyc.observability.metrics import start_metrics_listener

    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("--tls-cert and --tls-key go together")
    settings = cli_settings() if workers is None else cli_settings(workers=workers)
    # First, so migrations and start-up problems are logged in the configured format too.
    configure_logging(settings, native_stderr=True)
    runtime = build_runtime(settings)
    runtime.queue = queue_for(runtime.settings)
    # With Celery, `openkyc worker` processes verify and call back; this process only serves.
    in_process = runtime.settings.queue == "inprocess"
    first = ensure_first_partner(runtime)
    if first is not None:
        announce_first_partner(first, runtime.settings)
    scheme = "https" if tls_cert else "http"
    if in_process and host not in WILDCARD_HOSTS:
        runtime.served_at = f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"
    log.info(
        "openkyc listening on %s://%s:%d/v1 (data: %s)",
        scheme,
        host,
        port,
        runtime.settings.data_dir.resolve(),
    )
    server_options: dict[str, Any] = {
        "host": host,
        "port": port,
        "ssl_certfile": str(tls_cert) if tls_cert else None,
        "ssl_keyfile": str(tls_key) if tls_key else None,
        # uvicorn's loggers go through configure_logging's handler (JSON, redaction), not its own.
        "log_config": None,
        "log_level": parse_level(settings.log_level),
        "access_log": False,  # URLs carry upload capabilities and signed image links
    }
    metrics_listen = runtime.settings.metrics_listen
    if processes > 1:
        if metrics_listen is not None:
            # Each process has its own HTTP figures and they cannot share one port.
            raise typer.BadParameter(
                "OPENKYC_METRICS_BIND serves one process: with --processes > 1 use OPENKYC_METRICS_TOKEN"
            )
        if in_process:
            raise typer.BadParameter("--processes > 1 needs OPENKYC_QUEUE=celery and `openkyc worker`")
        # Each process builds its own runtime from the environment (asgi.app_from_environment).
        os.environ["OPENKYC_DATA_DIR"] = str(runtime.settings.data_dir)
        uvicorn.run("openkyc.asgi:app_from_environment", factory=True, workers=processes, **server_options)
        return
    app = create_app(runtime, process_job=process_job if in_process else None)
    if metrics_listen is not None:
        metrics_host, metrics_port = metrics_listen
        start_metrics_listener(app.state.metrics_registry, metrics_host, metrics_port)
        log.info("metrics on http://%s:%d/metrics", metrics_host, metrics_port)
    uvicorn.run(app, **server_options)
