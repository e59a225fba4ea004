"""``GET /metrics``: Prometheus text from a registry of the app's own (never the global one)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, ProcessCollector, generate_latest

from openkyc.observability.db_collector import DatabaseCollector
from openkyc.observability.http_metrics import HttpMetrics, HttpMetricsMiddleware
from openkyc.runtime import Runtime

router = APIRouter(tags=["operations"])


def build_registry(runtime: Runtime) -> tuple[CollectorRegistry, HttpMetrics]:
    """A registry with the database figures, this process's resources and its HTTP metrics."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(runtime.engine))
    ProcessCollector(namespace="openkyc", registry=registry)
    return registry, HttpMetrics(registry)


def install_metrics(app: FastAPI, runtime: Runtime) -> CollectorRegistry:
    """Add ``/metrics`` and the HTTP middleware to ``app``; the registry is kept on app.state."""
    registry, http_metrics = build_registry(runtime)
    app.state.metrics_registry = registry
    app.add_middleware(HttpMetricsMiddleware, metrics=http_metrics)
    app.include_router(router)
    return registry


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """The current figures (a sync route: the database queries run in the thread pool)."""
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
