"""Running work off the request path: the in-process pool of `openkyc serve` (Celery comes later)."""
