"""Process-wide logging: one JSON object per line (or plain text), with job/request/partner ids.

Entry points (`openkyc serve`, `openkyc worker`) call :func:`configure_logging` once; library code
keeps using ``logging.getLogger(__name__)``. Every line passes the redaction filter on its way out.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from openkyc.config import Settings
from openkyc.observability.context import current_fields
from openkyc.observability.native_stderr import route_native_stderr
from openkyc.observability.redaction import RedactionFilter

CONTEXT_FIELDS = ("smile_job_id", "request_id", "partner_id")
# uvicorn's loggers are sent to the root handler instead of uvicorn's own (plain-text) ones.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
# Their INFO lines print whole URLs (callback URLs, presigned storage URLs): warnings only.
QUIET_LOGGERS = ("httpx", "httpcore", "urllib3", "botocore", "boto3", "s3transfer", "multipart")
# alembic 1.20 announces each of its plugins at INFO on every migration run.
NOISY_LOGGERS = ("alembic.runtime.plugins",)


class ContextFilter(logging.Filter):
    """Stamps a record with the ids bound where it was emitted (before any hand-off to a thread)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current_fields().items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


def _context(record: logging.LogRecord) -> dict[str, str]:
    found = {name: getattr(record, name, None) for name in CONTEXT_FIELDS}
    return {name: str(value) for name, value in found.items() if value is not None}


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", "thread", ids..., "exception"}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "thread": record.threadName,
            **_context(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2024-05-01 10:00:00,123 INFO openkyc.jobs.flows [job=0123456789]: message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(openkyc_ids)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(f"{name}={value}" for name, value in _context(record).items())
        record.openkyc_ids = f" [{ids}]" if ids else ""
        return super().format(record)


def make_handler(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """The handler configure_logging installs: context, redaction, then the configured format."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactionFilter())
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler._openkyc_handler = True  # type: ignore[attr-defined]
    return handler


def parse_level(name: str) -> int:
    """``"info"`` → ``logging.INFO``; ValueError for a name logging does not know."""
    level = logging.getLevelName(name.strip().upper())
    if not isinstance(level, int):
        raise ValueError(f"unknown log level {name!r}")
    return level


def configure_logging(
    settings: Settings, *, stream: TextIO | None = None, native_stderr: bool = False
) -> logging.Handler:
    """Send every logger of the process through one handler (idempotent: replaces its own).

    ``native_stderr`` (the server and worker entry points): in the JSON format, what native
    libraries write to file descriptor 2 becomes JSON log lines too (:mod:`.native_stderr`).
    """
    level = parse_level(settings.log_level)
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_openkyc_handler", False):
            root.removeHandler(existing)
            existing.close()
    handler = make_handler(settings, stream)
    root.addHandler(handler)
    root.setLevel(level)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    for name in (*QUIET_LOGGERS, *NOISY_LOGGERS):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    logging.captureWarnings(True)
    if native_stderr and settings.log_format == "json":
        route_native_stderr(handler)
    return handler
