from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.engine.evidence import Decision
from openkyc.engine.face.analyse import analyse_face
from openkyc.engine.face.compare import FaceOutcome
from openkyc.engine.images import load_image
from openkyc.engine.images.decode import DecodedImage
from openkyc.engine.smart_selfie import SELFIE_QUALITY, assess_smart_selfie
from testkit import attacks


def keys_of(value: object) -> set[str]:
    """Every key at any depth of a JSON-like value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


def decoded(bgr: NDArray[Any]) -> DecodedImage:
    ok, buffer = cv2.imencode(".jpg", bgr)
    assert ok
    return load_image(buffer.tobytes())


def test_lone_selfie_gets_passive_checks_and_matches_reference(examples: Path) -> None:
    # Two photos the default operating point accepts (0.80; obama.jpg against obama2.jpg is unsure).
    selfie = load_image(examples / "knn_examples" / "test" / "obama1.jpg")
    reference = analyse_face(load_image(examples / "knn_examples" / "train" / "obama" / "obama2.jpg").bgr)
    evidence = assess_smart_selfie(selfie, reference=reference)
    assert evidence.face.faces == 1
    assert evidence.liveness is not None and evidence.liveness.mode == "passive"
    assert evidence.match is not None and evidence.match.outcome is FaceOutcome.MATCH
    assert evidence.selfie_analysis.embedding is not None
    # The embedding is biometric data: it never reaches JSON.
    assert "embedding" not in keys_of(evidence.model_dump(mode="json"))


def test_another_person_fails_authentication(examples: Path) -> None:
    evidence = assess_smart_selfie(
        load_image(examples / "biden.jpg"), reference=load_image(examples / "obama.jpg").bgr
    )
    assert evidence.match is not None and evidence.match.outcome is FaceOutcome.NO_MATCH
    assert evidence.decision is Decision.FAIL
    assert "face.no_match" in {r.code for r in evidence.reasons}


def test_no_face_in_selfie_is_explicit() -> None:
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 255, size=(480, 640, 3), dtype=np.uint8)
    evidence = assess_smart_selfie(decoded(noise))
    assert evidence.decision is Decision.FAIL
    assert "face.no_face_selfie" in {r.code for r in evidence.reasons}
    assert evidence.liveness is None


def test_replayed_still_fails_active_liveness(examples: Path) -> None:
    sample = attacks.replay_attack(examples / "obama.jpg", seed=3, n_frames=8)
    evidence = assess_smart_selfie(decoded(sample.selfie), [decoded(f) for f in sample.frames])
    assert evidence.liveness is not None and evidence.liveness.mode == "active"
    assert evidence.decision is Decision.FAIL
    assert any(r.code.startswith("liveness.") for r in evidence.reasons)
    assert set(evidence.timings_ms) >= {"selfie_face", "quality", "liveness"}


def test_selfie_sharpness_is_that_of_its_face(examples: Path) -> None:
    evidence = assess_smart_selfie(load_image(examples / "obama.jpg"))
    assert evidence.quality.sharpness_region == "face"
    assert evidence.quality.signals["sharpness"].threshold == SELFIE_QUALITY.min_face_sharpness
    faceless = assess_smart_selfie(decoded(np.full((480, 640, 3), 128, np.uint8)))
    assert faceless.quality.sharpness_region == "image"


def test_the_enrolled_selfie_is_judged_passively_against_its_enrolment_embedding(examples: Path) -> None:
    """A re-verification on the enrolled image: passive checks, the match with the stored
    embedding, and no same-photograph failure."""
    image = load_image(examples / "obama.jpg")
    embedding = analyse_face(image.bgr).embedding
    assert embedding is not None
    evidence = assess_smart_selfie(image, enrolled_embedding=embedding)
    assert evidence.liveness is not None and evidence.liveness.mode == "passive"
    assert evidence.match is not None and evidence.match.outcome is FaceOutcome.MATCH
    assert "face.identical_images" not in {reason.code for reason in evidence.reasons}
    with pytest.raises(ValueError, match="not both"):
        assess_smart_selfie(image, reference=image.bgr, enrolled_embedding=embedding)
