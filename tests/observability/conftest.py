"""Fixtures of the observability tests: logging configured into a buffer, restored afterwards."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from openkyc.config import Settings
from openkyc.observability.logging import NOISY_LOGGERS, QUIET_LOGGERS, UVICORN_LOGGERS, configure_logging

LogLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state: put the root and uvicorn loggers back."""
    root = logging.getLogger()
    saved_root = (list(root.handlers), root.level)
    saved = {
        name: (list(logging.getLogger(name).handlers), logging.getLogger(name).propagate)
        for name in UVICORN_LOGGERS
    }
    levels = {name: logging.getLogger(name).level for name in (*QUIET_LOGGERS, *NOISY_LOGGERS)}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    for handler in list(root.handlers):
        if handler not in saved_root[0]:
            root.removeHandler(handler)
    root.setLevel(saved_root[1])
    for name, (handlers, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.propagate = propagate
    logging.captureWarnings(False)


@pytest.fixture
def json_log(restore_logging: None) -> LogLines:
    """Logging configured as `openkyc serve` does (JSON); call the fixture for the parsed lines."""
    buffer = io.StringIO()
    configure_logging(Settings(log_format="json", log_level="INFO"), stream=buffer)
    return lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples_of(metrics_text: str) -> Samples:
    """``{(sample name, sorted labels): value}`` of a Prometheus text exposition."""
    from prometheus_client.parser import text_string_to_metric_families

    found: Samples = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def sample(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


# /metrics is served on the API port only with a token (openkyc.observability.metrics).
METRICS_TOKEN = "metrics-scraper-token"


def scrape(client: TestClient) -> httpx.Response:
    """``GET /metrics`` as a Prometheus server configured with the bearer token does."""
    response: httpx.Response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    return response
