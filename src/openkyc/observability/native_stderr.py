"""Native libraries' stderr (mediapipe's TFLite and absl logging, dlib, onnxruntime) into the JSON log.

C++ code under the engine writes straight to file descriptor 2, past Python's logging: lines such
as ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`` or ``W0000 00:00:... ] Feedback
manager requires ...`` landed between the JSON lines of ``openkyc serve`` and broke every tool that
reads the log as JSON lines. No environment variable quiets them (mediapipe 0.10's absl logging
reads neither ``GLOG_minloglevel`` nor ``TF_CPP_MIN_LOG_LEVEL``), so the descriptor itself is
rerouted: fd 2 becomes a pipe, the log handler writes to a copy of the original stderr, and a
thread reads the pipe and re-emits each line as a log record of the logger ``openkyc.native``
(redacted like any other line). A line that already is a JSON object (a child process's own log
line: uvicorn or Celery workers inherit fd 2) passes through unchanged.

Levels: a glog/absl line's letter (``I``/``W``/``E``/``F``) or a TFLite ``INFO:``/``WARNING:``/
``ERROR:`` prefix gives the level, ``I``/``INFO`` being DEBUG (model chatter). The warnings every
model load prints and nobody can act on are DEBUG too (:data:`KNOWN_NOISE`); anything else
unrecognised (a thread's traceback, an unknown library's complaint) is a WARNING.

Entry points call :func:`route_native_stderr` for the JSON format only: with
``OPENKYC_LOG_FORMAT=text`` the raw stderr stays as it is, which is also the way to see a native
crash's last words (a process killed by ``abort()`` may die before the thread forwards them).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import re
import sys
import threading
from typing import TextIO

LOGGER_NAME = "openkyc.native"

_GLOG = re.compile(r"^(?P<level>[IWEF])\d{4} [\d:.]+\s+\d+ (?P<source>[\w.+-]+:\d+)\] (?P<message>.*)$")
_PREFIXED = re.compile(r"^(?P<level>INFO|WARNING|ERROR|FATAL): (?P<message>.*)$")
_LETTER_LEVELS = {"I": logging.DEBUG, "W": logging.WARNING, "E": logging.ERROR, "F": logging.CRITICAL}
_WORD_LEVELS = {
    "INFO": logging.DEBUG,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
}
# Printed on every model load by mediapipe 0.10 (absl, TFLite), harmless and not actionable.
KNOWN_NOISE = (
    "All log messages before absl::InitializeLog() is called are written to STDERR",
    "Feedback manager requires a model with a single signature inference",
    "Using NORM_RECT without IMAGE_DIMENSIONS is only supported for the square ROI",
)
# How long the exit hook waits for the reader to forward what is still in the pipe.
DRAIN_TIMEOUT_S = 2.0


def classify(line: str) -> tuple[int, str]:
    """(level, message) for one line a native library wrote to stderr."""
    glog = _GLOG.match(line)
    if glog:
        level, message = _LETTER_LEVELS[glog["level"]], f"{glog['message']} ({glog['source']})"
    elif prefixed := _PREFIXED.match(line):
        level, message = _WORD_LEVELS[prefixed["level"]], prefixed["message"]
    else:
        level, message = logging.WARNING, line
    if level < logging.ERROR and any(noise in line for noise in KNOWN_NOISE):
        level = logging.DEBUG
    return level, message


def _json_object(line: str) -> bool:
    if not line.startswith("{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


class _Router:
    """The pipe behind fd 2 and the thread that forwards what arrives on it."""

    def __init__(self, handler: logging.StreamHandler[TextIO]) -> None:
        self.handler = handler
        self.logger = logging.getLogger(LOGGER_NAME)
        sys.stderr.flush()
        saved = os.dup(2)
        self.original = os.fdopen(saved, "w", buffering=1, encoding="utf-8", errors="backslashreplace")
        handler.setStream(self.original)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
        self.reader = threading.Thread(
            target=self._forward, args=(read_end,), name="openkyc-native-stderr", daemon=True
        )
        self.reader.start()

    def _forward(self, read_end: int) -> None:
        pending = b""
        with os.fdopen(read_end, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                *lines, pending = (pending + chunk).split(b"\n")
                for raw in lines:
                    self._emit(raw)
        if pending:
            self._emit(pending)

    def _emit(self, raw: bytes) -> None:
        line = raw.decode("utf-8", "backslashreplace").rstrip("\r")
        if not line.strip():
            return
        try:
            if _json_object(line):
                with self._locked():
                    self.original.write(line + "\n")
                return
            level, message = classify(line)
            if self.logger.isEnabledFor(level):
                record = self.logger.makeRecord(LOGGER_NAME, level, "(native)", 0, "%s", (message,), None)
                # Straight to our handler: a handler writing to sys.stderr would feed the pipe.
                self.handler.handle(record)
        except Exception:  # this thread must outlive any one bad line: it is written as it came
            with self._locked():
                self.original.write(line + "\n")

    def _locked(self) -> _HandlerLock:
        return _HandlerLock(self.handler)

    def restore(self) -> None:
        """Give fd 2 back (the pipe sees its end of file once children have closed theirs too)
        and let the reader forward what is left."""
        with contextlib.suppress(OSError, ValueError):  # a closed or broken sys.stderr
            sys.stderr.flush()
        os.dup2(self.original.fileno(), 2)
        self.reader.join(DRAIN_TIMEOUT_S)


class _HandlerLock:
    def __init__(self, handler: logging.Handler) -> None:
        self.handler = handler

    def __enter__(self) -> None:
        self.handler.acquire()

    def __exit__(self, *_: object) -> None:
        self.handler.release()


_router: _Router | None = None


def route_native_stderr(handler: logging.Handler) -> bool:
    """Reroute fd 2 into ``handler`` (the one configure_logging installed); once per process.

    False, and nothing changed, when ``handler`` does not write to this process's stderr.
    """
    global _router
    if not isinstance(handler, logging.StreamHandler):
        return False
    if _router is not None:  # logging configured again: the new handler takes the old one's place
        _router.handler = handler
        handler.setStream(_router.original)
        return True
    if handler.stream is not sys.stderr:
        return False
    _router = _Router(handler)
    atexit.register(_router.restore)
    return True
