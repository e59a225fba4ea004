from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.engine.evidence import Decision
from openkyc.engine.face.analyse import FaceAnalysis, analyse_face
from openkyc.engine.face.compare import (
    DEFAULT_OPERATING_POINT,
    ENROLLED_EMBEDDING_MIN_SIMILARITY,
    ENROLLED_EMBEDDING_POINT,
    OPERATING_POINTS,
    FaceMatchEvidence,
    FaceOutcome,
    compare_analyses,
    compare_faces,
    compare_with_enrolled_embedding,
    match_score,
    similarity,
)
from tests.engine.face.samples import BIDEN, OBAMA, OBAMA_2, TWO_PEOPLE, blank_image, reencode

LoadFace = Callable[[str], NDArray[Any]]

# Genuine and impostor pairs straight from the shared pairs.csv, across the source repos.
GENUINE = [
    (OBAMA, OBAMA_2),
    (
        "cmusatyalab+openface/images/examples/clapton-1.jpg",
        "cmusatyalab+openface/images/examples/clapton-2.jpg",
    ),
    (
        "davisking+dlib/examples/johns/John_Savage/000264_01099001.jpg",
        "davisking+dlib/examples/johns/John_Savage/000274_01099061.jpg",
    ),
]
IMPOSTOR = [
    (OBAMA, BIDEN),
    (
        "cmusatyalab+openface/images/examples/lennon-1.jpg",
        "cmusatyalab+openface/images/examples/clapton-1.jpg",
    ),
    (
        "davisking+dlib/examples/johns/John_Savage/000264_01099001.jpg",
        "davisking+dlib/examples/johns/John_Simm/000288_00470387.jpg",
    ),
]


@pytest.fixture(scope="module")
def analysed(face_image: LoadFace) -> Callable[[str], FaceAnalysis]:
    cache: dict[str, FaceAnalysis] = {}

    def get(name: str) -> FaceAnalysis:
        if name not in cache:
            cache[name] = analyse_face(face_image(name))
        return cache[name]

    return get


def test_pairs_are_in_the_shared_pairs(faces_dir: Path) -> None:
    with (faces_dir / "pairs.csv").open(newline="") as handle:
        labels = {(r["img_a"], r["img_b"]): r["same_person"] for r in csv.DictReader(handle)}
    for pair, label in [*((p, "1") for p in GENUINE), *((p, "0") for p in IMPOSTOR)]:
        assert labels.get(pair, labels.get(pair[::-1])) == label


@pytest.mark.parametrize("pair", GENUINE, ids=lambda p: p[0].split("/")[-1])
def test_same_person_scores_above_every_stranger_pair(
    analysed: Callable[[str], FaceAnalysis], pair: tuple[str, str]
) -> None:
    genuine = compare_analyses(analysed(pair[0]), analysed(pair[1]))
    strangers = [compare_analyses(analysed(a), analysed(b)) for a, b in IMPOSTOR]
    assert genuine.score is not None and all(s.score is not None for s in strangers)
    assert genuine.score > max(s.score for s in strangers if s.score is not None)


def test_clear_same_person_pair_matches(analysed: Callable[[str], FaceAnalysis]) -> None:
    # The operating points hold the named FAR for every group, which costs TAR (README: ~70% of
    # genuine pairs held out); this pair from dlib's set clears the default point.
    evidence = compare_analyses(analysed(GENUINE[2][0]), analysed(GENUINE[2][1]))
    assert evidence.outcome is FaceOutcome.MATCH
    assert evidence.match
    assert evidence.decision is Decision.PASS
    assert evidence.reasons == []
    signal = evidence.signals["face_similarity"]
    assert signal.passed and signal.threshold == OPERATING_POINTS[DEFAULT_OPERATING_POINT]


@pytest.mark.parametrize("pair", IMPOSTOR, ids=lambda p: p[0].split("/")[-1])
def test_different_people_do_not_match(
    analysed: Callable[[str], FaceAnalysis], pair: tuple[str, str]
) -> None:
    evidence = compare_analyses(analysed(pair[0]), analysed(pair[1]))
    assert evidence.outcome is FaceOutcome.NO_MATCH
    assert evidence.decision is Decision.FAIL
    assert [r.code for r in evidence.reasons] == ["face.no_match"]
    assert evidence.score is not None and evidence.score < evidence.threshold


