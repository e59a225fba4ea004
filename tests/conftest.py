"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# The shared test data lives beside the checkout (CI clones with ../shared next to it).
TESTDATA = REPO_ROOT.parent / "shared" / "testdata"


@pytest.fixture(scope="session")
def testdata_dir() -> Path:
    if not TESTDATA.is_dir():
        pytest.fail(f"shared test data not found at {TESTDATA}")
    return TESTDATA


@pytest.fixture(scope="session")
def faces_dir(testdata_dir: Path) -> Path:
    return testdata_dir / "faces"


@pytest.fixture(scope="session")
def docs_dir(testdata_dir: Path) -> Path:
    return testdata_dir / "docs"
