"""The liveness material generators: shapes, determinism and what each attack varies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openkyc.engine.face.detect import detect_faces, primary_face
from openkyc.engine.images.decode import load_image
from testkit import attacks


@pytest.fixture(scope="module")
def photo(faces_dir: Path) -> Path:
    return faces_dir / "ageitgey+face_recognition" / "examples" / "obama.jpg"


@pytest.mark.parametrize("make", [attacks.replay_attack, attacks.print_attack, attacks.screen_attack])
def test_sequences_are_selfie_plus_frames_and_seeded(photo: Path, make: object) -> None:
    first = make(photo, seed=3, n_frames=5)  # type: ignore[operator]
    again = make(photo, seed=3, n_frames=5)  # type: ignore[operator]
    other = make(photo, seed=4, n_frames=5)  # type: ignore[operator]
    assert len(first.frames) == 5
    assert first.selfie.shape == (attacks.FRAME_HEIGHT, attacks.FRAME_WIDTH, 3)
    assert all(f.shape == first.selfie.shape and f.dtype == np.uint8 for f in first.frames)
    assert np.array_equal(first.frames[2], again.frames[2])
    assert not np.array_equal(first.frames[2], other.frames[2])
    assert first.sources == (str(photo),)


def test_frame_count_defaults_to_the_sdk_range(photo: Path) -> None:
    counts = {len(attacks.replay_attack(photo, seed=s).frames) for s in range(12)}
    assert counts <= set(range(4, 9)) and len(counts) > 1


def test_replay_frames_are_one_still_with_small_changes(photo: Path) -> None:
    sample = attacks.replay_attack(photo, seed=1, n_frames=4)
    a, b = (f.astype(np.float64) for f in sample.frames[:2])
    assert not np.array_equal(a, b)
    # Up to brightness jitter the frames are the same picture.
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.98


def test_print_frames_move_the_picture(photo: Path) -> None:
    sample = attacks.print_attack(photo, seed=1, n_frames=4)
    a, b = (f.astype(np.float64) for f in sample.frames[:2])
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] < 0.98


@pytest.mark.parametrize("pitch", [3, 4, 5])
def test_screen_subpixels_are_equal_thirds_of_a_white_balanced_pixel(pitch: int) -> None:
    stripes = attacks.subpixel_stripes(pitch)
    # Without the dark matrix row every sample column's coverage adds up to one...
    assert np.allclose(stripes[0].sum(axis=1), 1.0)
    # ...and R, G and B each cover a third of the pixel: a white pixel shows white, not tinted.
    assert np.allclose(stripes.sum(axis=(0, 1)), stripes.sum(axis=(0, 1))[0])
    assert np.allclose(stripes[0].sum(axis=0), pitch / 3)


def test_halftone_is_made_of_dots(photo: Path) -> None:
    printed = attacks.halftone_print(attacks.portrait(photo), np.random.default_rng(0))
    assert printed.shape[0] == 2 * attacks.portrait(photo).shape[0]
    # Halftone leaves many near-paper and near-ink pixels rather than smooth mid-tones.
    grey = printed.mean(axis=2)
    assert np.std(grey) > 40


def test_swap_replaces_the_chosen_frames(photo: Path, faces_dir: Path) -> None:
    base = attacks.replay_attack(photo, seed=2, n_frames=6)
    intruder = np.zeros((100, 80, 3), np.uint8)
    swapped = attacks.swap_attack(base, [intruder], seed=0, count=2)
    assert swapped.kind == "swap" and len(swapped.swapped) == 2
    for index, frame in enumerate(swapped.frames):
        assert (frame.max() == 0) == (index in swapped.swapped)
    assert swapped.selfie is base.selfie


def test_photo_without_face_is_refused(faces_dir: Path) -> None:
    with pytest.raises(ValueError, match="no face in"):
        attacks.portrait(
            faces_dir / "exadel-inc+CompreFace" / "embedding-calculator" / "sample_images" / "017_0.jpg"
        )


def test_crop_face_is_a_selfie_sized_frame() -> None:
    frame = np.zeros((1080, 1920, 3), np.uint8)
    crop = attacks.crop_face(frame, (900, 600, 980, 680))
    assert crop.shape == (attacks.FRAME_HEIGHT, attacks.FRAME_WIDTH, 3)


@pytest.mark.slow
def test_video_tracks_give_genuine_sequences(testdata_dir: Path) -> None:
    frames = attacks.read_video(testdata_dir / "liveness" / "timesler+facenet-pytorch_examples_video.mp4")
    assert len(frames) == 105
    tracks = attacks.face_tracks(frames, indices=range(40, 50), min_length=5)
    assert tracks
    samples = attacks.track_sequences(frames, tracks[0], n_frames=4, stride=1)
    assert samples and all(s.kind == "genuine" and len(s.frames) == 4 for s in samples)


def test_crop_whose_mesh_is_on_another_face_is_not_a_selfie(photo: Path) -> None:
    bgr = load_image(photo).bgr
    face = primary_face(detect_faces(bgr))
    assert face is not None
    assert attacks.mesh_on_tracked_face(attacks.crop_face(bgr, face.box))
    # The tracked box moved half a face width aside and up: the crop still holds the face, but
    # off the tracked position, as when a person behind the tracked one is what the mesh finds.
    left, top, right, bottom = face.box
    shift_x, shift_y = face.width // 2, -face.height // 3
    moved = (left + shift_x, top + shift_y, right + shift_x, bottom + shift_y)
    assert not attacks.mesh_on_tracked_face(attacks.crop_face(bgr, moved))
