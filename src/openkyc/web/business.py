"""POST /v1/business_verification and /v1/async_business_verification (compatibility §4.5).

Signed-body v1 endpoints like the others: the body's signature authenticates the partner, the
answer is signed with the same key. Each request is a job (job_type 7) so /v1/job_status and the
callback machinery find it. The synchronous endpoint answers with the result; the asynchronous one
answers ``{"success": true}`` and the signed result is POSTed to ``callback_url`` (else the
partner's default) by the callback dispatcher.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from openkyc.business.base import BusinessLookup, LookupFailure
from openkyc.business.request import BusinessRequest, parse_business_request
from openkyc.business.result import failed_result, verified_result
from openkyc.business.select import registry_for
from openkyc.db import utcnow
from openkyc.http import read_json_object
from openkyc.jobs.status import public_result
from openkyc.jobs.sync import open_sync_job, publish_sync_result
from openkyc.partners.auth import Caller, authenticate
from openkyc.ratelimit.lookup import LimitedLookup
from openkyc.runtime import Runtime
from openkyc.signing import sign_response
from openkyc.webdeps import RuntimeDep

router = APIRouter(prefix="/v1", tags=["business verification"])


@router.post("/business_verification")
async def business_verification(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Look the business up now and answer with the signed result."""
    caller, parsed = await _read(request, runtime)
    result = await run_in_threadpool(_verify, runtime, caller, parsed, parsed.callback_url is not None)
    return {**public_result(result), **sign_response(caller.api_key, caller.partner_id, utcnow())}


@router.post("/async_business_verification")
async def async_business_verification(request: Request, runtime: RuntimeDep) -> dict[str, bool]:
    """Accept the job; its signed result goes to the callback URL."""
    caller, parsed = await _read(request, runtime)
    await run_in_threadpool(_verify, runtime, caller, parsed, True)
    return {"success": True}


async def _read(request: Request, runtime: Runtime) -> tuple[Caller, BusinessRequest]:
    body = await read_json_object(request, runtime.settings.max_json_body)
    caller = authenticate(runtime, headers=request.headers, body=body)
    return caller, parse_business_request(body)


def _verify(runtime: Runtime, caller: Caller, parsed: BusinessRequest, call_back: bool) -> dict[str, Any]:
    """Open the job, look the business up, store the result and (if asked) schedule the callback."""
    # Counted before anything else, as for persons: a blocked number (429 / 2222) opens no job and
    # never reaches the registry; a registry that is down gives the count back.
    limited = LimitedLookup(
        partner_id=caller.partner_id,
        environment=caller.environment.value,
        country=parsed.country,
        id_type=parsed.id_type,
        id_number=parsed.id_number,
    )
    limited.count(runtime)
    smile_job_id = open_sync_job(runtime, caller, parsed.params, parsed.callback_url)
    lookup = BusinessLookup(
        country=parsed.country,
        id_type=parsed.id_type,
        id_number=parsed.id_number,
        business_type=parsed.business_type,
        environment=caller.environment.value,
    )
    # The configured provider's registry for the key's environment (business/select.py; by default
    # sandbox keys get the sample business, production keys the operator's registry).
    registry = registry_for(runtime, caller.environment.value)
    answer = limited.run(runtime, f"business registry {registry.name}", lambda: registry.lookup(lookup))
    if isinstance(answer, LookupFailure):
        result = failed_result(smile_job_id, parsed.params.raw, answer)
    else:
        result = verified_result(smile_job_id, parsed.params.raw, answer)
    publish_sync_result(runtime, smile_job_id, result, call_back=call_back)
    return result
