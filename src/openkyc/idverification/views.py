"""The ID verification endpoints: Enhanced KYC (v1, compatibility §4.4) and Basic KYC (v2, §9.1).

Body-signed JSON. The look-up (database and possibly an authority's HTTP API) runs in a worker
thread so the event loop keeps serving other requests.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from openkyc.http import read_json_object
from openkyc.idverification.flow import BASIC_KYC, ENHANCED_KYC, Product, verify
from openkyc.partners.auth import authenticate
from openkyc.runtime import Runtime
from openkyc.webdeps import RuntimeDep

router = APIRouter(tags=["id verification"])


@router.post("/v1/id_verification")
async def id_verification(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Enhanced KYC: verify the ID number and return the holder's record as the job result."""
    return await _verify(request, runtime, ENHANCED_KYC, asynchronous=False)


@router.post("/v1/async_id_verification")
async def async_id_verification(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Enhanced KYC whose result is POSTed to the callback URL."""
    await _verify(request, runtime, ENHANCED_KYC, asynchronous=True)
    return {"success": True}


@router.post("/v2/verify")
async def basic_kyc(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Basic KYC: match the supplied details against the ID record, field by field."""
    return await _verify(request, runtime, BASIC_KYC, asynchronous=False)


@router.post("/v2/verify_async")
async def basic_kyc_async(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Basic KYC whose result is POSTed to the (required) callback_url."""
    await _verify(request, runtime, BASIC_KYC, asynchronous=True, callback_url_required=True)
    return {"success": True}


async def _verify(
    request: Request,
    runtime: Runtime,
    product: Product,
    *,
    asynchronous: bool,
    callback_url_required: bool = False,
) -> dict[str, Any]:
    body = await read_json_object(request, runtime.settings.max_json_body)
    caller = authenticate(runtime, headers=request.headers, body=body)
    return await run_in_threadpool(
        verify,
        runtime,
        caller,
        body,
        product,
        asynchronous=asynchronous,
        callback_url_required=callback_url_required,
    )
