"""Request-body helpers shared by the views: JSON regardless of Content-Type, size limits."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from openkyc.api_errors import INVALID_JSON, PAYLOAD_TOO_LARGE, WRONG_DATA_TYPE, ApiError
from openkyc.partner_input import PartnerInputError, parse_json


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
