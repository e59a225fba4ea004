"""Native libraries' stderr becomes JSON log lines: classified, filtered by level, nothing lost at exit,
and, for a real `openkyc serve` running a verification that loads every model, stderr is JSON only."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from smile_id_core.WebApi import WebApi

from openkyc.observability.native_stderr import LOGGER_NAME, classify
from tests.live_server import running_server

# What mediapipe 0.10 prints on a model load (seen under `openkyc serve`).
XNNPACK = "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
ABSL_NOTICE = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
FEEDBACK = (
    "W0000 00:00:1796324374.892184   30919 inference_feedback_manager.cc:114] Feedback manager "
    "requires a model with a single signature inference. Disabling support for feedback tensors."
)


@pytest.mark.parametrize(
    ("line", "level", "message"),
    [
        (XNNPACK, logging.DEBUG, "Created TensorFlow Lite XNNPACK delegate for CPU."),
        (ABSL_NOTICE, logging.DEBUG, ABSL_NOTICE.removeprefix("WARNING: ")),
        (
            FEEDBACK,
            logging.DEBUG,
            "Feedback manager requires a model with a single signature inference. "
            "Disabling support for feedback tensors. (inference_feedback_manager.cc:114)",
        ),
        (
            "W1203 10:00:00.000001   42 graph.cc:7] something new",
            logging.WARNING,
            "something new (graph.cc:7)",
        ),
        ("E1203 10:00:00.000001   42 graph.cc:9] it broke", logging.ERROR, "it broke (graph.cc:9)"),
        (
            "F1203 10:00:00.000001   42 graph.cc:9] check failed",
            logging.CRITICAL,
            "check failed (graph.cc:9)",
        ),
        ("I1203 10:00:00.000001   42 graph.cc:1] loaded", logging.DEBUG, "loaded (graph.cc:1)"),
        ("ERROR: delegate failed", logging.ERROR, "delegate failed"),
        ("Traceback (most recent call last):", logging.WARNING, "Traceback (most recent call last):"),
    ],
)
def test_native_lines_are_classified(line: str, level: int, message: str) -> None:
    assert classify(line) == (level, message)


def run_routed(body: str, *, level: str = "DEBUG", log_format: str = "json") -> list[str]:
    """Run ``body`` in a fresh interpreter whose logging is set up as `openkyc serve` sets it up;
    its stderr lines. (A subprocess: rerouting fd 2 of the test process would blind pytest.)"""
    script = textwrap.dedent(
        f"""
        import logging, os, sys
        from openkyc.config import Settings
        from openkyc.observability.logging import configure_logging
        configure_logging(Settings(log_format={log_format!r}, log_level={level!r}), native_stderr=True)
        """
    ) + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stderr.splitlines()


def parsed(lines: list[str]) -> list[dict[str, Any]]:
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON log line: {line!r}")
    return records


def test_what_native_code_writes_to_fd_2_becomes_json_records() -> None:
    lines = run_routed(
        f"""
        os.write(2, {XNNPACK!r}.encode() + b"\\n")
        os.write(2, b"W1203 10:00:00.000001   42 graph.cc:7] something new\\npartial ")
        os.write(2, b"line, then its end\\n")
        os.write(2, b'{{"ts": "x", "level": "INFO", "logger": "child", "message": "a child process"}}\\n')
        sys.stderr.write("printed by Python to sys.stderr\\n")
        logging.getLogger("openkyc.test").warning("an ordinary log line")
        os.write(2, b"the last words before exit, ID 12345678901\\n")
        """
    )
    records = parsed(lines)
    by_message = {record["message"]: record for record in records}
    assert by_message["Created TensorFlow Lite XNNPACK delegate for CPU."]["level"] == "DEBUG"
    assert by_message["something new (graph.cc:7)"]["level"] == "WARNING"
    assert by_message["partial line, then its end"]["logger"] == LOGGER_NAME
    assert by_message["a child process"] == {
        "ts": "x",
        "level": "INFO",
        "logger": "child",
        "message": "a child process",
    }
    assert by_message["printed by Python to sys.stderr"]["level"] == "WARNING"
    assert by_message["an ordinary log line"]["logger"] == "openkyc.test"
    # Written just before the interpreter exits: still forwarded, and redacted like any line.
    assert by_message["the last words before exit, ID [redacted:number]"]["logger"] == LOGGER_NAME


def test_native_chatter_below_the_log_level_is_dropped() -> None:
    lines = run_routed(
        f"""
        os.write(2, {XNNPACK!r}.encode() + b"\\n" + {FEEDBACK!r}.encode() + b"\\n")
        os.write(2, b"E1203 10:00:00.000001   42 graph.cc:9] it broke\\n")
        """,
        level="WARNING",
    )
    assert [(r["level"], r["message"]) for r in parsed(lines)] == [("ERROR", "it broke (graph.cc:9)")]


def test_the_text_format_leaves_stderr_as_it_is() -> None:
    lines = run_routed(f'os.write(2, {XNNPACK!r}.encode() + b"\\n")', log_format="text")
    assert lines == [XNNPACK]


@pytest.mark.slow
def test_a_served_verification_leaves_only_json_on_stderr(tmp_path: Path, faces_dir: Path) -> None:
    """Also the issue's check: a refused callback leaves WARNING lines naming the job."""
    selfie = faces_dir / "ageitgey+face_recognition" / "examples" / "obama2.jpg"
    stderr_path = tmp_path / "stderr.log"
    env = {
        "OPENKYC_LOG_LEVEL": "DEBUG",
        "OPENKYC_LOG_FORMAT": "json",
        "OPENKYC_ALLOW_PRIVATE_CALLBACKS": "false",
    }
    with running_server(tmp_path / "data", env, stderr_path=stderr_path) as server:
        loopback_callback = "http://127.0.0.1:9/hooks/Tok3n-in-path?sig=s3cret"
        api = WebApi(server.partner_id, loopback_callback, server.sandbox_key, f"{server.base_url}/v1")
        options = {"return_job_status": True, "return_history": False, "return_images": False}
        answer = api.submit_job(
            {"user_id": "stderr-user", "job_id": "stderr-job", "job_type": 4},
            [{"image_type_id": 0, "file_name": str(selfie)}],
            {},
            {**options, "use_enrolled_image": False},
        )
        # The registration ran the face detectors, the mesh (mediapipe), dlib and the ONNX models.
        assert answer["job_complete"] is True, answer
        smile_job_id = answer["result"]["SmileJobID"]
        deadline = time.monotonic() + 30
        while "failed on attempt 1" not in stderr_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
    text = stderr_path.read_text()
    records = parsed([line for line in text.splitlines() if line.strip()])
    native = [record for record in records if record["logger"] == LOGGER_NAME]
    # mediapipe announces its TFLite delegate on every model load: it arrived, as a JSON record.
    assert any("XNNPACK" in record["message"] for record in native), native
    callbacks = [
        record
        for record in records
        if record["logger"] == "openkyc.callbacks.service" and record.get("smile_job_id") == smile_job_id
    ]
    assert [record["level"] for record in callbacks] == ["WARNING", "WARNING"], callbacks
    accepted, attempt = (record["message"] for record in callbacks)
    assert accepted.startswith(f"job {smile_job_id} was accepted with a callback_url that every")
    assert attempt.startswith(f"callback for job {smile_job_id} to 127.0.0.1 failed on attempt 1: ")
    assert "loopback address 127.0.0.1" in attempt
    assert "Tok3n" not in text and "s3cret" not in text
