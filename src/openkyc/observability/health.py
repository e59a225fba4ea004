"""``GET /healthz`` (the process answers) and ``GET /readyz`` (its dependencies answer too)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from openkyc.observability.readiness import Dependencies, check_readiness

router = APIRouter(tags=["operations"])


class Liveness(BaseModel):
    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    status: str = Field(description="ready or unavailable.", examples=["ready"])
    checks: dict[str, str] = Field(
        description="Each dependency's status: ok, or the failure's kind (never its text).",
        examples=[{"database": "ok", "migrations": "ok", "blobs": "ok"}],
    )
    failing: list[str] | None = Field(default=None, description="The checks that failed (503 only).")


@router.get("/healthz", response_model=Liveness)
async def healthz() -> dict[str, str]:
    """Liveness: no dependency is consulted, so a database outage never gets the process restarted."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=None,
    responses={
        200: {"model": Readiness, "description": "Every dependency answers."},
        503: {"model": Readiness, "description": "A dependency does not answer."},
    },
)
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
