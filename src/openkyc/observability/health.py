"""``GET /healthz`` (the process answers) and ``GET /readyz`` (its dependencies answer too)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from openkyc.observability.readiness import Dependencies, check_readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: no dependency is consulted, so a database outage never gets the process restarted."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> JSONResponse:
    """Readiness: 200 when every dependency answers, else 503 naming the failing checks."""
    # The app's runtime, read as the few things checked: observability sits below the runtime
    # and the web dependencies (docs/architecture.md), so it does not import them.
    runtime: Dependencies = request.app.state.runtime
    readiness = await check_readiness(runtime)
    body: dict[str, Any] = {
        "status": "ready" if readiness.ready else "unavailable",
        "checks": readiness.checks,
    }
    if not readiness.ready:
        body["failing"] = readiness.failing
    return JSONResponse(status_code=200 if readiness.ready else 503, content=body)
