"""Prometheus metrics from a registry of the app's own (never the global one), off the API port.

The figures (queue depths, job results by product, callback failures, per-route traffic) are not
for partners, so ``GET /metrics`` is not served on the public API port by default. Two ways to
scrape, either or both:

* ``OPENKYC_METRICS_BIND`` (``host:port``): ``openkyc serve`` answers the metrics, without
  authentication, on that second listener, meant for a private or loopback address that only
  the Prometheus server reaches. It serves one process, so it goes with ``--processes 1``.
* ``OPENKYC_METRICS_TOKEN``: ``/metrics`` on the API port too, answered only to
  ``Authorization: Bearer <token>`` (compared in constant time); anything else gets a JSON 401
  with code 2205. This suits several processes or any ASGI server (each answers its own HTTP
  figures, the database figures are shared).

With neither, ``/metrics`` on the API port is a 404 like any unknown path.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from wsgiref.simple_server import WSGIServer

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    ProcessCollector,
    generate_latest,
    start_http_server,
)
from prometheus_client.registry import Collector

from openkyc.api_errors import UNAUTHORIZED, ApiError, ErrorSpec
from openkyc.observability.http_metrics import HttpMetrics, HttpMetricsMiddleware

router = APIRouter(tags=["operations"])

# 2205 as for any refused credential, but HTTP 401 with a Bearer challenge: scrapers expect that.
METRICS_UNAUTHORIZED = ErrorSpec(UNAUTHORIZED.code, UNAUTHORIZED.text, 401)


def build_registry(collectors: Iterable[Collector]) -> tuple[CollectorRegistry, HttpMetrics]:
    """A registry with ``collectors`` (the app passes the jobs' database figures), this process's
    resources and its HTTP metrics."""
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        registry.register(collector)
    ProcessCollector(namespace="openkyc", registry=registry)
    return registry, HttpMetrics(registry)


def install_metrics(app: FastAPI, *, token: str, collectors: Iterable[Collector]) -> CollectorRegistry:
    """Add the HTTP middleware to ``app`` (the registry is kept on app.state) and, when a metrics
    ``token`` is set, the bearer-protected ``/metrics`` route."""
    registry, http_metrics = build_registry(collectors)
    app.state.metrics_registry = registry
    app.state.metrics_token = token
    app.add_middleware(HttpMetricsMiddleware, metrics=http_metrics)
    if token:
        app.include_router(router)
    return registry


def start_metrics_listener(registry: CollectorRegistry, host: str, port: int) -> WSGIServer:
    """Serve ``registry`` on ``host:port`` from a daemon thread (any path answers the metrics)."""
    server, _ = start_http_server(port, addr=host, registry=registry)
    return server


def stop_metrics_listener(server: WSGIServer) -> None:
    """Stop the listener's thread and close its socket (tests; a server process just exits)."""
    server.shutdown()
    server.server_close()


def bearer_matches(authorization: str | None, token: str) -> bool:
    """Whether the Authorization header is ``Bearer <token>``, compared in constant time."""
    scheme, _, presented = (authorization or "").partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(presented.strip().encode(), token.encode())
    )


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """The current figures (a sync route: the database queries run in the thread pool)."""
    token: str = request.app.state.metrics_token
    if not bearer_matches(request.headers.get("authorization"), token):
        return JSONResponse(
            status_code=METRICS_UNAUTHORIZED.http_status,
            content=ApiError(METRICS_UNAUTHORIZED).body(),
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
