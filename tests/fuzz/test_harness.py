"""The fuzz oracle itself: what it lets through and what it flags (so the harness can fail)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.fuzz.harness import DOCUMENTED_CODES, KSIG1_CODES, problem_with, v3_problem

SECURE = {"x-content-type-options": "nosniff"}


def answer(
    status: int, body: Any = None, *, method: str = "POST", headers: dict[str, str] | None = None
) -> httpx.Response:
    content = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    kind = {"content-type": "application/json"} if body is not None and not isinstance(body, bytes) else {}
    return httpx.Response(
        status,
        content=content,
        headers={**SECURE, **kind, **(headers or {})},
        request=httpx.Request(method, "http://127.0.0.1/v1/upload"),
    )


def test_documented_codes_are_collected_from_the_code() -> None:
    assert {
        "2201",
        "2203",
        "2204",
        "2205",
        "2213",
        "2413",
        "2404",
        "2405",
        "0001",
        "2314",
    } <= DOCUMENTED_CODES
    assert {"AUTH_INVALID_HEADER", "AUTH_SIGNATURE_MISMATCH"} <= KSIG1_CODES


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (answer(500, {"code": "2201", "error": "System Error", "success": False}), "HTTP 500"),
        (answer(503, {"code": "2201"}), "HTTP 503"),
        (answer(400, {"code": "9999", "error": "?"}), "undocumented code '9999'"),
        (answer(400, {"error": "no code"}), "undocumented code None"),
        (answer(400, ["not", "an", "object"]), "error body is not a JSON object"),
        (
            answer(401, {"errors": [{"code": "AUTH_NOPE", "message": "?"}]}),
            "undocumented management code 'AUTH_NOPE'",
        ),
        (answer(400, b"plain text", headers={"content-type": "text/plain"}), "content-type 'text/plain'"),
        (answer(200, b"{", headers={"content-type": "application/json"}), "body is not JSON"),
        (
            httpx.Response(400, json={"code": "2213"}, request=httpx.Request("POST", "http://h/")),
            "no security headers",
        ),
    ],
)
def test_violations_are_flagged(response: httpx.Response, expected: str) -> None:
    assert problem_with(response) == expected


@pytest.mark.parametrize(
    ("response", "expect"),
    [
        (answer(400, {"code": "2213", "error": "x", "success": False}), "json"),
        (answer(401, {"errors": [{"code": "AUTH_SIGNATURE_MISMATCH", "message": "x"}]}), "json"),
        (answer(200, {"upload_url": "u", "code": "2202"}), "json"),
        (answer(200), "json_or_empty"),
        (answer(200, b"\xff\xd8\xff", headers={"content-type": "image/jpeg"}), "json_or_image"),
        (answer(405, method="HEAD"), "json"),
        (answer(307, headers={"location": "http://127.0.0.1/v1/upload"}), "json"),
    ],
)
def test_good_answers_pass(response: httpx.Response, expect: Any) -> None:
    assert problem_with(response, expect) is None


def test_an_empty_success_is_flagged_where_json_is_expected() -> None:
    assert problem_with(answer(200), "json") == "content-type None"


def test_a_redirect_elsewhere_is_flagged() -> None:
    assert problem_with(answer(307, headers={"location": "https://evil.example/"})) == "content-type None"


@pytest.mark.parametrize(
    ("status", "body", "problem"),
    [
        (401, {"status": "Unauthorized", "message": "Invalid token"}, None),
        (413, {"status": "payload_too_large", "message": "m", "job_id": None, "user_id": None}, None),
        (400, {"error": "Country Code must be...", "code": "2413"}, None),
        (400, {"status": "Unauthorized", "message": "m"}, "V3 error status 'Unauthorized' for HTTP 400"),
        (400, {"code": "2413", "error": "m", "success": False}, "V3 error body without status and message"),
    ],
)
def test_v3_errors_are_held_to_the_v3_envelopes(
    status: int, body: dict[str, Any], problem: str | None
) -> None:
    found = v3_problem(status, body)
    assert found == problem if problem is None else found is not None and found.startswith(problem)
