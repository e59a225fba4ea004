"""The tests' contract check (tests/v3/contract.py): it refuses what the spec does not allow."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.testclient import TestClient

from tests.v3.contract import ContractViolation, assert_conforms, is_spec_operation, spec, watch


def _answer(
    method: str, path: str, status: int, body: Any, content_type: str = "application/json"
) -> httpx.Response:
    request = httpx.Request(method, f"https://openkyc.test{path}")
    content = body if isinstance(body, bytes) else httpx.Response(200, json=body).content
    return httpx.Response(status, content=content, headers={"content-type": content_type}, request=request)


def test_the_vendored_spec_loads_as_it_is() -> None:
    assert spec().spec["info"]["title"] == "Smile ID V3 API"
    assert is_spec_operation("POST", "/v3/token") and is_spec_operation("GET", "/v3/status/job_x")
    assert not is_spec_operation("GET", "/v3/token") and not is_spec_operation("GET", "/v3/nowhere")


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("POST", "/v3/token", 200, {"token": "a.b.c"}),
        (
            "POST",
            "/v3/token",
            401,
            {"status": "Unauthorized", "message": "Invalid authentication credentials."},
        ),
        ("POST", "/v3/token", 429, {"status": "Too Many Requests", "message": "Rate limit exceeded."}),
        ("GET", "/v3/nowhere", 404, {"status": "Not Found", "message": "Not Found"}),
        ("GET", "/v1/anything", 500, b"not ours to check"),
    ],
)
def test_allowed_answers_pass(method: str, path: str, status: int, body: Any) -> None:
    assert_conforms(_answer(method, path, status, body))


@pytest.mark.parametrize(
    ("answer", "complaint"),
    [
        (_answer("POST", "/v3/token", 200, {"token": 5}), "InvalidData"),
        (_answer("POST", "/v3/token", 418, {"status": "I'm a teapot", "message": "no"}), "ResponseNotFound"),
        (_answer("POST", "/v3/token", 200, b"a.b.c", "text/plain"), "MediaTypeNotFound"),
        (_answer("POST", "/v3/token", 401, {"error": "Unauthorized"}), "message"),
        (_answer("POST", "/v3/token", 429, {"error": "slow down"}), "ApiErrorResponse.status"),
        (_answer("POST", "/v3/token", 429, b"slow down", "text/plain"), "not application/json"),
        (
            _answer("GET", "/v3/status/job_01h2xcejqtf2nbrexx3vqjhp41", 200, {"job_id": "j"}),
            "'status' is a required property",
        ),
    ],
)
def test_what_the_spec_does_not_allow_fails(answer: httpx.Response, complaint: str) -> None:
    with pytest.raises(ContractViolation, match=complaint):
        assert_conforms(answer)


def test_a_watched_client_fails_at_the_call_that_got_the_bad_answer() -> None:
    app = FastAPI()

    @app.post("/v3/token")
    async def token() -> PlainTextResponse:
        return PlainTextResponse("not json")

    @app.get("/v3/services/bank_codes")
    async def bank_codes() -> JSONResponse:
        return JSONResponse({"bank_codes": [{"code": "044", "country": "NG", "name": "Access Bank"}]})

    with TestClient(app) as client:
        watched = watch(watch(client))
        assert watched.event_hooks["response"].count(assert_conforms) == 1
        assert watched.get("/v3/services/bank_codes").status_code == 200
        with pytest.raises(ContractViolation, match=r"POST /v3/token -> 200 breaks the V3 spec"):
            watched.post("/v3/token")


def test_every_v3_tests_client_checks_its_answers(client: TestClient) -> None:
    """tests/v3/conftest.py's autouse ``conforming``: no V3 test's client goes unchecked."""
    assert client.event_hooks["response"].count(assert_conforms) == 1
