"""Output helpers shared by CLI commands: JSON lines on stdout, progress and tables on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

T = TypeVar("T")

stderr = Console(stderr=True)
stdout = Console()


def emit_json(obj: Any) -> None:
    """One JSON object per line on stdout, flushed so pipelines see results as they come."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def emit_rows(
    rows: Iterable[dict[str, Any]], json_output: bool, text: Callable[[dict[str, Any]], str]
) -> None:
    """Each row as a JSON line (``--json``) or as the line ``text`` makes of it."""
    for row in rows:
        if json_output:
            emit_json(row)
        else:
            sys.stdout.write(text(row) + "\n")
    sys.stdout.flush()


def with_progress(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    """Iterate with a progress bar on stderr (stdout stays clean for JSON)."""
    progress = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=total < 2,
    )
    with progress:
        task = progress.add_task(label, total=total)
        for item in items:
            yield item
            progress.advance(task)
