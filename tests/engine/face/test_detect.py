from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.engine.face.analyse import analyse_face
from openkyc.engine.face.compare import similarity
from openkyc.engine.face.detect import DEFAULT_DETECTORS, DetectedFace, detect_faces, primary_face
from openkyc.engine.face.detectors import FINDERS
from openkyc.engine.images import load_image
from tests.engine.face.samples import (
    CLAPTON,
    JOHN_CHIP,
    NO_FACE,
    OBAMA,
    TWO_PEOPLE,
    blank_image,
    noise_image,
    side_by_side,
)

LoadFace = Callable[[str], NDArray[Any]]


def _inside(face: DetectedFace, bgr: NDArray[Any]) -> bool:
    left, top, right, bottom = face.box
    return 0 <= left < right <= bgr.shape[1] and 0 <= top < bottom <= bgr.shape[0]


def test_finds_one_face_with_landmarks_inside_its_box(face_image: LoadFace) -> None:
    bgr = face_image(OBAMA)
    faces = detect_faces(bgr)
    assert len(faces) == 1
    face = faces[0]
    assert _inside(face, bgr)
    assert face.landmarks.shape == (5, 2)
    left, top, right, bottom = face.box
    margin = 0.2 * face.width
    xs, ys = face.landmarks[:, 0], face.landmarks[:, 1]
    assert np.all(xs > left - margin) and np.all(xs < right + margin)
    assert np.all(ys > top - margin) and np.all(ys < bottom + margin)
    # dlib's 5 points: 0-1 one eye's corners, 2-3 the other's, 4 under the nose: eyes above the nose.
    assert face.landmarks[4, 1] > face.landmarks[:4, 1].max()


@pytest.mark.parametrize("image", [blank_image(), noise_image()], ids=["blank", "noise"])
def test_generated_images_have_no_face(image: NDArray[Any]) -> None:
    assert detect_faces(image) == []


def test_shared_no_face_photo(face_image: LoadFace) -> None:
    assert detect_faces(face_image(NO_FACE)) == []


def test_two_faces_side_by_side(face_image: LoadFace) -> None:
    obama = face_image(OBAMA)
    flipped = np.ascontiguousarray(obama[:, ::-1])
    faces = detect_faces(side_by_side(obama, flipped))
    assert len(faces) == 2
    # One face in each half.
    centres = sorted((f.box[0] + f.box[2]) / 2 for f in faces)
    width = side_by_side(obama, flipped).shape[1]
    assert centres[0] < width / 2 < centres[1]


def test_group_photo_finds_several_and_primary_is_largest(face_image: LoadFace) -> None:
    faces = detect_faces(face_image(TWO_PEOPLE))
    assert len(faces) >= 2
    assert primary_face(faces) is faces[0]
    assert faces[0].area >= faces[1].area


def test_boxes_are_in_original_coordinates(face_image: LoadFace) -> None:
    bgr = face_image(OBAMA)
    double = cv2.resize(bgr, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)
    small, large = primary_face(detect_faces(bgr)), primary_face(detect_faces(double))
    assert small is not None and large is not None
    # Both are detected at the same working size, so the boxes differ by the resize factor only.
    assert np.allclose(np.array(large.box), 2 * np.array(small.box), atol=0.06 * large.width)
    assert np.allclose(large.landmarks, 2 * small.landmarks, atol=0.03 * large.width)


def test_small_aligned_chip_is_found(face_image: LoadFace) -> None:
    chip = face_image(JOHN_CHIP)  # a 150x150 aligned chip from dlib's examples
    faces = detect_faces(chip)
    assert len(faces) == 1
    assert faces[0].width > 0.4 * chip.shape[1]


def test_face_cut_by_the_borders_is_found_thanks_to_padding(face_image: LoadFace) -> None:
    bgr = face_image(CLAPTON)
    face = primary_face(detect_faces(bgr))
    assert face is not None
    # Crop inside the face box (10% off every side): the face now runs past all four borders.
    left, top, right, bottom = face.box
    cut = (right - left) // 10
    tight = cv2.resize(
        np.ascontiguousarray(bgr[top + cut : bottom - cut, left + cut : right - cut]), (150, 150)
    )
    assert detect_faces(tight, pad=0.0, fallbacks=False) == []  # the CNN fallback would find it
    faces = detect_faces(tight)
    assert len(faces) == 1
    # Mapped back out of the padding: the box centre lies inside the image.
    assert 0 < (faces[0].box[0] + faces[0].box[2]) / 2 < 150


def test_primary_face_of_nothing_is_none() -> None:
    assert primary_face([]) is None


