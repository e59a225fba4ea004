"""The dlib models shipped in the package are the published CC0 files, byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

from tools.vendor_dlib_models import MODELS, TARGET, check


def test_the_shipped_dlib_models_are_the_published_ones() -> None:
    assert check() == []
    # Only the three CC0 models: never the 68-point one (non-commercial training data).
    assert sorted(path.name for path in TARGET.glob("*.dat")) == sorted(MODELS)


def test_an_altered_or_missing_model_is_named(tmp_path: Path) -> None:
    first, second, *_ = MODELS
    shutil.copy(TARGET / first, tmp_path / first)
    with (tmp_path / first).open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\x00\x01")
    problems = check(tmp_path)
    assert f"{first}: SHA-256 differs from the face_recognition_models==0.3.0 release" in problems
    assert f"{second}: missing" in problems