def test_compare_faces_wraps_the_analyses(
    face_image: LoadFace, analysed: Callable[[str], FaceAnalysis]
) -> None:
    direct = compare_faces(face_image(OBAMA), face_image(BIDEN))
    assert direct == compare_analyses(analysed(OBAMA), analysed(BIDEN))


def test_no_face_in_either_image(face_image: LoadFace, analysed: Callable[[str], FaceAnalysis]) -> None:
    blank = analyse_face(blank_image())
    first = compare_analyses(blank, analysed(OBAMA))
    second = compare_analyses(analysed(OBAMA), blank)
    assert (first.outcome, second.outcome) == (FaceOutcome.NO_FACE_A, FaceOutcome.NO_FACE_B)
    assert first.decision is second.decision is Decision.FAIL
    assert first.faces == (0, 1) and second.faces == (1, 0)
    assert first.score is None and first.reasons[0].code == "face.no_face_a"


def test_several_faces_are_reported(analysed: Callable[[str], FaceAnalysis]) -> None:
    evidence = compare_analyses(analysed(TWO_PEOPLE), analysed(OBAMA))
    assert evidence.multiple_faces
    assert evidence.faces[0] >= 2 and evidence.faces[1] == 1
    assert "face.multiple_faces" in [r.code for r in evidence.reasons]


@pytest.mark.parametrize(("scale", "quality"), [(1.0, 95), (0.6, 70), (0.35, 50)])
def test_same_photo_resized_and_reencoded_is_identical_images(
    face_image: LoadFace, analysed: Callable[[str], FaceAnalysis], scale: float, quality: int
) -> None:
    copy = analyse_face(reencode(face_image(OBAMA), scale=scale, quality=quality))
    evidence = compare_analyses(analysed(OBAMA), copy)
    assert evidence.outcome is FaceOutcome.IDENTICAL_IMAGES
    assert evidence.decision is Decision.FAIL
    assert [r.code for r in evidence.reasons] == ["face.identical_images"]


def test_pixel_identical_images(face_image: LoadFace) -> None:
    bgr = face_image(OBAMA_2)
    assert compare_faces(bgr, bgr.copy()).outcome is FaceOutcome.IDENTICAL_IMAGES


def test_a_cropped_copy_is_identical_images(
    face_image: LoadFace, analysed: Callable[[str], FaceAnalysis]
) -> None:
    bgr = face_image(OBAMA)
    face = analysed(OBAMA).primary
    assert face is not None
    left, top, right, bottom = face.box
    crop = np.ascontiguousarray(bgr[max(0, top - 150) : bottom + 150, max(0, left - 150) : right + 150])
    assert compare_analyses(analysed(OBAMA), analyse_face(crop)).outcome is FaceOutcome.IDENTICAL_IMAGES


def test_other_photo_of_same_person_is_not_identical(analysed: Callable[[str], FaceAnalysis]) -> None:
    evidence = compare_analyses(analysed(OBAMA), analysed(OBAMA_2))
    assert evidence.outcome is not FaceOutcome.IDENTICAL_IMAGES and evidence.score is not None


def test_operating_points_are_ordered_and_selectable(analysed: Callable[[str], FaceAnalysis]) -> None:
    assert DEFAULT_OPERATING_POINT in OPERATING_POINTS
    assert OPERATING_POINTS["far_1e-4"] >= OPERATING_POINTS["far_1e-3"]
    strict = compare_analyses(analysed(OBAMA), analysed(OBAMA_2), operating_point="far_1e-4")
    assert strict.threshold == OPERATING_POINTS["far_1e-4"]
    assert strict.operating_point == "far_1e-4"


def test_unknown_operating_point_is_refused(analysed: Callable[[str], FaceAnalysis]) -> None:
    with pytest.raises(ValueError, match="operating point"):
        compare_analyses(analysed(OBAMA), analysed(OBAMA_2), operating_point="far_0")


def test_similarity_is_one_minus_distance() -> None:
    a, b = np.zeros(128), np.zeros(128)
    b[0] = 0.3
    assert similarity(a, b) == pytest.approx(0.7)
    assert similarity(a, a) == 1.0


