"""POST /v1/id_number_rate_limit_reset: lift the per-ID-number block (compatibility §4.10)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, model_validator
from starlette.concurrency import run_in_threadpool

from openkyc.api_errors import (
    MISSING_PARAMETER,
    SIGNED_BODY_ERRORS,
    WRONG_DATA_TYPE,
    ApiError,
    error_responses,
)
from openkyc.db import transaction
from openkyc.http import SignedBody, json_body, read_json_object, validate_body
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


class RateLimitResetRequest(SignedBody):
    """The ID number whose count is cleared (numbers may be sent as JSON numbers)."""

    id_type: str = Field(max_length=200, examples=["BVN"])
    id_number: str = Field(max_length=200, examples=["00000000000"])
    country: str | None = Field(default=None, max_length=200, examples=["NG"])

    @model_validator(mode="before")
    @classmethod
    def _documented_errors(cls, body: Any) -> Any:
        return {
            "id_type": _required_text(body, "id_type"),
            "id_number": _required_text(body, "id_number"),
            "country": _optional_text(body, "country"),
        }


class RateLimitResetAnswer(BaseModel):
    message: str = Field(examples=["Rate limit reset successful"])
    success: str = Field(description='The string "true", as documented.', examples=["true"])


@router.post(
    "/id_number_rate_limit_reset",
    response_model=None,
    openapi_extra=json_body(RateLimitResetRequest),
    responses={
        200: {"model": RateLimitResetAnswer, "description": "Reset (an unblocked number too)."},
        **error_responses(*SIGNED_BODY_ERRORS, MISSING_PARAMETER),
    },
)
async def reset_rate_limit(request: Request, runtime: RuntimeDep) -> dict[str, str]:
    """Clear the caller's count for one ID number so its requests are processed again at once."""
    body = await read_json_object(request, runtime.settings.max_json_body)
    caller = authenticate(runtime, headers=request.headers, body=body)
    parsed = validate_body(RateLimitResetRequest, body)
    id_type, id_number, country = parsed.id_type, parsed.id_number, parsed.country

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
