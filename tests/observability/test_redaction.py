"""The redaction patterns: secrets and PII-looking text go, our own job ids and plain words stay."""

from __future__ import annotations

import base64
import logging
import secrets
import uuid
from typing import Any

import pytest

from openkyc.observability.context import bind_job
from openkyc.observability.redaction import RedactionFilter, redact


@pytest.mark.parametrize(
    "secret",
    [
        str(uuid.uuid4()),  # API keys are UUIDs
        secrets.token_urlsafe(32),  # upload and link tokens
        base64.b64encode(secrets.token_bytes(32)).decode(),  # signatures
        "12345678901",  # an 11-digit NIN / BVN
        "A12345678",  # passport number digits
        "1990-05-17",  # a date of birth
        "17/05/1990",
        "jane.doe+kyc@example.co.uk",
    ],
    # Named by kind: random values as test ids differ between runs (and between xdist workers).
    ids=["api-key", "token", "signature", "nin", "passport", "dob-iso", "dob-dmy", "email"],
)
def test_secrets_and_pii_are_scrubbed(secret: str) -> None:
    assert secret.lstrip("A") not in redact(f"value was {secret} here")


@pytest.mark.parametrize(
    "make",
    [
        lambda: str(uuid.uuid4()),
        lambda: secrets.token_urlsafe(32),
        lambda: secrets.token_hex(16),
        lambda: base64.b64encode(secrets.token_bytes(32)).decode(),  # HMAC-SHA256 signatures
    ],
)
def test_random_secrets_never_slip_through(make: Any) -> None:
    for _ in range(2000):
        secret = make()
        assert secret not in redact(f"a={secret}; b {secret},")


def test_images_are_scrubbed() -> None:
    image = base64.b64encode(secrets.token_bytes(3000)).decode()
    assert redact(f"selfie {image} end") == "selfie [redacted:base64] end"
    assert redact(f"data:image/jpeg;base64,{image}") == "[redacted:data-uri]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sec_key=abc|def", "sec_key=[redacted]"),
        ('{"signature": "c2lnbg=="}', '{"signature": "[redacted]"}'),
        ("api_key: k-1 then", "api_key: [redacted] then"),
        ("Authorization: Bearer tok.en", "Authorization: [redacted]"),
        ("postgresql://openkyc:hunter2@db:5432/kyc", "postgresql://openkyc:[redacted]@db:5432/kyc"),
        (
            "[SQL: INSERT INTO t VALUES (?)]\n[parameters: ('Jane Doe',)]",
            "[SQL: INSERT INTO t VALUES (?)]\n[parameters: redacted]",
        ),
    ],
)
def test_secret_fields_keep_their_names(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "job 0123456789: payload refused (0903)",  # our own messages name jobs this way
        "requeued 3 job(s) after 0.1234567891 s",  # decimals of a duration
        "ix_callback_deliveries_next_attempt_at in _verify_and_publish",  # snake_case names survive
        'File "/work/main/.venv/lib/python3.11/site-packages/sqlalchemy/engine/base.py", line 1967',
        "retry at 2024-05-01T10:00:00Z or 2024-05-01 10:00:00",  # timestamps are not birth dates
        "Uvicorn running on http://127.0.0.1:8080 (Press CTRL+C to quit)",
    ],
)
def test_ordinary_text_survives(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "name",
    ["PydanticSerializationError", "ResponseValidationErrorException", "HTTPXConnectionTimeoutError"],
)
def test_exception_class_names_are_not_redacted_as_tokens(name: str) -> None:
    line = f"unhandled {name} on GET /v1/job_status"
    assert redact(line) == line
    assert (
        redact(f"pydantic_core._pydantic_core.{name}: boom") == f"pydantic_core._pydantic_core.{name}: boom"
    )


def test_a_token_that_ends_like_an_exception_name_but_has_digits_is_still_redacted() -> None:
    token = secrets.token_urlsafe(24) + "9Error"
    assert token not in redact(f"value {token} here")


def test_kept_strings_survive() -> None:
    assert redact("job id 1234567890 and 98765432101", keep=["1234567890"]) == (
        "job id 1234567890 and [redacted:number]"
    )


def _record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("t", logging.ERROR, __file__, 1, message, args, exc_info)


def test_filter_scrubs_arguments_and_tracebacks_and_keeps_the_bound_job() -> None:
    try:
        raise ValueError("ID number 22233344455 rejected")
    except ValueError as error:
        record = _record("job %s for %s", "7777777777", "jane@example.com", exc=error)
    with bind_job("7777777777"):
        assert RedactionFilter().filter(record)
    assert record.getMessage() == "job 7777777777 for [redacted:email]"
    assert record.exc_text is not None and "ValueError" in record.exc_text
    assert "22233344455" not in record.exc_text


def test_filter_survives_a_bad_format_string() -> None:
    record = _record("%d items", "not a number 12345678")
    assert RedactionFilter().filter(record)
    assert "12345678" not in record.getMessage()
