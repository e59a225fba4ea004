"""Request-body helpers shared by the views: JSON regardless of Content-Type, size limits."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from openkyc.api_errors import INVALID_JSON, PAYLOAD_TOO_LARGE, WRONG_DATA_TYPE, ApiError


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
    """The body as a JSON object. The PHP SDK sends no Content-Type, so none is required."""
    raw = await read_limited_body(request, limit)
    try:
        value = json.loads(raw.decode("utf-8-sig")) if raw.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiError(INVALID_JSON) from error
    if not isinstance(value, dict):
        raise ApiError(WRONG_DATA_TYPE, "The request body must be a JSON object")
    return value
