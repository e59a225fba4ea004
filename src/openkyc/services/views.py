"""GET /v1/services (public) and POST /v1/valid_documents (signed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from openkyc.http import read_json_object
from openkyc.partners.auth import authenticate
from openkyc.services.catalogue import services_body
from openkyc.services.documents import valid_documents
from openkyc.webdeps import RuntimeDep

router = APIRouter(prefix="/v1", tags=["services"])


@router.get("/services")
async def services() -> JSONResponse:
    """Supported ID types per country and per hosted-web product (compatibility §4.7); no auth,
    as the PHP and Java SDKs and the mobile SDKs call it before they hold any signature."""
    # JSONResponse directly: the body is large and already JSON-ready, so skip re-validation.
    return JSONResponse(services_body(), headers={"Cache-Control": "public, max-age=3600"})


@router.post("/valid_documents")
async def documents(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Document types accepted for Document Verification, per country (compatibility §4.8)."""
    body = await read_json_object(request, runtime.settings.max_json_body)
    authenticate(runtime, headers=request.headers, body=body)
    return {"valid_documents": list(valid_documents())}