@pytest.mark.slow
@pytest.mark.parametrize("detector", sorted(FINDERS))
def test_every_detector_finds_the_face_and_places_landmarks(face_image: LoadFace, detector: str) -> None:
    bgr = face_image(OBAMA)
    reference = primary_face(detect_faces(bgr, detectors=("hog",)))
    face = primary_face(detect_faces(bgr, detectors=(detector,)))
    assert reference is not None and face is not None
    assert face.detector == detector
    # Boxes are re-framed onto dlib's, so the landmarks land where HOG's would.
    assert np.abs(face.landmarks - reference.landmarks).max() < 0.08 * reference.width


def test_cascade_falls_through_to_the_next_detector(face_image: LoadFace) -> None:
    calls: list[str] = []
    original = dict(FINDERS)

    def nothing(rgb: NDArray[Any], upsample: int) -> list[tuple[float, float, float, float, float]]:
        calls.append("nothing")
        return []

    FINDERS["nothing"] = nothing
    try:
        faces = detect_faces(face_image(OBAMA), detectors=("nothing", *DEFAULT_DETECTORS))
    finally:
        FINDERS.clear()
        FINDERS.update(original)
    assert calls == ["nothing"]
    assert len(faces) == 1
    assert faces[0].detector == DEFAULT_DETECTORS[0]


SPECIMENS = "konstantint+PassportEye/passporteye/mrz/testdata"
# Specimens whose printed portrait is small (width of the face box found, in px, noted).
DOCUMENT_PORTRAITS = [
    "24_pass-egy.jpg",  # 268x188 scan, ~43 px face
    "25_pass-uto.jpg",  # 275x184 scan, ~43 px face
    "33_id-usa.jpg",  # ~52 px face
    "100_pass-chn.jpg",  # ~52 px face
    "43_pass-twn.jpg",  # ~62 px face
    "98_pass-nld.jpg",  # ~75 px face
]
# Backs of ID cards: text and barcodes, no portrait.
DOCUMENT_BACKS = ["53_id-d.jpg", "77_card-cmw.png", "100_id-che.jpg"]


@pytest.mark.parametrize("name", DOCUMENT_PORTRAITS)
def test_small_printed_document_portrait_is_found(docs_dir: Path, name: str) -> None:
    bgr = load_image(docs_dir / SPECIMENS / name).bgr
    face = primary_face(detect_faces(bgr))
    assert face is not None
    # The portrait is a small part of the page, not a false hit spanning the document.
    assert 30 <= face.width <= 0.4 * bgr.shape[1]
    assert _inside(face, bgr)


@pytest.mark.parametrize("name", DOCUMENT_BACKS)
def test_document_back_has_no_face(docs_dir: Path, name: str) -> None:
    assert detect_faces(load_image(docs_dir / SPECIMENS / name).bgr) == []


def test_document_portrait_is_embedded_like_a_face(docs_dir: Path) -> None:
    # The same specimen portrait at two print resolutions (ICAO's Anna Maria Eriksson).
    low = analyse_face(load_image(docs_dir / SPECIMENS / "25_pass-uto.jpg").bgr)
    high = analyse_face(load_image(docs_dir / "konstantint+PassportEye/tests/data/passport-td3.jpg").bgr)
    assert low.embedding is not None and high.embedding is not None
    assert similarity(low.embedding, high.embedding) > 0.5


@pytest.mark.parametrize(
    "rotation", [cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE, cv2.ROTATE_180]
)
def test_turned_photo_is_found_and_its_chip_is_upright(face_image: LoadFace, rotation: int) -> None:
    upright = face_image(OBAMA)
    turned = cv2.rotate(upright, rotation)
    assert detect_faces(turned, fallbacks=False) == []  # HOG alone misses a sideways face
    faces = detect_faces(turned)
    assert len(faces) == 1 and faces[0].detector.endswith("+turned")
    assert _inside(faces[0], turned)
    # Landmarks mapped back: the aligned chip is upright, so it embeds like the upright photo.
    a, b = analyse_face(upright), analyse_face(turned, faces=faces)
    assert a.embedding is not None and b.embedding is not None
    assert similarity(a.embedding, b.embedding) > 0.9


def test_tight_tiny_crop_is_found_by_the_cnn_fallback(face_image: LoadFace) -> None:
    bgr = face_image(OBAMA)
    face = primary_face(detect_faces(bgr))
    assert face is not None
    left, top, right, bottom = face.box
    # A 64 px crop of the face alone, as aligned face sets store them.
    crop = cv2.resize(
        np.ascontiguousarray(bgr[top:bottom, left:right]), (64, 64), interpolation=cv2.INTER_AREA
    )
    found = detect_faces(crop)
    assert len(found) == 1
    assert _inside(found[0], crop) or found[0].width >= 32


def test_fallbacks_find_nothing_in_faceless_images() -> None:
    assert detect_faces(blank_image()) == []
    assert detect_faces(noise_image(120, 120)) == []
