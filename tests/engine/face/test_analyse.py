from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.engine.face import analyse as analyse_module
from openkyc.engine.face.analyse import FaceAnalysis, analyse_face
from openkyc.engine.face.compare import FaceOutcome, compare_analyses
from openkyc.engine.face.detect import detect_faces
from openkyc.engine.face.embed import embed_chip as real_embed
from tests.engine.face.samples import OBAMA, OBAMA_2, TWO_PEOPLE, blank_image, noise_image

LoadFace = Callable[[str], NDArray[Any]]


def test_analysis_of_a_face(face_image: LoadFace) -> None:
    analysis = analyse_face(face_image(OBAMA))
    assert analysis.found
    assert analysis.face_count == 1 and not analysis.multiple_faces
    assert analysis.primary is analysis.faces[0]
    assert analysis.chip is not None and analysis.chip.shape == (150, 150, 3)
    assert analysis.embedding is not None and analysis.embedding.shape == (128,)


@pytest.mark.parametrize("image", [blank_image(), noise_image(seed=1)], ids=["blank", "noise"])
def test_analysis_without_a_face(image: NDArray[Any]) -> None:
    analysis = analyse_face(image)
    assert not analysis.found
    assert analysis.faces == () and analysis.primary is None
    assert analysis.chip is None and analysis.embedding is None
    assert analysis.photo_print() is None


def test_several_faces_primary_is_largest(face_image: LoadFace) -> None:
    analysis = analyse_face(face_image(TWO_PEOPLE))
    assert analysis.multiple_faces
    assert analysis.primary is not None
    assert analysis.primary.area == max(f.area for f in analysis.faces)


def test_given_faces_skip_detection(face_image: LoadFace, monkeypatch: pytest.MonkeyPatch) -> None:
    bgr = face_image(OBAMA)
    faces = detect_faces(bgr)

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("detection ran again")

    monkeypatch.setattr(analyse_module, "detect_faces", fail)
    assert analyse_face(bgr, faces=faces).found


def test_one_selfie_against_eight_frames_embeds_each_image_once(
    face_image: LoadFace, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def counting(chip: NDArray[Any], *, jitter: int = 0) -> NDArray[np.float64]:
        calls.append(1)
        return real_embed(chip, jitter=jitter)

    monkeypatch.setattr(analyse_module, "embed_chip", counting)
    selfie = analyse_face(face_image(OBAMA_2))
    base = face_image(OBAMA)
    # Eight "frames": the other photo, slightly shifted in brightness and scale each time.
    frames = [
        analyse_face(
            cv2.convertScaleAbs(cv2.resize(base, None, fx=0.5 + 0.05 * i, fy=0.5 + 0.05 * i), beta=3 * i)
        )
        for i in range(8)
    ]
    results = [compare_analyses(selfie, frame) for frame in frames]
    assert len(calls) == 9
    # Every frame compared (none lost its face), each scoring well above a stranger would.
    assert all(r.outcome in (FaceOutcome.MATCH, FaceOutcome.UNSURE, FaceOutcome.NO_MATCH) for r in results)
    assert all(r.score is not None and r.score > 0.6 for r in results)


def test_analysis_is_frozen(face_image: LoadFace) -> None:
    analysis = analyse_face(face_image(OBAMA))
    with pytest.raises(AttributeError):
        analysis.primary = None  # type: ignore[misc]
    assert isinstance(analysis, FaceAnalysis)
