"""Settings: the metrics listener's address."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from openkyc.config import Settings, parse_bind


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9100", ("127.0.0.1", 9100)),
        ("127.0.0.1:9100", ("127.0.0.1", 9100)),
        ("0.0.0.0:9100", ("0.0.0.0", 9100)),
        ("[::1]:9100", ("::1", 9100)),
        ("metrics.internal:9100", ("metrics.internal", 9100)),
    ],
)
def test_metrics_bind_forms(value: str, expected: tuple[str, int]) -> None:
    assert parse_bind(value) == expected
    assert Settings(metrics_bind=value).metrics_listen == expected


@pytest.mark.parametrize("value", ["::1:9100", ":9100", "host:0", "host:65536", "host:x", "host:"])
def test_a_malformed_metrics_bind_is_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_bind(value)
    with pytest.raises(ValidationError):
        Settings(metrics_bind=value)


def test_no_metrics_listener_and_no_token_by_default() -> None:
    settings = Settings()
    assert settings.metrics_listen is None
    assert settings.metrics_token.get_secret_value() == ""
    assert "s3cret" not in repr(Settings(metrics_token="s3cret"))
