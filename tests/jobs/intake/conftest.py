"""Small real images from the shared test data (read in place, never copied into the repo)."""

from __future__ import annotations

from pathlib import Path

import pytest

ALIGNED = Path("cmusatyalab+openface/images/examples-aligned")
EXAMPLES = Path("cmusatyalab+openface/images/examples")


@pytest.fixture(scope="session")
def image_paths(faces_dir: Path) -> dict[str, Path]:
    """Distinct basenames, as the SDKs zip them; one JPEG among the PNGs."""
    paths = {
        "selfie": faces_dir / ALIGNED / "adams.png",
        "frame_1": faces_dir / ALIGNED / "clapton-1.png",
        "frame_2": faces_dir / ALIGNED / "clapton-2.png",
        "frame_3": faces_dir / ALIGNED / "carell.png",
        "id_front": faces_dir / EXAMPLES / "clapton-2.jpg",
        "id_back": faces_dir / ALIGNED / "lennon-1.png",
    }
    for path in paths.values():
        assert path.is_file(), path
    return paths


@pytest.fixture(scope="session")
def image_bytes(image_paths: dict[str, Path]) -> dict[str, bytes]:
    return {role: path.read_bytes() for role, path in image_paths.items()}
