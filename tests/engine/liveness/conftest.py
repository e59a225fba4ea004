"""Shared liveness fixtures: source photos and one genuine video sequence (computed once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit import attacks

VIDEO_NAME = "timesler+facenet-pytorch_examples_video.mp4"
# Frames 6-104 of the video hold one person's track (found by attacks.face_tracks on all frames);
# every other frame from 40 on keeps the test to a handful of detections.
TRACK_FRAMES = tuple(range(40, 58, 2))


@pytest.fixture(scope="session")
def obama(faces_dir: Path) -> Path:
    return faces_dir / "ageitgey+face_recognition" / "examples" / "obama.jpg"


@pytest.fixture(scope="session")
def biden(faces_dir: Path) -> Path:
    return faces_dir / "ageitgey+face_recognition" / "examples" / "biden.jpg"


@pytest.fixture(scope="session")
def genuine_sequence(testdata_dir: Path) -> attacks.LivenessSample:
    frames = attacks.read_video(testdata_dir / "liveness" / VIDEO_NAME)
    tracks = attacks.face_tracks(frames, indices=TRACK_FRAMES, min_length=len(TRACK_FRAMES), max_gap=2)
    assert tracks, "no complete face track in the chosen video frames"
    longest = max(tracks, key=lambda t: t.boxes[0][2] - t.boxes[0][0])
    (sample,) = attacks.track_sequences(frames, longest, n_frames=len(TRACK_FRAMES) - 1, stride=1)
    return sample
