"""The API documentation pages, /docs (Swagger UI) and /redoc (ReDoc), served with no third party.

FastAPI's own pages load their code, styles and favicon from a CDN: on the air-gapped servers
openkyc is built for they are blank. Here every file the pages load comes from this server, out of
the ``fastapi-offline`` package (Swagger UI 5 and ReDoc 2, the releases FastAPI's pages name); its
factory is not used, since the app is a :class:`openkyc.security_headers.SecuredFastAPI`. Swagger
UI's validator badge (an image from validator.swagger.io) is switched off and ReDoc's Google fonts
are left out, so the pages make no request off the origin; the security headers' policy for HTML
allows this origin's scripts and styles and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
    swagger_ui_default_parameters,
)
from fastapi.responses import HTMLResponse, Response

from openkyc.api_errors import NOT_FOUND, ApiError

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/docs/assets"
# The files change only with the pinned package: let browsers keep them for a day.
ASSET_CACHE = "public, max-age=86400"


@dataclass(frozen=True)
class Asset:
    file: str  # in fastapi_offline/static
    media_type: str


ASSETS = {
    "swagger-ui-bundle.js": Asset("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    "swagger-ui.css": Asset("swagger-ui.css", "text/css; charset=utf-8"),
    "redoc.standalone.js": Asset("redoc.standalone.js", "text/javascript; charset=utf-8"),
    "favicon.png": Asset("favicon.png", "image/png"),
}

SWAGGER_UI_PARAMETERS: dict[str, Any] = {
    **swagger_ui_default_parameters,
    "validatorUrl": None,  # else Swagger UI sends the whole schema to validator.swagger.io
}


def _asset_bytes(name: str) -> bytes:
    return files("fastapi_offline").joinpath("static", ASSETS[name].file).read_bytes()


def install_docs(app: FastAPI) -> None:
    """Add /docs, /redoc, the OAuth2 redirect page and their assets to an app built with
    ``docs_url=None, redoc_url=None`` (FastAPI's own pages would load from the CDN)."""
    openapi_url = app.openapi_url or "/openapi.json"
    # Read once: four files of the installed package, 2.8 MB in all.
    contents = {name: _asset_bytes(name) for name in ASSETS}

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    @app.get(f"{ASSETS_URL}/{{name}}", include_in_schema=False)
    async def asset(name: str) -> Response:
        found = ASSETS.get(name)
        if found is None:
            raise ApiError(NOT_FOUND)
        return Response(contents[name], media_type=found.media_type, headers={"Cache-Control": ASSET_CACHE})
