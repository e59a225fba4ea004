"""1:1 face comparison with explicit outcomes and named operating points.

The match score is the cosine similarity of the two faces' VGGFace2 MobileNet descriptors
(``vgg2_mobilenet.py``), in [-1, 1], higher = more alike. benchmarks/face_bench.py measures it side by
side with dlib's ResNet and with fusions of the two on material the engine was never tuned on
(leave-one-source-out): at operating points that hold their FAR for every demographic group, the
MobileNet score alone accepts as many genuine pairs as the best fusion and lets fewer East-Asian
strangers through, so it is the score; dlib's embedding stays for liveness and same-photo checks.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from openkyc.engine.evidence import Decision, Evidence, Reason, Signal
from openkyc.engine.face.analyse import FaceAnalysis, analyse_face
from openkyc.engine.face.detect import DetectedFace

# Calibrated by `.venv/bin/python -m benchmarks.face_bench` on all its material (shared set plus the
# extra sets of tools/face_material.py: 800 genuine, 127,450 impostor and 1,000 parent-child pairs;
# 189 labelled people). Each point is the strictest of: the observed pooled threshold, a normal
# fitted to all impostor scores, and the observed threshold within each demographic group (strangers
# of one group are a partner's closest impostors; Black and East-Asian strangers score highest),
# extrapolated by a normal fitted to the group where it has too few pairs to observe the rate;
# rounded up to 0.01 (benchmarks/face_eval.py calibrate()):
#   far_1e-3: pooled 0.644, Black 0.765, East Asian 0.739, White 0.631 -> 0.77
#   far_1e-4: pooled 0.720, East Asian (normal) 0.819, Black (normal) 0.780 -> 0.82
# Held out (each source judged at thresholds calibrated without it) this rule gave at far_1e-3 TAR
# 66.9% with FAR 0.002% overall, 0.20% between East-Asian strangers (2 of 1,008 pairs) and 0% between
# Black, West-Asian or White strangers; at far_1e-4 TAR 48.4% and no false accept. Holding the named
# FAR for every group costs that much TAR with this model; see the README's Face section.
OPERATING_POINTS: dict[str, float] = {
    "far_1e-3": 0.77,
    "far_1e-4": 0.82,
}
DEFAULT_OPERATING_POINT = "far_1e-3"
# Below an operating point's threshold but at or above this score, the comparison is unsure rather
# than a no-match: a person decides. It is the FAR-1e-3 threshold calibrated on the pooled impostors
# alone (0.644, every group together): held out, 94.5% of genuine pairs reach it, against 66.9%
# that reach the group-held 0.77. Strangers reach it too (5.2% of East-Asian stranger pairs, 0.9% of
# Black, 0.01% of White, held out), which is why they go to a reviewer and are never accepted:
# genuine users the model cannot vouch for are not turned away by a machine either.
REVIEW_FLOOR = 0.64
# Mean absolute difference between two contrast-normalised 32x32 chip prints (see
# FaceAnalysis.photo_print) below which both images are the same photograph. Measured on the shared
# faces: copies made by resizing (to 35%), JPEG re-encoding (q50), cropping or brightening stay below
# 0.22 (60 copies, median 0.04); distinct photos of one person in pairs.csv start at 0.26, apart from
# four pairs in dlib's "johns" set that are themselves one photo re-cropped (0.00-0.09).
IDENTICAL_PRINT_DIFF = 0.25


class FaceOutcome(StrEnum):
    MATCH = "match"
    # Below the operating point, at or above REVIEW_FLOOR: neither a match nor clearly another person.
    UNSURE = "unsure"
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


def similarity(embedding_a: NDArray[np.float64], embedding_b: NDArray[np.float64]) -> float:
    """Raw similarity of two dlib embeddings: 1 - Euclidean distance (liveness uses it as is)."""
    return float(1.0 - np.linalg.norm(embedding_a - embedding_b))


def match_score(a: FaceAnalysis, b: FaceAnalysis) -> float | None:
    """The score compared with the operating points: cosine of the MobileNet descriptors."""
    if a.mobilenet is None or b.mobilenet is None:
        return None
    return float(np.dot(a.mobilenet, b.mobilenet))


def compare_faces(
    bgr_a: NDArray[Any],
    bgr_b: NDArray[Any],
    *,
    operating_point: str = DEFAULT_OPERATING_POINT,
    faces_a: list[DetectedFace] | None = None,
    faces_b: list[DetectedFace] | None = None,
) -> FaceMatchEvidence:
    """Compare the primary face of ``bgr_a`` with that of ``bgr_b``.

    For one image against several, analyse each once with :func:`analyse_face` and call
    :func:`compare_analyses` instead.
    """
    return compare_analyses(
        analyse_face(bgr_a, faces=faces_a),
        analyse_face(bgr_b, faces=faces_b),
        operating_point=operating_point,
    )


def compare_analyses(
    a: FaceAnalysis, b: FaceAnalysis, *, operating_point: str = DEFAULT_OPERATING_POINT
) -> FaceMatchEvidence:
    """Compare the primary faces of two analysed images at a named operating point."""
    if operating_point not in OPERATING_POINTS:
        raise ValueError(f"unknown operating point {operating_point!r}; known: {sorted(OPERATING_POINTS)}")
    threshold = OPERATING_POINTS[operating_point]
    multiple = a.multiple_faces or b.multiple_faces
    common: dict[str, Any] = {
        "operating_point": operating_point,
        "threshold": threshold,
        "faces": (a.face_count, b.face_count),
        "multiple_faces": multiple,
        "boxes": (a.primary.box if a.primary else None, b.primary.box if b.primary else None),
        "thresholds": {**OPERATING_POINTS, "review_floor": REVIEW_FLOOR},
    }
    score = match_score(a, b)
    if a.embedding is None or b.embedding is None or score is None:
        missing_a = a.embedding is None or a.mobilenet is None
        outcome = FaceOutcome.NO_FACE_A if missing_a else FaceOutcome.NO_FACE_B
        which = "first" if missing_a else "second"
        return FaceMatchEvidence(
            decision=Decision.FAIL,
            reasons=[Reason(code=f"face.{outcome.value}", message=f"no face found in the {which} image")],
            outcome=outcome,
            **common,
        )
    if same_photograph(a, b):
        # A re-submitted photo proves nothing about a live person, however well it matches.
        return FaceMatchEvidence(
            decision=Decision.FAIL,
            reasons=[Reason(code="face.identical_images", message="both images are the same photograph")],
            outcome=FaceOutcome.IDENTICAL_IMAGES,
            score=round(score, 6),
            **common,
        )
    signal = Signal.measure(score, threshold, detail=f"MobileNet descriptor cosine at {operating_point}")
    unsure = not signal.passed and score >= min(REVIEW_FLOOR, threshold)
    if signal.passed:
        outcome, decision, reasons = FaceOutcome.MATCH, Decision.PASS, []
    elif unsure:
        outcome, decision = FaceOutcome.UNSURE, Decision.REVIEW
        reasons = [
            Reason(
                code="face.unsure",
                message=f"the faces are alike ({score:.3f}) but below the {operating_point} threshold ({threshold}): a person decides",
            )
        ]
    else:
        outcome, decision = FaceOutcome.NO_MATCH, Decision.FAIL
        reasons = [Reason(code="face.no_match", message="the faces do not match")]
    if multiple:
        reasons.append(
            Reason(code="face.multiple_faces", message="more than one face found; the largest was used")
        )
    return FaceMatchEvidence(
        decision=decision,
        reasons=reasons,
        signals={"face_similarity": signal},
        outcome=outcome,
        score=round(score, 6),
        **common,
    )


def photo_print_difference(a: FaceAnalysis, b: FaceAnalysis) -> float | None:
    """How different the two primary faces' pixels are (0 = same pixels); None without two faces."""
    print_a, print_b = a.photo_print(), b.photo_print()
    if print_a is None or print_b is None:
        return None
    return float(np.abs(print_a - print_b).mean())


