"""Images the face tests share, decoded once per session."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import pytest
from numpy.typing import NDArray

from openkyc.engine.images import load_image

# Long side the shared photos are scaled to for the tests: the engine detects at 900 px anyway,
# and some shared photos are 36-megapixel.
TEST_LONG_SIDE = 1200


@pytest.fixture(scope="session")
def face_image(faces_dir: Path) -> Callable[[str], NDArray[Any]]:
    """Load a shared face photo by its path under ``faces/`` (cached; callers must not modify it)."""

    @cache
    def load(name: str) -> NDArray[Any]:
        bgr = load_image(faces_dir / name).bgr
        factor = TEST_LONG_SIDE / max(bgr.shape[:2])
        if factor < 1:
            bgr = cv2.resize(bgr, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        bgr.setflags(write=False)
        return bgr

    return load
