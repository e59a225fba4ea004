"""`openkyc encryption ...`: rotate the key-encryption key and re-encrypt everything under it.

(``openkyc keys`` names the partners' API keys, so the keys that encrypt data live under this name.)
"""

from __future__ import annotations

from typing import Annotated

import typer

from openkyc.audit import operator
from openkyc.cli.common import settings as cli_settings
from openkyc.crypto import ensure_key_file, environment_keys, generate_key, prepend_key_file
from openkyc.crypto_rotation import rotate
from openkyc.runtime import build_runtime

encryption_app = typer.Typer(no_args_is_help=True)  # its help: openkyc.cli.COMMANDS


@encryption_app.command("rotate")
def encryption_rotate(
    rewrap_only: Annotated[
        bool,
        typer.Option(
            "--rewrap-only", help="Add no key: re-encrypt everything under the newest key already set."
        ),
    ] = False,
) -> None:
    """Put a new key first in the keyring, then re-encrypt every secret and blob under it.

    Older keys stay in the keyring. The oldest can never be removed (registry look-ups and rate
    limits are keyed from it); others may be once this command has finished.
    """
    settings = cli_settings()
    if not rewrap_only:
        if environment_keys(settings):
            variable = "OPENKYC_SECRET_KEY" if settings.secret_key.strip() else "OPENKYC_MASTER_KEY"
            typer.echo(f"new key: {generate_key()}")
            typer.echo(
                f"Keys come from {variable}: set OPENKYC_SECRET_KEY to the new key, a comma, then "
                "every key in use now (newest first; keep them all), restart every openkyc process, "
                "then run `openkyc encryption rotate --rewrap-only`."
            )
            return
        ensure_key_file(settings.master_key_file)
        prepend_key_file(settings.master_key_file, generate_key())
    runtime = build_runtime(settings)
    report = rotate(runtime, actor=operator())
    typer.echo(f"key {report.key_id}: {report.values} values re-encrypted ({report.values_current} already)")
    typer.echo(f"{report.blobs} blobs re-encrypted ({report.blobs_skipped} skipped)")
    if report.failed:
        typer.echo(
            f"{report.failed} values or blobs decrypt with no key of the keyring and were left as they "
            "are: is a key missing from it?",
            err=True,
        )
        raise typer.Exit(code=1)