def test_evidence_serialises(analysed: Callable[[str], FaceAnalysis]) -> None:
    evidence = compare_analyses(analysed(OBAMA), analysed(BIDEN))
    again = FaceMatchEvidence.model_validate_json(evidence.model_dump_json())
    assert again == evidence


@pytest.mark.slow
def test_shared_pairs_hold_the_named_far_at_the_default_operating_point(
    faces_dir: Path, analysed: Callable[[str], FaceAnalysis]
) -> None:
    """FAR <= 0.1% over every shared pair, and the TAR measured there (a missing face is a non-match).

    The default point is calibrated to hold its FAR for every demographic group on all the
    benchmark's material (East-Asian and Black strangers score highest); on the shared pairs that
    rejects about a quarter of genuine pairs (223/307 accepted when calibrated). The target is
    TAR >= 98%: benchmarks/face_bench.py and the README say how far the models are from it."""
    with (faces_dir / "pairs.csv").open(newline="") as handle:
        pairs = [(r["img_a"], r["img_b"], r["same_person"] == "1") for r in csv.DictReader(handle)]
    threshold = OPERATING_POINTS[DEFAULT_OPERATING_POINT]
    accepted = {True: 0, False: 0}
    totals = {True: 0, False: 0}
    for name_a, name_b, same in pairs:
        a, b = analysed(name_a), analysed(name_b)
        totals[same] += 1
        # Scores, not outcomes: a few genuine pairs in dlib's set are one photo, which compare
        # rightly reports as identical_images; the target is about the score's threshold.
        score = match_score(a, b)
        if score is not None:
            accepted[same] += score >= threshold
    assert totals == {True: 307, False: 1353}
    assert accepted[False] / totals[False] <= 0.001
    assert accepted[True] / totals[True] >= 0.70


def test_match_score_is_the_mobilenet_cosine(analysed: Callable[[str], FaceAnalysis]) -> None:
    a, b = analysed(OBAMA), analysed(BIDEN)
    assert a.mobilenet is not None and b.mobilenet is not None
    evidence = compare_analyses(a, b)
    assert evidence.score == pytest.approx(float(a.mobilenet @ b.mobilenet), abs=1e-6)
    assert match_score(a, analyse_face(blank_image())) is None


def test_the_enrolled_selfie_matches_its_own_enrolment_embedding(
    analysed: Callable[[str], FaceAnalysis],
) -> None:
    """A re-verification compares the enrolled selfie with the embedding stored from it: the same
    photograph is the point, so it matches (compared with its own image it is a replay)."""
    obama = analysed(OBAMA)
    assert obama.embedding is not None
    evidence = compare_with_enrolled_embedding(obama, obama.embedding.copy())
    assert evidence.outcome is FaceOutcome.MATCH and evidence.decision is Decision.PASS
    assert evidence.score == pytest.approx(1.0) and evidence.reasons == []
    assert evidence.operating_point == ENROLLED_EMBEDDING_POINT
    assert evidence.threshold == ENROLLED_EMBEDDING_MIN_SIMILARITY
    assert compare_analyses(obama, obama).outcome is FaceOutcome.IDENTICAL_IMAGES


def test_an_enrolled_selfie_that_is_not_the_face_enrolled_does_not_match(
    analysed: Callable[[str], FaceAnalysis],
) -> None:
    biden = analysed(BIDEN).embedding
    assert biden is not None
    evidence = compare_with_enrolled_embedding(analysed(OBAMA), biden)
    assert evidence.outcome is FaceOutcome.NO_MATCH and evidence.decision is Decision.FAIL
    assert [r.code for r in evidence.reasons] == ["face.enrolled_embedding_mismatch"]
    assert evidence.score is not None and evidence.score < ENROLLED_EMBEDDING_MIN_SIMILARITY


def test_an_enrolment_embedding_of_another_shape_or_no_face_cannot_be_compared(
    analysed: Callable[[str], FaceAnalysis],
) -> None:
    unusable = compare_with_enrolled_embedding(analysed(OBAMA), np.full(512, 0.1))
    assert unusable.outcome is FaceOutcome.NO_FACE_B and unusable.score is None
    assert [r.code for r in unusable.reasons] == ["face.enrolled_embedding_unusable"]
    no_face = compare_with_enrolled_embedding(analyse_face(blank_image()), np.zeros(128))
    assert no_face.outcome is FaceOutcome.NO_FACE_A and no_face.decision is Decision.FAIL
