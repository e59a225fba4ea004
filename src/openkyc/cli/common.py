"""What the commands share: the one ``--data-dir`` option, the settings it selects, the runtime.

``--data-dir`` is declared once, here. The root group adds it to itself and to every group and
command that works on a data directory (see :mod:`openkyc.cli.lazy`), so both
``openkyc --data-dir D partners create`` and ``openkyc partners create --data-dir D`` work; the
one given last (the most specific) wins. Commands never take it as a parameter: they call
:func:`settings` or :func:`open_runtime`, which build the settings once per invocation, when
first asked, so a command that needs none (``--help``) builds none.

This module is imported for ``openkyc --help``: it imports nothing heavy at module level.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.main

if TYPE_CHECKING:
    from typer._click import Parameter

    from openkyc.config import Settings
    from openkyc.runtime import Runtime

_DATA_DIR = "openkyc.data_dir"
_SETTINGS = "openkyc.settings"

# The click context's ``meta`` of the invocation running now (shared by every context of one
# command line). Set by the root group around each invocation, so nothing outlives it: tests run
# many command lines in one process.
_invocation: ContextVar[dict[str, Any] | None] = ContextVar("openkyc_cli_invocation", default=None)


def _remember_data_dir(ctx: typer.Context, value: Path | None) -> None:
    # Parsing runs from the root down, so a sub-command's --data-dir replaces the root's.
    if value is not None:
        ctx.meta[_DATA_DIR] = value


DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory (SQLite file, blobs, master key). Default: ./openkyc-data or OPENKYC_DATA_DIR.",
        callback=_remember_data_dir,
        expose_value=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (a listing: one object per line).")]
TsvOption = Annotated[
    bool,
    typer.Option(
        "--tsv",
        help="Tab-separated lines, no header (what a pipe gets without --json; a terminal gets a table).",
    ),
]


def data_dir_parameter() -> Parameter:
    """A fresh ``--data-dir`` parameter (each command gets its own) built by typer from
    :data:`DataDirOption`, so it parses, converts and shows help like any other option."""
    holder = typer.Typer(add_completion=False)

    @holder.command()
    def hold(data_dir: DataDirOption = None) -> None:
        """Never run: typer builds the option from this signature."""

    return typer.main.get_command(holder).params[0]


@contextmanager
def invocation(meta: dict[str, Any]) -> Iterator[None]:
    """Make ``meta`` (the running command line's) where :func:`settings` looks, until it ends."""
    token = _invocation.set(meta)
    try:
        yield
    finally:
        _invocation.reset(token)


def chosen_data_dir() -> Path | None:
    """The ``--data-dir`` of the running command line, None when none was given."""
    meta = _invocation.get()
    value = None if meta is None else meta.get(_DATA_DIR)
    return value if isinstance(value, Path) else None


def settings(**overrides: Any) -> Settings:
    """The settings of the running command line: OPENKYC_* with ``--data-dir`` on top.

    Built on the first call and kept for the rest of the invocation. ``overrides`` (a command's
    own options, e.g. ``serve --workers``) apply to that first build only.
    """
    from openkyc.config import Settings

    meta = _invocation.get()
    if meta is None:  # called outside a command line (a test calling a command function directly)
        meta = {}
    built = meta.get(_SETTINGS)
    if built is None:
        data_dir = meta.get(_DATA_DIR)
        if data_dir is not None:
            overrides = {"data_dir": data_dir, **overrides}
        built = Settings(**overrides)
        meta[_SETTINGS] = built
    elif overrides:
        raise RuntimeError("settings are already built for this command line: pass overrides first")
    if not isinstance(built, Settings):
        raise TypeError(f"the command line's settings slot holds a {type(built).__name__}")
    return built


def open_runtime() -> Runtime:
    """The runtime for the running command line's settings."""
    from openkyc.runtime import build_runtime
    from openkyc.tasks import queue_for

    # Management commands never verify nor look up: the providers' names are checked, not built.
    runtime = build_runtime(settings(), load_providers=False)
    # A command that finishes work (a review decision) hands its callback to the workers at once.
    runtime.queue = queue_for(runtime.settings)
    return runtime
