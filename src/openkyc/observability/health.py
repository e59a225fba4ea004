"""``GET /healthz`` (the process answers) and ``GET /readyz`` (its dependencies answer too)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from openkyc.observability.readiness import check_readiness
from openkyc.runtime import Runtime
from openkyc.webdeps import get_runtime

router = APIRouter(tags=["operations"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: no dependency is consulted, so a database outage never gets the process restarted."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Readiness: 200 when every dependency answers, else 503 naming the failing checks."""
    readiness = await check_readiness(runtime)
    body: dict[str, Any] = {
        "status": "ready" if readiness.ready else "unavailable",
        "checks": readiness.checks,
    }
    if not readiness.ready:
        body["failing"] = readiness.failing
    return JSONResponse(status_code=200 if readiness.ready else 503, content=body)
