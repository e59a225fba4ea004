"""Locating and loading model files once per process.

All weights ship inside installed wheels: openkyc's own (``engine/face/models/``: the VGGFace2
descriptor and dlib's three CC0 models, see ``MODELS.md`` there) and other distributions'
(mediapipe, rapidocr, OpenCV), read as plain files.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from openkyc.engine.errors import ModelUnavailable

T = TypeVar("T")

_load_lock = threading.Lock()


FACE_MODELS_DIR = Path(__file__).resolve().parent / "face" / "models"


def dlib_model_path(filename: str) -> Path:
    """Path of one of dlib's model files shipped in ``engine/face/models`` (a path, as dlib wants)."""
    path = FACE_MODELS_DIR / filename
    if not path.is_file():
        raise ModelUnavailable(f"dlib model {filename!r} missing from {FACE_MODELS_DIR}")
    return path


def load_once(factory: Callable[[], T]) -> Callable[[], T]:
    """Wrap a model factory so the model is built once per process, thread-safely."""
    cached: list[T] = []

    def get() -> T:
        if not cached:
            with _load_lock:
                if not cached:
                    cached.append(factory())
        return cached[0]

    get.__name__ = getattr(factory, "__name__", "model")
    get.__doc__ = factory.__doc__
    return get


@cache
def _dlib() -> Any:
    import dlib

    return dlib


def dlib_module() -> Any:
    """The dlib module (imported lazily: it is slow to import and not every command needs it)."""
    return _dlib()
