"""Security headers on every answer of the API, and ``Cache-Control: no-store`` on its answers.

Every response gets ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
``Referrer-Policy: no-referrer`` and a Content-Security-Policy. JSON (and anything else that is
not HTML) gets ``default-src 'none'; frame-ancestors 'none'``: nothing it names may load anything.
The HTML the API serves (``/docs``, ``/docs/oauth2-redirect``, ``/redoc`` and the landing page
``/``) loads its scripts, styles and images from this origin only (``openkyc.web.docs`` serves
Swagger UI and ReDoc from a package) and runs inline scripts; it gets a policy allowing exactly
that, the inline scripts allowed by their SHA-256 (computed from the page as sent, so it stays
right whatever FastAPI's template or the app's root path) rather than ``'unsafe-inline'``. No
third-party origin is named: an air-gapped server's pages must not depend on one. A response that
sets its own policy keeps it: the portal's pages (``openkyc.portal``) post forms to this origin and
run no script, which neither policy here says.

``Cache-Control: no-store`` is set on every answer that did not choose its own caching: job
results, signed responses, upload URLs, tokens and keys must not sit in a browser or proxy cache
(``GET /v1/services``, a static list, keeps its ``public, max-age``).

``Strict-Transport-Security`` is sent only on requests that came over HTTPS (uvicorn sets the
scheme from ``X-Forwarded-Proto`` for trusted proxies), or on every answer when ``OPENKYC_HSTS``
says so (TLS ended by a proxy that does not forward the scheme): over plain HTTP it is ignored by
browsers and would only mislead.

The middleware wraps the whole stack (:class:`SecuredFastAPI`), Starlette's 500 handler included,
so even an unexpected error's answer carries the headers.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS_VALUE = "max-age=31536000"
NO_STORE = "no-store"

# What the HTML pages may load: this origin's files and nothing from a third party.
_HTML_POLICY = (
    "default-src 'none'; "
    "script-src {scripts}; "
    # Swagger UI and ReDoc set style attributes from their scripts: hashes cannot cover those.
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; "  # Swagger UI's icons are inline SVG data URLs
    "connect-src 'self'; "  # the schema, and Swagger UI's "Try it out" requests
    "worker-src blob:; "  # ReDoc runs its search in a worker made from a blob
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)

_FIXED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def html_policy(page: bytes) -> str:
    """The policy of an HTML page: this origin's scripts and each of the page's inline scripts by hash."""
    digests = {hashlib.sha256(match.group(1)).digest() for match in _INLINE_SCRIPT.finditer(page)}
    hashes = sorted(f"'sha256-{base64.b64encode(digest).decode()}'" for digest in digests)
    return _HTML_POLICY.format(scripts=" ".join([*hashes, "'self'"]))


class SecurityHeadersMiddleware:
    """ASGI middleware adding the headers above to every HTTP response."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hsts = self.hsts or scope.get("scheme") == "https"
        held: Message | None = None  # an HTML answer's start, sent once its whole page is known
        page: list[bytes] = []

        async def send_secured(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                for name, value in _FIXED.items():
                    headers[name] = value
                if "cache-control" not in headers:
                    headers["cache-control"] = NO_STORE
                if hsts:
                    headers["strict-transport-security"] = HSTS_VALUE
                started = {**message, "headers": headers.raw}
                if "content-security-policy" in headers:  # the page chose its own (the portal's)
                    await send(started)
                    return
                if headers.get("content-type", "").lower().startswith("text/html"):
                    held = started
                    return
                headers["content-security-policy"] = JSON_POLICY
                await send({**started, "headers": headers.raw})
                return
            if held is not None and message["type"] == "http.response.body":
                page.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(page)
                headers = MutableHeaders(raw=list(held["headers"]))
                headers["content-security-policy"] = html_policy(body)
                await send({**held, "headers": headers.raw})
                held = None
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, send_secured)


class SecuredFastAPI(FastAPI):
    """A FastAPI app whose whole middleware stack sits inside :class:`SecurityHeadersMiddleware`.

    ``add_middleware`` would put it inside Starlette's ServerErrorMiddleware, whose 500 answers
    then go out without the headers.
    """

    def __init__(self, *, hsts: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.hsts = hsts

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(super().build_middleware_stack(), hsts=self.hsts)
