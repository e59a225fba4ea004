"""Request-body helpers shared by the views: JSON regardless of Content-Type, size limits, and the
pydantic models that both read a body and document it in the OpenAPI schema.

A JSON endpoint reads its body with :func:`read_json_object` (the partner-input parser and its
bounds), authenticates the caller, then validates the object with its model
(:func:`validate_body`). The models' validators raise :class:`ApiError` with the codes the
endpoint documents, in the order it checks them; FastAPI never sees the model as a parameter, so
it can never answer 422 on its own. :func:`json_body` declares the model as the route's request
body in the schema.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from openkyc.api_errors import INVALID_JSON, MISSING_PARAMETER, PAYLOAD_TOO_LARGE, WRONG_DATA_TYPE, ApiError
from openkyc.partner_input import PartnerInputError, parse_json

Body = TypeVar("Body", bound=BaseModel)

# Every model named by json_body, by schema name: the OpenAPI schema's components
# (openkyc.web.docs adds them; FastAPI only knows the models of its own parameters).
DOCUMENTED_BODIES: dict[str, type[BaseModel]] = {}

# The credentials of a body-signed request (compatibility §11): documented with every body, read
# and checked by openkyc.partners.auth.authenticate before the model sees the body.
_CREDENTIALS: dict[str, Any] = {
    "partner_id": {"type": "string", "description": "Your partner ID.", "examples": ["1001"]},
    "timestamp": {
        "type": "string",
        "description": "ISO 8601 time of signing, within the server's window.",
        "examples": ["2026-12-03T19:01:38.904Z"],
    },
    "signature": {
        "type": "string",
        "description": "base64(HMAC-SHA256(api_key, timestamp + partner_id + 'sid_request')). "
        "May be sent instead as the SmileID-Partner-ID, SmileID-Timestamp and "
        "SmileID-Request-Signature headers.",
    },
    "source_sdk": {"type": "string", "description": "Informative: the SDK that sent the request."},
    "source_sdk_version": {"type": "string", "description": "Informative: its version."},
}


# The same credentials as headers: how the v2 multipart endpoints are signed.
SIGNATURE_HEADERS: list[dict[str, Any]] = [
    {
        "name": header,
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": _CREDENTIALS[field]["description"],
    }
    for header, field in (
        ("SmileID-Partner-ID", "partner_id"),
        ("SmileID-Timestamp", "timestamp"),
        ("SmileID-Request-Signature", "signature"),
    )
]


def _with_credentials(schema: dict[str, Any]) -> None:
    schema["properties"] = {**_CREDENTIALS, **schema.get("properties", {})}


class SignedBody(BaseModel):
    """A body-signed request's fields; the credentials are documented here, checked by authenticate."""

    # Other keys (the SDKs add their own) are allowed and ignored.
    model_config = ConfigDict(extra="ignore", json_schema_extra=_with_credentials)


class Accepted(BaseModel):
    """The answer of an async endpoint: the job is stored and its signed result goes to the callback URL."""

    success: bool = Field(examples=[True])


def validate_body(model: type[Body], body: dict[str, Any]) -> Body:
    """``body`` read by ``model``. Its validators answer with the documented codes (ApiError);
    whatever else pydantic refuses is 2213 when only missing fields, 2204 otherwise."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        problems = error.errors()
        fields = sorted({".".join(str(part) for part in e["loc"]) for e in problems})
        if all(e["type"] == "missing" for e in problems):
            raise ApiError(MISSING_PARAMETER, f"{', '.join(fields)} is required") from None
        raise ApiError(
            WRONG_DATA_TYPE, f"A parameter is of the wrong data type: {', '.join(fields)}"
        ) from None


def json_body(model: type[BaseModel], description: str | None = None) -> dict[str, Any]:
    """The ``openapi_extra`` declaring ``model`` as a route's JSON request body."""
    name = model.__name__
    if DOCUMENTED_BODIES.setdefault(name, model) is not model:
        raise ValueError(f"two request models are named {name}")
    body: dict[str, Any] = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
    }
    if description is not None:
        body["description"] = description
    return {"requestBody": body}


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with a JSON 413 as soon as it exceeds ``limit`` (never buffered past it).

    Kept on ``request.state`` so an auth dependency and the view can both read it.
    """
    cached = getattr(request.state, "raw_body", None)
    if isinstance(cached, bytes):
        return cached
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(PAYLOAD_TOO_LARGE, f"Request body too large (limit {limit} bytes)")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(PAYLOAD_TOO_LARGE, f"Request body too large (limit {limit} bytes)")
        chunks.append(chunk)
    body = b"".join(chunks)
    request.state.raw_body = body
    return body


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object. The PHP SDK sends no Content-Type, so none is required.

    Parsed by :func:`openkyc.partner_input.parse_json`: absurd numbers, deep nesting, NUL and
    unpaired surrogates are 2203 here, before any of it reaches the signature check or the database.
    """
    raw = await read_limited_body(request, limit)
    try:
        value = parse_json(raw) if raw.strip() else None
    except PartnerInputError as error:
        raise ApiError(INVALID_JSON, f"Invalid JSON: {error}") from None
    if not isinstance(value, dict):
        raise ApiError(WRONG_DATA_TYPE, "The request body must be a JSON object")
    return value
