"""Per-process HTTP metrics: requests and latency by method, route template and status.

Labels use the route's template (``/v1/uploads/{token}``), never the raw path: paths carry
upload capabilities, job ids and user ids. Requests no route matched share one label.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


def route_template(scope: Scope) -> str:
    """The matched route's path template, or ``unmatched``."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class HttpMetrics:
    """The process-local HTTP metrics, registered on one app's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "openkyc_http_requests",
            "HTTP requests answered by this process, by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "openkyc_http_request_duration_seconds",
            "Time to answer an HTTP request in this process, by method and route template.",
            ["method", "route"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "OTHER"
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route).observe(seconds)


class HttpMetricsMiddleware:
    """ASGI middleware feeding :class:`HttpMetrics` (an exception counts as a 500)."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_and_record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_and_record_status)
        finally:
            self.metrics.observe(
                str(scope.get("method", "")), route_template(scope), status, time.perf_counter() - started
            )
