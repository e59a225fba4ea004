"""The API as an ASGI app built from the environment (OPENKYC_*), for several server processes.

`openkyc serve --processes N` runs N of these; any ASGI server can too, e.g.
``uvicorn --factory openkyc.asgi:app_from_environment --workers 4``. Such processes only serve:
verification runs in `openkyc worker` processes (OPENKYC_QUEUE=celery).
"""

from __future__ import annotations

from fastapi import FastAPI

from openkyc.app import create_app
from openkyc.config import Settings
from openkyc.observability.logging import configure_logging
from openkyc.runtime import build_runtime
from openkyc.tasks import queue_for


def app_from_environment() -> FastAPI:
    settings = Settings()
    configure_logging(settings)
    runtime = build_runtime(settings)
    runtime.queue = queue_for(settings)
    return create_app(runtime)
