"""POST /v1/token: a token for the hosted web integration (compatibility §4.6)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, model_validator

from openkyc.api_errors import (
    INVALID_PRODUCT,
    MISSING_PARAMETER,
    SIGNED_BODY_ERRORS,
    WRONG_DATA_TYPE,
    ApiError,
    error_responses,
)
from openkyc.db import transaction, utcnow
from openkyc.http import SignedBody, json_body, read_json_object, validate_body
from openkyc.links import service
from openkyc.links.models import WebProduct
from openkyc.partners.auth import authenticate
from openkyc.webdeps import RuntimeDep

router = APIRouter(prefix="/v1", tags=["hosted web"])


def _identifier(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None or value == "":
        raise ApiError(MISSING_PARAMETER, f"{name} is required")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or len(value) > 200:
        raise ApiError(WRONG_DATA_TYPE, f"{name} must be a string of at most 200 characters")
    return value


def _product(body: dict[str, Any]) -> WebProduct:
    value = body.get("product")
    if value is None or value == "":
        raise ApiError(MISSING_PARAMETER, "product is required")
    try:
        return WebProduct(value)
    except ValueError as error:
        raise ApiError(INVALID_PRODUCT) from error


def _callback_url(body: dict[str, Any]) -> str | None:
    value = body.get("callback_url")
    if value in (None, ""):
        return None  # the partner's default callback applies when the job is submitted
    if not isinstance(value, str) or len(value) > 2048:
        raise ApiError(WRONG_DATA_TYPE, "callback_url must be a URL string")
    return value


class TokenRequest(SignedBody):
    """POST /v1/token."""

    product: WebProduct = Field(description="The hosted-web product the end user will go through.")
    user_id: str = Field(max_length=200, description="Your id of the person.", examples=["user-1"])
    job_id: str = Field(max_length=200, description="Your id of the job.", examples=["job-9"])
    callback_url: str | None = Field(
        default=None,
        max_length=2048,
        description="Where the job's result is POSTed; else your default callback URL.",
        examples=["https://partner.example.com/callback"],
    )

    @model_validator(mode="before")
    @classmethod
    def _documented_errors(cls, body: Any) -> Any:
        # The checks in the order partners see them answered: product, ids, callback_url.
        return {
            "product": _product(body),
            "user_id": _identifier(body, "user_id"),
            "job_id": _identifier(body, "job_id"),
            "callback_url": _callback_url(body),
        }


class TokenAnswer(BaseModel):
    success: bool = Field(examples=[True])
    token: str = Field(
        description="Hand it to the end user's browser instead of a signature.",
        examples=["8wpV2Iu-LWXOGvNHd1jbD6rLIRNwlDcxy8CSgwHgkTU"],
    )


@router.post(
    "/token",
    response_model=None,
    openapi_extra=json_body(TokenRequest),
    responses={
        200: {"model": TokenAnswer, "description": "The token."},
        **error_responses(*SIGNED_BODY_ERRORS, MISSING_PARAMETER, INVALID_PRODUCT),
    },
)
async def web_token(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Issue a token the partner hands to its end user's browser instead of a signature."""
    body = await read_json_object(request, runtime.settings.max_json_body)
    caller = authenticate(runtime, headers=request.headers, body=body)
    parsed = validate_body(TokenRequest, body)
    product, user_id, job_id, callback_url = (
        parsed.product,
        parsed.user_id,
        parsed.job_id,
        parsed.callback_url,
    )
    with transaction(runtime.sessions) as session:
        issued = service.issue_token(
            db_session=session,
            partner_id=caller.partner_id,
            environment=caller.environment.value,
            api_key_id=caller.key_id,
            user_id=user_id,
            job_id=job_id,
            product=product,
            callback_url=callback_url,
            now=utcnow(),
        )
    return {"success": True, "token": issued.token}
