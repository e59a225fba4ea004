from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openkyc.config import Settings
from openkyc.crypto import SecretBox, load_secret_box
from openkyc.storage import S3BlobStore, make_s3_client
from testkit.s3 import REGION, TEST_ENVIRONMENT, start_s3_server

BUCKET = "openkyc-test"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible server on loopback, shared by the session (tests use distinct prefixes)."""
    endpoint, stop = start_s3_server(buckets=[BUCKET])
    yield endpoint
    stop()


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def box(tmp_path: Path) -> SecretBox:
    return load_secret_box(Settings(data_dir=tmp_path))


@pytest.fixture
def s3_client(s3_endpoint: str, aws_environment: None) -> Any:
    return make_s3_client(s3_endpoint, REGION)


@pytest.fixture
def s3_store(s3_client: Any, box: SecretBox) -> S3BlobStore:
    return S3BlobStore(BUCKET, f"t-{uuid.uuid4().hex}", box, s3_client)
