"""GET /: a small page for a person who opens the server's address, a JSON index for a client.

A browser gets server-rendered HTML naming the server and its version and linking the API
documentation and the health check; a client asking for ``application/json`` (and not HTML) gets
the same links as JSON, the partner portal's among them. No script, no third-party file: the security headers' HTML policy applies.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from openkyc import __version__
from openkyc.web.docs import DOCS_URL, REDOC_URL

router = APIRouter(tags=["meta"])

HEALTH_URL = "/health"
OPENAPI_URL = "/openapi.json"
# The portal's address (openkyc.portal.pages.PREFIX; not imported, as the portal imports this
# module for wants_json). tests/web/test_landing.py follows the link to its sign-in page.
PORTAL_URL = "/portal/"

LINKS = (
    (PORTAL_URL, "Partner portal: jobs and their evidence, the review queue, keys and callbacks, your team"),
    (DOCS_URL, "API documentation (Swagger UI): every endpoint, its body and its answers"),
    (REDOC_URL, "API documentation (ReDoc): the same, as one page"),
    (OPENAPI_URL, "The OpenAPI schema, for code generators"),
    (HEALTH_URL, "Health check: the server's status and version"),
)

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>openkyc {version}</title>
<style>
  body {{ font-family: system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; padding: 0 1rem;
         line-height: 1.5; color: #1b1b1b; }}
  code {{ background: #f2f2f2; padding: 0 .25rem; }}
</style>
</head>
<body>
<h1>openkyc</h1>
<p>Self-hostable identity verification, wire-compatible with the Smile ID API.
Server version <code>{version}</code>.</p>
<ul>
{links}
</ul>
<p>A first portal member is added on the server with
<code>openkyc portal add-user --partner-id ID --email E --role owner</code>.</p>
</body>
</html>
"""


def landing_html(root_path: str = "") -> str:
    """The page, its links under the app's root path (behind a proxy's prefix)."""
    items = "\n".join(
        f'<li><a href="{escape(root_path + url)}">{escape(url)}</a>: {escape(text)}</li>'
        for url, text in LINKS
    )
    return _PAGE.format(version=escape(__version__), links=items)


def wants_json(accept: str) -> bool:
    """True when the client named JSON and did not name HTML (a browser names HTML)."""
    types = {part.split(";", 1)[0].strip().lower() for part in accept.split(",")}
    return "application/json" in types and "text/html" not in types


@router.get("/", include_in_schema=False)
async def landing(request: Request) -> Response:
    root = request.scope.get("root_path", "")
    if wants_json(request.headers.get("accept", "")):
        return JSONResponse(
            {
                "name": "openkyc",
                "version": __version__,
                "links": {url.strip("/").replace(".json", ""): root + url for url, _ in LINKS},
            }
        )
    return HTMLResponse(landing_html(root))
