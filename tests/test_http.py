"""read_json_object: every v1 body goes through the partner-input parser and gets a documented code;
validate_body: a body model's refusals are documented codes, never pydantic's or FastAPI's."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import Request
from pydantic import BaseModel, Field, model_validator

from openkyc.api_errors import INVALID_PRODUCT, ApiError
from openkyc.http import DOCUMENTED_BODIES, SignedBody, json_body, read_json_object, validate_body

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


class _Sample(SignedBody):
    name: str
    count: int = Field(default=0, le=10)


class _Checked(SignedBody):
    product: str

    @model_validator(mode="before")
    @classmethod
    def _documented(cls, body: Any) -> Any:
        if body.get("product") != "smartselfie":
            raise ApiError(INVALID_PRODUCT)
        return {"product": body["product"]}


def test_a_validators_documented_error_is_answered_as_is() -> None:
    with pytest.raises(ApiError) as refused:
        validate_body(_Checked, {"product": "nope"})
    assert refused.value.body() == {"code": "2217", "error": "Invalid product.", "success": False}
    assert validate_body(_Checked, {"product": "smartselfie", "signature": "s"}).product == "smartselfie"


def test_what_pydantic_refuses_is_2213_when_missing_and_2204_otherwise() -> None:
    with pytest.raises(ApiError) as missing:
        validate_body(_Sample, {"partner_id": "1"})
    assert missing.value.spec.code == "2213" and missing.value.message == "name is required"
    with pytest.raises(ApiError) as wrong:
        validate_body(_Sample, {"name": "n", "count": 11})
    assert wrong.value.spec.code == "2204" and "count" in wrong.value.message
    # Other keys (credentials, the SDKs' own) are ignored, never refused.
    assert validate_body(_Sample, {"name": "n", "source_sdk": "rest_api", "x": [1]}).name == "n"


def test_signed_bodies_document_their_credentials() -> None:
    properties = _Sample.model_json_schema()["properties"]
    assert {"partner_id", "timestamp", "signature", "name", "count"} <= properties.keys()


def test_json_body_names_the_model_and_refuses_two_of_one_name() -> None:
    extra = json_body(_Sample)
    assert extra["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/_Sample"
    }
    assert DOCUMENTED_BODIES["_Sample"] is _Sample
    assert json_body(_Sample) == extra  # declaring it on a second route is fine

    class _Other(BaseModel):
        pass

    _Other.__name__ = "_Sample"
    with pytest.raises(ValueError, match="two request models"):
        json_body(_Other)
