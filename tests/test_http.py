"""read_json_object: every v1 body goes through the partner-input parser and gets a documented code."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import Request

from openkyc.api_errors import ApiError
from openkyc.http import read_json_object

LIMIT = 1024 * 1024


def _request(body: bytes) -> Request:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"type": "http", "method": "POST", "path": "/v1/upload", "headers": [], "query_string": b""}
    return Request(scope, receive)


def _read(body: bytes) -> dict[str, Any]:
    return asyncio.run(read_json_object(_request(body), LIMIT))


def _refusal(body: bytes) -> ApiError:
    with pytest.raises(ApiError) as caught:
        _read(body)
    return caught.value


def test_a_json_object_is_read_without_a_content_type() -> None:
    assert _read(b'\xef\xbb\xbf{"partner_id": "001", "timestamp": 1732233130123}') == {
        "partner_id": "001",
        "timestamp": 1732233130123,
    }


@pytest.mark.parametrize(
    "body",
    [
        b'{"partner_id": "001", "timestamp": ' + b"1" * 5000 + b"}",
        b'{"partner_params": {"user_id": "u", "n": ' + b"9" * 5000 + b"}}",
        b'{"timestamp": 1e999}',
    ],
    ids=["timestamp", "partner-params", "overflow"],
)
def test_a_huge_json_number_is_refused_not_500(body: bytes) -> None:
    error = _refusal(body)
    assert (error.spec.code, error.http_status) == ("2203", 400)
    assert error.message.startswith("Invalid JSON")


def test_json_nested_100000_deep_is_refused_not_500() -> None:
    error = _refusal(b'{"partner_params": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    assert (error.spec.code, error.http_status) == ("2203", 400)


@pytest.mark.parametrize(
    "field", ["partner_id", "signature", "job_id", "user_id", "callback_url", "timestamp", "extra\\ud800"]
)
@pytest.mark.parametrize("bad", ["\\ud800", "x\\udc00", "10\\u000001"], ids=["high", "low", "nul"])
def test_a_lone_surrogate_or_nul_in_any_body_string_is_2203(field: str, bad: str) -> None:
    body = f'{{"partner_id": "001", "{field}": "{bad}", "partner_params": {{"job_type": 4}}}}'.encode()
    error = _refusal(body)
    assert (error.spec.code, error.http_status) == ("2203", 400)


def test_a_non_object_body_is_2204() -> None:
    assert _refusal(b"[1, 2]").spec.code == "2204"
    assert _refusal(b"   ").spec.code == "2204"
