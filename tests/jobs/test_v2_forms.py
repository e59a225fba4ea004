"""Reading a v2 request's parts: partner_params through the partner-input parser, text parts checked."""

from __future__ import annotations

import asyncio
import io

import pytest
from starlette.datastructures import FormData, Headers, UploadFile

from openkyc.api_errors import ApiError
from openkyc.jobs.v2_forms import SmartSelfieSubmission, read_submission


def _form(**text: str) -> FormData:
    selfie = UploadFile(io.BytesIO(b"not decoded yet"), filename="selfie.jpg", headers=Headers())
    return FormData([("selfie_image", selfie), *text.items()])


def _read(**text: str) -> SmartSelfieSubmission:
    return asyncio.run(read_submission(_form(**text), compare=False))


def _refusal(**text: str) -> ApiError:
    with pytest.raises(ApiError) as caught:
        _read(**text)
    return caught.value


def test_text_parts_and_partner_params_are_read() -> None:
    submission = _read(user_id='"user-1"', partner_params='{"job_id": "j", "attempt": 2}')
    assert submission.user_id == "user-1"
    assert submission.partner_params == {"job_id": "j", "attempt": 2}


@pytest.mark.parametrize(
    "partner_params",
    [
        '{"job_id": "j", "n": ' + "9" * 5000 + "}",
        '{"job_id": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"job_id": "j", "extra": "\\ud800"}',
        '{"job_id": "j", "\\udc00": "key"}',
        '{"job_id": "j\\u0000"}',
    ],
    ids=["huge-number", "deep", "surrogate-value", "surrogate-key", "nul"],
)
def test_unparseable_partner_params_are_2203_not_500(partner_params: str) -> None:
    error = _refusal(partner_params=partner_params)
    assert (error.spec.code, error.http_status) == ("2203", 400)
    assert error.message.startswith("partner_params is not valid JSON")


@pytest.mark.parametrize("name", ["user_id", "callback_url", "sandbox_result"])
@pytest.mark.parametrize(
    "value",
    ["user\x001", '"user\\u00001"', '"\\ud800"', '"x\\udfff"'],
    ids=["nul", "json-nul", "high", "low"],
)
def test_a_nul_or_lone_surrogate_in_a_text_part_is_2413(name: str, value: str) -> None:
    # A JSON string literal (Retrofit's encoding of a String part) can carry either escaped.
    error = _refusal(**{name: value})
    assert (error.spec.code, error.http_status) == ("2413", 400)
    assert name in error.message
