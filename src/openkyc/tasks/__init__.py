"""Running work off the request path: in-process threads (embedded) or Celery workers (scaled out)."""

from __future__ import annotations

from openkyc.config import Settings
from openkyc.runtime import WakeWorkers, WorkQueue


def queue_for(settings: Settings) -> WorkQueue:
    """The queue the settings ask for: Celery when ``queue`` is "celery", else in-process."""
    if settings.queue == "celery":
        from openkyc.tasks.celery_app import make_celery
        from openkyc.tasks.celery_queue import CeleryQueue

        return CeleryQueue(make_celery(settings))
    return WakeWorkers()
