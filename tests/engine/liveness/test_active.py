"""Active liveness: attacks rejected for the right reasons, a real person passes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.engine.evidence import Decision
from openkyc.engine.liveness import LivenessConfig, check_liveness
from openkyc.engine.liveness.active import RULES, prefetch_frame_faces
from openkyc.engine.liveness.frames import analyse_frame, analyse_frames
from testkit import attacks


def codes(evidence: object) -> set[str]:
    return {r.code for r in evidence.reasons}  # type: ignore[attr-defined]


def test_too_few_frames_is_an_explicit_reason() -> None:
    blank = np.zeros((64, 64, 3), np.uint8)
    evidence = check_liveness(blank, [blank] * 3)
    assert evidence.decision is Decision.FAIL
    assert codes(evidence) == {"liveness.too_few_frames"}
    assert evidence.frames_received == 3


def test_too_many_frames_is_an_explicit_reason() -> None:
    blank = np.zeros((64, 64, 3), np.uint8)
    evidence = check_liveness(blank, [blank] * 9)
    assert codes(evidence) == {"liveness.too_many_frames"}


def test_selfie_without_face_fails() -> None:
    blank = np.full((480, 360, 3), 128, np.uint8)
    evidence = check_liveness(blank, [blank] * 4)
    assert evidence.decision is Decision.FAIL
    assert codes(evidence) == {"liveness.no_face_selfie"}


@pytest.mark.slow
def test_genuine_track_passes(genuine_sequence: attacks.LivenessSample) -> None:
    evidence = check_liveness(genuine_sequence.selfie, genuine_sequence.frames)
    assert evidence.decision is Decision.PASS, evidence.reasons
    assert set(evidence.signals) >= {
        "identity",
        "distinctness",
        "non_planarity",
        "periodic_pattern",
        "chroma_moire",
        "enclosing_edges",
        "surface_cues",
    }
    assert {"non_planarity_tracks", "non_planarity_mesh", "expression_change"} <= set(evidence.signals)
    assert all(evidence.signals[name].passed for name in RULES if name in evidence.signals)


@pytest.mark.slow
def test_frames_without_a_face_are_reported(genuine_sequence: attacks.LivenessSample) -> None:
    blank = np.full_like(genuine_sequence.frames[0], 90)
    frames = [*genuine_sequence.frames[:5], blank]
    evidence = check_liveness(genuine_sequence.selfie, frames)
    assert "liveness.face_missing" in codes(evidence)
    assert evidence.frames_with_face == 5
    assert evidence.frame_similarities[-1] is None
    assert evidence.decision is not Decision.PASS


@pytest.mark.slow
def test_swapped_person_fails_on_identity(genuine_sequence: attacks.LivenessSample, obama: Path) -> None:
    rng = np.random.default_rng(0)
    intruder = attacks.framed_photo(obama, rng)
    evidence = check_liveness(*_sample(attacks.swap_attack(genuine_sequence, [intruder], seed=1, count=2)))
    assert evidence.decision is Decision.FAIL
    assert "liveness.identity_mismatch" in codes(evidence)
    assert not evidence.signals["identity"].passed


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_replayed_still_fails(obama: Path, seed: int) -> None:
    evidence = check_liveness(*_sample(attacks.replay_attack(obama, seed=seed, n_frames=4)))
    assert evidence.decision is Decision.FAIL
    assert "liveness.replayed_still" in codes(evidence)
    assert not evidence.signals["distinctness"].passed


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_printed_photo_fails(biden: Path, seed: int) -> None:
    evidence = check_liveness(*_sample(attacks.print_attack(biden, seed=seed, n_frames=4)))
    assert evidence.decision is Decision.FAIL
    assert codes(evidence) & {"liveness.planar_motion", "liveness.screen_or_print_texture"}


@pytest.mark.slow
def test_screen_replay_is_rejected(obama: Path, biden: Path) -> None:
    found = [
        check_liveness(*_sample(attacks.screen_attack(path, seed=seed, n_frames=4)))
        for path in (obama, biden)
        for seed in range(1, 7)
    ]
    assert all(e.decision is Decision.FAIL for e in found), [e.reasons for e in found]
    # Surface evidence (texture, colour moiré, the bezel, or two weak cues of them together)
    # catches 11 of these 12 whatever the motion; planar motion catches 9.
    surface = {
        "liveness.screen_or_print_texture",
        "liveness.colour_moire",
        "liveness.device_or_paper_frame",
        "liveness.surface_cues",
    }
    assert sum(bool(codes(e) & surface) for e in found) >= 10


@dataclass(frozen=True)
class _Known:
    primary: None
    chip: NDArray[Any]
    embedding: NDArray[Any]


@pytest.mark.slow
def test_precomputed_selfie_analysis_is_used(genuine_sequence: attacks.LivenessSample) -> None:
    face = analyse_frame(genuine_sequence.selfie)
    assert face is not None
    # An embedding far from every frame's: if it is used, identity must fail.
    far = _Known(primary=None, chip=face.chip, embedding=face.embedding + 0.2)
    frames = genuine_sequence.frames[:4]
    evidence = check_liveness(genuine_sequence.selfie, frames, analyses=[far])
    assert "liveness.identity_mismatch" in codes(evidence)
    baseline = check_liveness(genuine_sequence.selfie, frames, analyses=[face_as_known(face)])
    assert "liveness.identity_mismatch" not in codes(baseline)


def face_as_known(face: object) -> _Known:
    return _Known(primary=None, chip=face.chip, embedding=face.embedding)  # type: ignore[attr-defined]


def test_config_thresholds_are_named_defaults() -> None:
    config = LivenessConfig()
    assert (config.min_frames, config.max_frames) == (4, 8)
    assert 0 < config.min_identity < 1


def _sample(sample: attacks.LivenessSample) -> tuple[NDArray[Any], list[NDArray[Any]]]:
    return sample.selfie, sample.frames


@pytest.mark.slow
def test_frames_analysed_as_a_batch_are_those_analysed_one_by_one(
    genuine_sequence: attacks.LivenessSample,
) -> None:
    images = [genuine_sequence.selfie, *genuine_sequence.frames[:4]]
    batch = analyse_frames(images)
    for image, face in zip(images, batch, strict=True):
        alone = analyse_frame(image)
        assert face is not None and alone is not None
        assert face.box == alone.box
        assert np.array_equal(face.mesh, alone.mesh) and np.array_equal(face.chip, alone.chip)
        assert np.array_equal(face.embedding, alone.embedding)  # one batch, bit-identical descriptors


@pytest.mark.slow
def test_prefetched_frame_faces_give_the_same_evidence(genuine_sequence: attacks.LivenessSample) -> None:
    frames = genuine_sequence.frames[:5]
    prefetched = prefetch_frame_faces(frames)
    assert prefetched is not None
    with_prefetch = check_liveness(genuine_sequence.selfie, frames, frame_faces=prefetched.result())
    assert with_prefetch == check_liveness(genuine_sequence.selfie, frames)
    # Out of bounds: nothing is started, and check_liveness says why as before.
    assert prefetch_frame_faces(frames[:2]) is None
    with pytest.raises(ValueError, match="frame analyses"):
        check_liveness(genuine_sequence.selfie, frames, frame_faces=prefetched.result()[:3])
