"""Retention tests run on an installation that keeps images and PII for 30 days."""

from __future__ import annotations

from pathlib import Path

import pytest

from openkyc.runtime import Runtime
from tests.server import make_runtime

RETENTION_DAYS = 30


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    return make_runtime(tmp_path, retention_days=RETENTION_DAYS)
