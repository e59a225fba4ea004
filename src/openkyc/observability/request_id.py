"""Every HTTP request gets an id, bound to its log lines and echoed in ``X-Request-ID``."""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openkyc.observability.context import request_id_var

HEADER = "x-request-id"
# A proxy's id is reused when it is a UUID or 32 hex digits (nginx's $request_id); anything else
# is replaced, since request ids go into logs unredacted and a client could put anything there.
_ACCEPTED = re.compile(r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$")


def request_id_from(scope: Scope) -> str:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name.decode("latin-1").lower() == HEADER:
            candidate = value.decode("latin-1")
            if _ACCEPTED.match(candidate):
                return candidate
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """ASGI middleware binding the request id for the request's duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER.encode()]
                message = {**message, "headers": [*headers, (HEADER.encode(), request_id.encode())]}
            await send(message)

        token = request_id_var.set(request_id)
        await self.app(scope, receive, send_with_id)
        # Reset only on success: an exception reaches the 500 handler outside this middleware,
        # whose log line should still name the request. Each request runs in its own task (uvicorn,
        # TestClient), so the value cannot leak into another request.
        request_id_var.reset(token)
