"""`openkyc serve`: the API and in-process workers on the embedded default.

With ``OPENKYC_METRICS_BIND`` set it also answers Prometheus scrapes on that second address
(see :mod:`openkyc.observability.metrics`); the API port never serves them unauthenticated.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from openkyc.cli.common import settings as cli_settings
from openkyc.db import transaction
from openkyc.observability.logging import configure_logging, parse_level
from openkyc.partners import service as partners
from openkyc.runtime import Runtime, build_runtime
from openkyc.tasks import queue_for

log = logging.getLogger(__name__)


def ensure_first_partner(runtime: Runtime) -> dict[str, str] | None:
    """On an empty installation, a sandbox partner to start with; None when partners exist."""
    with transaction(runtime.sessions) as session:
        if partners.list_partners(db_session=session):
            return None
        partner, keys = partners.create_partner(db_session=session, box=runtime.box, name="Sandbox partner")
        return {
            "partner_id": partner.id,
            **{f"{env.value}_api_key": key.api_key for env, key in keys.items()},
        }


def announce_first_partner(first: dict[str, str], data_dir: Path) -> None:
    """Show the new partner's key on a terminal; elsewhere (a service's captured output is a log)
    write it to a file only the installation's user can read, and say where."""
    typer.echo("Created a sandbox partner for this new installation:")
    typer.echo(f"  partner_id:      {first['partner_id']}")
    if sys.stdout.isatty():
        typer.echo(f"  sandbox api key: {first['sandbox_api_key']}")
    else:
        path = data_dir / "first-partner.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(first, handle, indent=2)
        typer.echo(f"  api keys:        in {path} (not printed: this output is not a terminal)")
    typer.echo("  (production keys work after `openkyc partners enable-production`)")


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
    configure_logging(settings)
    runtime = build_runtime(settings)
    runtime.queue = queue_for(runtime.settings)
    # With Celery, `openkyc worker` processes verify and call back; this process only serves.
    in_process = runtime.settings.queue == "inprocess"
    first = ensure_first_partner(runtime)
    if first is not None:
        announce_first_partner(first, runtime.settings.data_dir)
    scheme = "https" if tls_cert else "http"
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
