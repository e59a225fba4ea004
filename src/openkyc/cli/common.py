"""What the server-side commands share: the --data-dir option and opening the runtime."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openkyc.config import Settings
from openkyc.runtime import Runtime, build_runtime
from openkyc.tasks import queue_for

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory (SQLite file, blobs, master key). Default: ./openkyc-data or OPENKYC_DATA_DIR.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def open_runtime(data_dir: Path | None) -> Runtime:
    settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
    runtime = build_runtime(settings)
    # A command that finishes work (a review decision) hands its callback to the workers at once.
    runtime.queue = queue_for(settings)
    return runtime
