"""1:1 face comparison with explicit outcomes and named operating points."""

from __future__ import annotations

import hashlib
from enum import Enum

import cv2
import numpy as np
from pydantic import Field

from openkyc.engine.evidence import Decision, Evidence, Reason, Signal
from openkyc.engine.face.detect import DetectedFace, detect_faces, primary_face
from openkyc.engine.face.embed import aligned_chip, embed_chip

# Similarity = 1 - Euclidean distance between dlib embeddings (higher = more alike).
# Thresholds per operating point; calibrated by benchmarks/face_bench.py on the shared pairs.
OPERATING_POINTS: dict[str, float] = {
    "far_1e-3": 0.45,
    "far_1e-4": 0.50,
}
DEFAULT_OPERATING_POINT = "far_1e-3"
# Aligned chips closer than this (mean absolute pixel difference, 0-255) are the same photograph.
IDENTICAL_CHIP_DIFF = 3.0


class FaceOutcome(str, Enum):
    MATCH = "match"
    NO_MATCH = "no_match"
    NO_FACE_A = "no_face_a"
    NO_FACE_B = "no_face_b"
    IDENTICAL_IMAGES = "identical_images"


class FaceMatchEvidence(Evidence):
    outcome: FaceOutcome
    score: float | None = None
    operating_point: str
    threshold: float
    faces: tuple[int, int]
    # Several faces in one image is not fatal (the primary face is compared) but is reported.
    multiple_faces: bool = False
    boxes: tuple[tuple[int, int, int, int] | None, tuple[int, int, int, int] | None] = (None, None)
    thresholds: dict[str, float] = Field(default_factory=dict)

    @property
    def match(self) -> bool:
        return self.outcome is FaceOutcome.MATCH


def similarity(embedding_a: np.ndarray, embedding_b: np.ndarray) -> float:
    """Similarity of two embeddings: 1 - Euclidean distance."""
    return float(1.0 - np.linalg.norm(embedding_a - embedding_b))


def compare_faces(
    bgr_a: np.ndarray,
    bgr_b: np.ndarray,
    *,
    operating_point: str = DEFAULT_OPERATING_POINT,
    faces_a: list[DetectedFace] | None = None,
    faces_b: list[DetectedFace] | None = None,
) -> FaceMatchEvidence:
    """Compare the primary face of ``bgr_a`` with that of ``bgr_b``."""
    threshold = OPERATING_POINTS[operating_point]
    faces_a = detect_faces(bgr_a) if faces_a is None else faces_a
    faces_b = detect_faces(bgr_b) if faces_b is None else faces_b
    face_a, face_b = primary_face(faces_a), primary_face(faces_b)
    common = {
        "operating_point": operating_point,
        "threshold": threshold,
        "faces": (len(faces_a), len(faces_b)),
        "multiple_faces": len(faces_a) > 1 or len(faces_b) > 1,
        "boxes": (face_a.box if face_a else None, face_b.box if face_b else None),
        "thresholds": dict(OPERATING_POINTS),
    }
    if face_a is None or face_b is None:
        outcome = FaceOutcome.NO_FACE_A if face_a is None else FaceOutcome.NO_FACE_B
        which = "first" if face_a is None else "second"
        return FaceMatchEvidence(
            decision=Decision.FAIL,
            reasons=[Reason(code=f"face.{outcome.value}", message=f"no face found in the {which} image")],
            outcome=outcome,
            **common,
        )
    chip_a, chip_b = aligned_chip(bgr_a, face_a), aligned_chip(bgr_b, face_b)
    if same_photograph(bgr_a, bgr_b, chip_a, chip_b):
        return FaceMatchEvidence(
            decision=Decision.FAIL,
            reasons=[Reason(code="face.identical_images", message="both images are the same photograph")],
            outcome=FaceOutcome.IDENTICAL_IMAGES,
            **common,
        )
    score = similarity(embed_chip(chip_a), embed_chip(chip_b))
    signal = Signal.measure(score, threshold, detail=f"1 - embedding distance at {operating_point}")
    reasons = [] if signal.passed else [Reason(code="face.no_match", message="the faces do not match")]
    if common["multiple_faces"]:
        reasons.append(Reason(code="face.multiple_faces", message="more than one face found; the largest was used"))
    return FaceMatchEvidence(
        decision=Decision.PASS if signal.passed else Decision.FAIL,
        reasons=reasons,
        signals={"face_similarity": signal},
        outcome=FaceOutcome.MATCH if signal.passed else FaceOutcome.NO_MATCH,
        score=round(score, 6),
        **common,
    )


def same_photograph(bgr_a: np.ndarray, bgr_b: np.ndarray, chip_a: np.ndarray, chip_b: np.ndarray) -> bool:
    """True when both images are one photograph (byte-identical or the same face pixels)."""
    if bgr_a.shape == bgr_b.shape and hashlib.sha256(bgr_a.tobytes()).digest() == hashlib.sha256(bgr_b.tobytes()).digest():
        return True
    gray_a = cv2.cvtColor(chip_a, cv2.COLOR_RGB2GRAY).astype(np.float64)
    gray_b = cv2.cvtColor(chip_b, cv2.COLOR_RGB2GRAY).astype(np.float64)
    return float(np.abs(gray_a - gray_b).mean()) < IDENTICAL_CHIP_DIFF
