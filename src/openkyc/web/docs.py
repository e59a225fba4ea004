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

import json
import re
import threading
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
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool

from openkyc.api_errors import MISSING_PARAMETER, NOT_FOUND, ApiError, error_responses
from openkyc.http import DOCUMENTED_BODIES
from openkyc.v3.contract import document_v3

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


def with_bodies(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the models the routes' request bodies name (``openkyc.http.json_body``) in
    its components (the views read their bodies themselves, so FastAPI does not know the models),
    and FastAPI's 422 answers replaced by what the app answers instead (400, 2213)."""
    operations = [op for path in schema.get("paths", {}).values() for op in path.values()]
    named = {
        ref.rsplit("/", 1)[1]
        for operation in operations
        for content in operation.get("requestBody", {}).get("content", {}).values()
        if isinstance(ref := content.get("schema", {}).get("$ref"), str)
    }
    models = [(DOCUMENTED_BODIES[name], "validation") for name in sorted(named & DOCUMENTED_BODIES.keys())]
    _, found = models_json_schema(models, ref_template=f"{_COMPONENTS}{{model}}")  # type: ignore[arg-type]
    definitions = found.get("$defs", {})
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    # Only what the bodies reach: pydantic also lists the types of fields the schema skips.
    for name in _reachable(named, definitions):
        components.setdefault(name, definitions[name])
    for operation in operations:
        if operation.get("responses", {}).pop("422", None) is not None:
            operation["responses"].setdefault("400", _missing_parameter(components))
    if not any("HTTPValidationError" in json.dumps(op) for op in operations):
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
    return schema


_COMPONENTS = "#/components/schemas/"


def _missing_parameter(components: dict[str, Any]) -> dict[str, Any]:
    """The app's answer to what FastAPI would refuse with 422 (a path or query parameter): 2213."""
    answer = error_responses(MISSING_PARAMETER)[400]
    model = answer.pop("model")
    components.setdefault(model.__name__, model.model_json_schema(ref_template=f"{_COMPONENTS}{{model}}"))
    answer["content"]["application/json"]["schema"] = {"$ref": f"{_COMPONENTS}{model.__name__}"}
    return answer


def _reachable(roots: set[str], definitions: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    pending = [name for name in roots if name in definitions]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for ref in re.findall(rf'"{_COMPONENTS}([^"]+)"', json.dumps(definitions[name])):
            pending.append(ref)
    return seen


def _serve_schema_off_the_loop(app: FastAPI, openapi_url: str) -> None:
    """Replace FastAPI's schema route, which builds the schema (half a second here, seconds on a
    loaded machine) and serialises it (~0.1 s) on the event loop, stalling every other request,
    with one that does both once, in a worker thread, and then answers the same bytes."""
    app.router.routes[:] = [
        route for route in app.router.routes if getattr(route, "path", None) != openapi_url
    ]
    built: list[bytes] = []
    lock = threading.Lock()

    def schema_bytes() -> bytes:
        with lock:  # the first requests wait for one build rather than each making its own
            if not built:
                built.append(bytes(JSONResponse(app.openapi()).body))
            return built[0]

    @app.get(openapi_url, include_in_schema=False)
    async def openapi_json() -> Response:
        return Response(await run_in_threadpool(schema_bytes), media_type="application/json")


def install_docs(app: FastAPI) -> None:
    """Add /docs, /redoc, the OAuth2 redirect page and their assets to an app built with
    ``docs_url=None, redoc_url=None`` (FastAPI's own pages would load from the CDN), and the
    request-body models of the routes to its OpenAPI schema; the V3 routes are documented by Smile
    ID's official spec (openkyc.v3.contract)."""
    openapi_url = app.openapi_url or "/openapi.json"
    build_schema = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_v3(with_bodies(build_schema()))
        return app.openapi_schema or build_schema()

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend it
    _serve_schema_off_the_loop(app, openapi_url)
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
