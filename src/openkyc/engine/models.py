"""Locating and loading model files once per process.

All weights ship inside installed wheels. ``face_recognition_models`` is read as plain files:
importing it pulls in ``pkg_resources``, which recent setuptools no longer provides.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from openkyc.engine.errors import ModelUnavailable

T = TypeVar("T")

_load_lock = threading.Lock()


def package_dir(package: str) -> Path:
    """Directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def dlib_model_path(filename: str) -> Path:
    """Path of a dlib model file inside the ``face_recognition_models`` wheel."""
    path = package_dir("face_recognition_models") / "models" / filename
    if not path.is_file():
        raise ModelUnavailable(f"dlib model {filename!r} missing from face_recognition_models")
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