def same_photograph(a: FaceAnalysis, b: FaceAnalysis) -> bool:
    """True when both images are one photograph (identical pixels, or resized/re-encoded/cropped)."""
    if a.pixel_digest and a.pixel_digest == b.pixel_digest:
        return True
    difference = photo_print_difference(a, b)
    return difference is not None and difference < IDENTICAL_PRINT_DIFF


# A re-verification on the enrolled selfie itself (no new capture): that selfie's dlib embedding
# against the one stored when it was enrolled. Both come from one photograph, so a sound record
# scores about 1; the bar is dlib's customary same-person distance (0.6, similarity 0.40, the
# active liveness check's identity bar), so a changed model build still passes while a selfie blob
# that is not the face enrolled does not. No same-photograph check: the photo IS the enrolled one.
ENROLLED_EMBEDDING_POINT = "enrolled_embedding"
ENROLLED_EMBEDDING_MIN_SIMILARITY = 0.40


def compare_with_enrolled_embedding(a: FaceAnalysis, enrolled: NDArray[np.float64]) -> FaceMatchEvidence:
    """Compare the primary face of ``a`` (the enrolled selfie, analysed again) with ``enrolled``,
    the 128-d dlib embedding stored at enrolment. An embedding of another shape cannot be compared
    (outcome ``no_face_b``, reason ``face.enrolled_embedding_unusable``)."""
    threshold = ENROLLED_EMBEDDING_MIN_SIMILARITY
    common: dict[str, Any] = {
        "operating_point": ENROLLED_EMBEDDING_POINT,
        "threshold": threshold,
        "faces": (a.face_count, 1),
        "multiple_faces": a.multiple_faces,
        "boxes": (a.primary.box if a.primary else None, None),
        "thresholds": {ENROLLED_EMBEDDING_POINT: threshold},
    }
    if a.embedding is None:
        return FaceMatchEvidence(
            decision=Decision.FAIL,
            reasons=[Reason(code="face.no_face_a", message="no face found in the first image")],
            outcome=FaceOutcome.NO_FACE_A,
            **common,
        )
    stored = np.asarray(enrolled, dtype=np.float64)
    if stored.shape != a.embedding.shape or not np.all(np.isfinite(stored)):
        return FaceMatchEvidence(
            decision=Decision.FAIL,
            reasons=[
                Reason(
                    code="face.enrolled_embedding_unusable",
                    message=f"the stored enrolment embedding ({stored.size} values) cannot be compared",
                )
            ],
            outcome=FaceOutcome.NO_FACE_B,
            **common,
        )
    score = similarity(a.embedding, stored)
    signal = Signal.measure(score, threshold, detail="dlib embedding similarity to the enrolment's")
    if signal.passed:
        outcome, decision, reasons = FaceOutcome.MATCH, Decision.PASS, []
    else:
        outcome, decision = FaceOutcome.NO_MATCH, Decision.FAIL
        reasons = [
            Reason(code="face.enrolled_embedding_mismatch", message="the selfie is not the face enrolled")
        ]
    if a.multiple_faces:
        reasons.append(
            Reason(code="face.multiple_faces", message="more than one face found; the largest was used")
        )
    return FaceMatchEvidence(
        decision=decision,
        reasons=reasons,
        signals={"face_similarity": signal},
        outcome=outcome,
        score=round(score, 6),
        **common,
    )
