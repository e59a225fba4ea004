"""configure_logging: JSON lines with the bound ids, text alternative, uvicorn routed through it."""

from __future__ import annotations

import io
import logging
import threading
import uuid

import pytest
from fastapi.testclient import TestClient

from openkyc.app import create_app
from openkyc.config import Settings
from openkyc.observability.context import bind_job, bind_partner, current_job, with_job_context
from openkyc.observability.logging import configure_logging, parse_level
from openkyc.runtime import Runtime
from tests.observability.conftest import LogLines


def test_json_lines_carry_the_bound_job(json_log: LogLines) -> None:
    log = logging.getLogger("openkyc.test")
    log.info("outside")
    with bind_job("0000000042"), bind_partner("1001"):
        log.warning("verifying %s", "job 0000000042")
    outside, inside = json_log()
    assert outside["message"] == "outside" and "smile_job_id" not in outside
    assert inside["smile_job_id"] == "0000000042" and inside["partner_id"] == "1001"
    assert inside["level"] == "WARNING" and inside["logger"] == "openkyc.test"
    assert inside["message"] == "verifying job 0000000042"
    assert inside["ts"].endswith("+00:00") and inside["thread"] == threading.current_thread().name


def test_each_thread_has_its_own_job(json_log: LogLines) -> None:
    log = logging.getLogger("openkyc.test")

    def work(smile_job_id: str) -> None:
        with bind_job(smile_job_id):
            log.info("working")

    threads = [threading.Thread(target=work, args=(f"{n:010d}",)) for n in range(1, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(line["smile_job_id"] for line in json_log()) == ["0000000001", "0000000002", "0000000003"]


def test_with_job_context_binds_for_the_call() -> None:
    seen: list[str | None] = []
    with_job_context(lambda runtime, job: seen.append(current_job()))(object(), "0000000007")
    assert seen == ["0000000007"] and current_job() is None


def test_exceptions_are_one_line_and_redacted(json_log: LogLines) -> None:
    try:
        raise RuntimeError("authority said 12345678901 is unknown")
    except RuntimeError:
        logging.getLogger("openkyc.test").exception("look-up failed")
    (line,) = json_log()
    assert "RuntimeError" in line["exception"] and "12345678901" not in line["exception"]


def test_text_format(restore_logging: None) -> None:
    buffer = io.StringIO()
    configure_logging(Settings(log_format="text", log_level="debug"), stream=buffer)
    with bind_job("0000000009"):
        logging.getLogger("openkyc.test").debug("hello %s", "jane@example.com")
    output = buffer.getvalue()
    assert "DEBUG openkyc.test [smile_job_id=0000000009]: hello [redacted:email]" in output


def test_reconfiguring_replaces_the_handler(restore_logging: None) -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging(Settings(), stream=first)
    configure_logging(Settings(), stream=second)
    logging.getLogger("openkyc.test").info("once")
    assert first.getvalue() == "" and second.getvalue().count("once") == 1


def test_uvicorn_and_warnings_go_through_the_handler(json_log: LogLines) -> None:
    logging.getLogger("uvicorn.error").handlers.append(logging.NullHandler())
    configure_logging(Settings())  # clears uvicorn's own handlers again, re-adds ours (to stderr)
    assert logging.getLogger("uvicorn.error").handlers == []
    assert logging.getLogger("uvicorn.error").propagate is True
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING


def test_unknown_level_is_refused() -> None:
    assert parse_level("warning") == logging.WARNING
    with pytest.raises(ValueError, match="unknown log level"):
        parse_level("loud")


def test_requests_get_an_id_in_logs_and_headers(runtime: Runtime, json_log: LogLines) -> None:
    app = create_app(runtime)

    @app.get("/log-something")
    def log_something() -> dict[str, bool]:
        logging.getLogger("openkyc.test").info("inside a request")
        return {"ok": True}

    with TestClient(app) as client:
        generated = client.get("/log-something")
        proxied_id = uuid.uuid4().hex
        proxied = client.get("/log-something", headers={"X-Request-ID": proxied_id})
        junk = client.get("/log-something", headers={"X-Request-ID": "Jane Doe 12345678901"})
    lines = [line for line in json_log() if line["message"] == "inside a request"]
    assert [line["request_id"] for line in lines] == [
        generated.headers["x-request-id"],
        proxied_id,
        junk.headers["x-request-id"],
    ]
    assert proxied.headers["x-request-id"] == proxied_id
    assert junk.headers["x-request-id"] != "Jane Doe 12345678901"
