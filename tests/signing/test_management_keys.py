from __future__ import annotations

import base64
import re
from datetime import UTC, datetime

import pytest

from openkyc.signing.environment import Environment
from openkyc.signing.ksig1 import sign_ksig1, verify_ksig1
from openkyc.signing.management_keys import ManagementKey, generate_management_key


@pytest.mark.parametrize(
    ("environment", "prefix"), [(Environment.SANDBOX, "sb_"), (Environment.PRODUCTION, "lv_")]
)
def test_generated_credentials_have_the_published_shape(environment: Environment, prefix: str) -> None:
    key = generate_management_key("001", environment)
    assert re.fullmatch(prefix + r"[A-Za-z0-9]{22}", key.api_key)
    assert len(base64.b64decode(key.secret_key, validate=True)) == 33
    assert len(key.secret_key) == 44
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key.auth_token)
    assert key.partner_id == "001"
    assert not key.revoked
    assert key.environment == environment


def test_generated_credentials_are_unique() -> None:
    keys = [generate_management_key("001", Environment.SANDBOX) for _ in range(20)]
    for attribute in ("api_key", "secret_key", "auth_token"):
        assert len({getattr(key, attribute) for key in keys}) == 20


def test_generated_credentials_sign_and_verify() -> None:
    key = generate_management_key("001", Environment.PRODUCTION)
    headers = sign_ksig1(key.api_key, key.secret_key, key.auth_token, method="POST", path_and_query="/x")
    assert verify_ksig1("POST", "/x", headers, b"", {key.api_key: key}.get, datetime.now(UTC)) is key


def test_repr_hides_the_secret_and_the_token() -> None:
    key = generate_management_key("001", Environment.SANDBOX)
    assert key.secret_key not in repr(key)
    assert key.auth_token not in repr(key)
    assert key.api_key in repr(key)


def test_a_stored_secret_that_is_not_base64_is_a_server_error() -> None:
    key = ManagementKey("sb_x", "not base64!", "t", revoked=False, partner_id="001")
    with pytest.raises(ValueError, match="base64"):
        key.secret_bytes()
