"""create_app: the FastAPI application, its routers and the error handlers.

Every failure is a JSON body with a documented code: partner mistakes get their 2xxx code and
HTTP 4xx; anything unexpected is logged (without the request body) and answered 2201.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openkyc import __version__
from openkyc.api_errors import (
    METHOD_NOT_ALLOWED,
    MISSING_PARAMETER,
    NOT_FOUND,
    SYSTEM_ERROR,
    ApiError,
)
from openkyc.jobs.metrics import DatabaseCollector
from openkyc.jobs.v2_views import router as v2_jobs_router
from openkyc.jobs.views import router as jobs_router
from openkyc.links.api import router as smile_links_router
from openkyc.links.capture import router as capture_router
from openkyc.links.views import router as links_router
from openkyc.management.views import router as management_router
from openkyc.observability import outage
from openkyc.observability.context import with_job_context
from openkyc.observability.health import router as health_router
from openkyc.observability.http_metrics import route_template
from openkyc.observability.metrics import install_metrics
from openkyc.observability.request_id import RequestIdMiddleware
from openkyc.portal import routes as portal_routes
from openkyc.ratelimit.views import router as ratelimit_router
from openkyc.receipts.views import router as receipts_router
from openkyc.runtime import Runtime
from openkyc.security_headers import SecuredFastAPI
from openkyc.services.views import router as services_router
from openkyc.signing import KSig1Error, SidRequestError
from openkyc.tasks.inprocess import WorkerPool
from openkyc.v3 import errors as v3_errors
from openkyc.v3.routes import ROUTERS as V3_ROUTERS
from openkyc.web.aml import router as aml_router
from openkyc.web.business import router as business_router
from openkyc.web.docs import install_docs
from openkyc.web.id_verification import router as id_verification_router
from openkyc.web.landing import router as landing_router
from openkyc.web.postman import router as postman_router

log = logging.getLogger(__name__)


def create_app(runtime: Runtime, *, process_job: Callable[[Runtime, str], None] | None = None) -> FastAPI:
    """The API; with ``process_job`` it also runs the in-process workers for its lifetime."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Each job's log lines carry its smile_job_id.
        pool = WorkerPool(runtime, with_job_context(process_job)) if process_job is not None else None
        if pool is not None:
            pool.start()
        try:
            yield
        finally:
            if pool is not None:
                pool.stop()

    app = SecuredFastAPI(
        hsts=runtime.settings.hsts,
        title="openkyc",
        version=__version__,
        description="Self-hostable identity verification, wire-compatible with the Smile ID API.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load from a CDN: install_docs serves them from the package
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.include_router(jobs_router)
    app.include_router(v2_jobs_router)
    app.include_router(management_router)
    app.include_router(services_router)
    app.include_router(ratelimit_router)
    app.include_router(links_router)
    app.include_router(smile_links_router)
    app.include_router(capture_router)
    app.include_router(receipts_router)
    app.include_router(aml_router)
    app.include_router(id_verification_router)
    app.include_router(business_router)
    app.include_router(health_router)
    app.include_router(landing_router)
    for v3_router in V3_ROUTERS:
        app.include_router(v3_router)
    portal_routes.include(app.router)
    app.include_router(postman_router)
    install_docs(app)
    install_metrics(
        app,
        token=runtime.settings.metrics_token.get_secret_value(),
        collectors=[DatabaseCollector(runtime.engine)],
    )
    app.add_middleware(RequestIdMiddleware)  # added last: outermost, so every line has the id
    _install_error_handlers(app)

    @app.get("/health", tags=["meta"])
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


def _json(status: int, body: Mapping[str, Any]) -> JSONResponse:
    return JSONResponse(status_code=status, content=body)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        if v3_errors.is_v3(request.scope):
            return v3_errors.from_api_error(error).response()
        return _json(error.http_status, error.body())

    @app.exception_handler(v3_errors.V3Error)
    async def v3_error(_: Request, error: v3_errors.V3Error) -> JSONResponse:
        return error.response()

    @app.exception_handler(SidRequestError)
    async def signature_error(_: Request, error: SidRequestError) -> JSONResponse:
        return _json(error.http_status, {**error.body(), "success": False})

    @app.exception_handler(KSig1Error)
    async def management_auth_error(_: Request, error: KSig1Error) -> JSONResponse:
        return _json(error.http_status, error.body())

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        fields = sorted({".".join(str(p) for p in e.get("loc", ())[1:]) for e in error.errors()})
        if v3_errors.is_v3(request.scope):
            return v3_errors.V3Error(400, f"Missing or invalid parameter(s): {', '.join(fields)}").response()
        return _json(
            400, ApiError(MISSING_PARAMETER, f"Missing or invalid parameter(s): {', '.join(fields)}").body()
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if v3_errors.is_v3(request.scope):
            return v3_errors.V3Error(error.status_code, str(error.detail)).response()
        spec = {404: NOT_FOUND, 405: METHOD_NOT_ALLOWED}.get(error.status_code)
        if spec is not None:
            return _json(spec.http_status, ApiError(spec).body())
        return _json(
            error.status_code, {"code": str(error.status_code), "error": str(error.detail), "success": False}
        )

    @app.exception_handler(SQLAlchemyError)
    async def database_error(request: Request, error: SQLAlchemyError) -> JSONResponse:
        if not outage.is_database_outage(error):
            raise error  # the 500 handler below answers it
        log.warning(
            "database unavailable (%s) on %s %s",
            outage.describe(error),
            request.method,
            route_template(request.scope),
        )
        if v3_errors.is_v3(request.scope):
            return v3_errors.V3Error(
                503,
                "Service temporarily unavailable. Please try again later.",
                headers={"Retry-After": str(outage.RETRY_AFTER_S)},
            ).response()
        return outage.service_unavailable()

    # Innermost, next to the routes: every user middleware (request id, metrics) sees the 2201
    # answer as an ordinary response. Appended, since add_middleware would put it outermost.
    app.user_middleware.append(Middleware(UnexpectedErrorMiddleware))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # Last resort, for an exception raised by a middleware itself: Starlette's
        # ServerErrorMiddleware calls this, sends the answer and then re-raises to the server.
        if not request.scope.get(_LOGGED):
            _log_unexpected(request.scope, error)
        return _system_error(request.scope)


def _system_error(scope: Scope) -> JSONResponse:
    """The 500 answer: 2201, or the V3 API's own envelope under /v3/."""
    if v3_errors.is_v3(scope):
        return v3_errors.V3Error(500, v3_errors.UNEXPECTED).response()
    return _json(500, ApiError(SYSTEM_ERROR).body())


# Set in the request's scope once its exception is logged, so that it is logged only once.
_LOGGED = "openkyc.unexpected_error_logged"


def _log_unexpected(scope: Scope, error: Exception) -> None:
    # Log the route template and error type only: bodies carry images and PII, and raw paths
    # carry upload capabilities.
    log.error(
        "unhandled %s on %s %s",
        type(error).__name__,
        scope.get("method", ""),
        route_template(scope),
        exc_info=error,
    )


class UnexpectedErrorMiddleware:
    """Answers an exception no handler took with the JSON 2201 body, logged once, and returns.

    Starlette's ServerErrorMiddleware also answers it, but then re-raises so that the server can
    log it: uvicorn logs it a second time and, the response having started, closes the keep-alive
    connection under the client's next request (a reset). Handled here, the exception never
    reaches the server. Only an exception after the response started is re-raised: half an answer
    is gone, and closing the connection is the only way left to tell the client.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            _log_unexpected(scope, error)
            scope[_LOGGED] = True
            if started:
                raise
            await _system_error(scope)(scope, receive, send)
