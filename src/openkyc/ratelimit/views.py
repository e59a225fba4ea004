"""POST /v1/id_number_rate_limit_reset: lift the per-ID-number block (compatibility §4.10)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from openkyc.api_errors import MISSING_PARAMETER, WRONG_DATA_TYPE, ApiError
from openkyc.db import transaction
from openkyc.http import read_json_object
from openkyc.partners.auth import authenticate
from openkyc.ratelimit import service
from openkyc.webdeps import RuntimeDep

router = APIRouter(prefix="/v1", tags=["rate limits"])


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # ID numbers are digits; some clients send them as numbers
    if not isinstance(value, str) or len(value) > 200:
        raise ApiError(WRONG_DATA_TYPE, f"{name} must be a string")
    return value


def _required_text(body: dict[str, Any], name: str) -> str:
    value = _optional_text(body, name)
    if value is None:
        raise ApiError(MISSING_PARAMETER, f"{name} is required")
    return value


@router.post("/id_number_rate_limit_reset")
async def reset_rate_limit(request: Request, runtime: RuntimeDep) -> dict[str, str]:
    """Clear the caller's count for one ID number so its requests are processed again at once."""
    body = await read_json_object(request, runtime.settings.max_json_body)
    caller = authenticate(runtime, headers=request.headers, body=body)
    id_type = _required_text(body, "id_type")
    id_number = _required_text(body, "id_number")
    country = _optional_text(body, "country")

    def reset() -> None:  # a database write: off the event loop
        with transaction(runtime.sessions) as session:
            service.reset(
                db_session=session,
                key=service.digest_key(runtime.box),
                partner_id=caller.partner_id,
                environment=caller.environment.value,
                id_type=id_type,
                id_number=id_number,
                country=country,
            )

    await run_in_threadpool(reset)
    # "success" is the string "true" in the docs' example; resetting an unblocked number succeeds too.
    return {"message": "Rate limit reset successful", "success": "true"}
