"""Generated lone-selfie recaptures: seeded, varied, and faces the engine still finds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openkyc.engine.liveness.recapture import locate_selfie_face
from testkit.recapture import recaptured_selfie


@pytest.fixture(scope="module")
def photo(faces_dir: Path) -> Path:
    return faces_dir / "ageitgey+face_recognition" / "examples" / "obama.jpg"


@pytest.mark.parametrize("kind", ["print", "screen", "genuine"])
def test_recaptures_are_seeded_and_hold_a_face(photo: Path, kind: str) -> None:
    first = recaptured_selfie(photo, kind, seed=11)  # type: ignore[arg-type]
    again = recaptured_selfie(photo, kind, seed=11)  # type: ignore[arg-type]
    other = recaptured_selfie(photo, kind, seed=12)  # type: ignore[arg-type]
    assert first.dtype == np.uint8 and first.ndim == 3
    assert np.array_equal(first, again)
    assert first.shape != other.shape or not np.array_equal(first, other)
    assert max(first.shape[:2]) <= 800
    assert locate_selfie_face(first) is not None


def test_framing_and_size_vary_across_seeds(photo: Path) -> None:
    shapes = {recaptured_selfie(photo, "print", seed=seed).shape[:2] for seed in range(6)}
    assert len(shapes) >= 4


def test_unknown_kind_is_refused(photo: Path) -> None:
    with pytest.raises(ValueError, match="unknown recapture kind"):
        recaptured_selfie(photo, "mask", seed=1)  # type: ignore[arg-type]
