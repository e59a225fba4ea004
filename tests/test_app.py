"""create_app's error handling: an unexpected exception is one log line, a JSON 2201 and nothing more."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic_core import PydanticSerializationError
from starlette.types import ASGIApp, Receive, Scope, Send

from openkyc.app import create_app
from openkyc.observability.redaction import redact
from openkyc.runtime import Runtime
from tests.live_server import served_in_thread

SYSTEM_ERROR = {"code": "2201", "error": "System Error", "success": False}


def _failing_app(runtime: Runtime) -> FastAPI:
    app = create_app(runtime)

    async def boom() -> None:
        raise PydanticSerializationError("Unable to serialize unknown type: <class 'object'>")

    app.add_api_route("/boom", boom)
    return app


def _local_port(response: httpx.Response) -> int:
    port: int = response.extensions["network_stream"].get_extra_info("client_addr")[1]
    return port


def _error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_a_500_on_a_keep_alive_connection_is_logged_once_and_the_next_request_succeeds(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    # Starlette's 500 handler re-raised to uvicorn, which logged the error again and closed the
    # connection: the client's next request on it was reset (8 times in 10).
    caplog.set_level(logging.INFO)
    with served_in_thread(_failing_app(runtime)) as base, httpx.Client(base_url=base, timeout=10) as client:
        for _ in range(10):
            failed = client.get("/boom")
            assert failed.status_code == 500 and failed.json() == SYSTEM_ERROR
            assert failed.headers.get("connection", "").lower() != "close"
            following = client.get("/health")
            assert following.status_code == 200
            assert _local_port(following) == _local_port(failed), "the connection was not kept"
    errors = _error_records(caplog)
    assert len(errors) == 10, [record.getMessage() for record in errors]
    assert all(record.name == "openkyc.app" for record in errors)
    assert redact(errors[0].getMessage()) == "unhandled PydanticSerializationError on GET /boom"


def test_an_unexpected_error_passes_through_the_middleware_as_an_ordinary_2201(runtime: Runtime) -> None:
    # raise_server_exceptions stays on: nothing reaches the server, so nothing is raised here.
    with TestClient(_failing_app(runtime)) as client:
        response = client.get("/boom")
    assert response.status_code == 500 and response.json() == SYSTEM_ERROR
    assert response.headers["x-request-id"]  # the request-id middleware saw the answer


class _BrokenMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/health":
            raise RuntimeError("a middleware bug")
        await self.app(scope, receive, send)


def test_an_error_in_a_middleware_still_gets_the_json_2201_and_one_openkyc_log_line(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(runtime)
    app.add_middleware(_BrokenMiddleware)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/health")
    assert response.status_code == 500 and response.json() == SYSTEM_ERROR
    ours = [record for record in _error_records(caplog) if record.name == "openkyc.app"]
    assert [record.getMessage() for record in ours] == [
        "unhandled RuntimeError on GET unmatched"
    ]  # before routing
