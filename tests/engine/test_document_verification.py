from __future__ import annotations

from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.engine.document_verification import assess_document_verification
from openkyc.engine.evidence import Decision
from openkyc.engine.face.compare import FaceOutcome
from openkyc.engine.images import load_image
from openkyc.engine.images.decode import DecodedImage
from testkit.documents import DocumentSpec, render_document

pytestmark = pytest.mark.slow


def decoded(bgr: NDArray[np.uint8]) -> DecodedImage:
    ok, buffer = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return load_image(buffer.tobytes())


@pytest.fixture(scope="module")
def passport(examples: Path) -> DecodedImage:
    portrait = cv2.imread(str(examples / "knn_examples" / "train" / "obama" / "obama2.jpg"))
    spec = DocumentSpec(surname="OBAMA", given_names="BARACK", sex="M", expiry_date=date(2031, 1, 1))
    return decoded(render_document(spec, portrait_bgr=portrait))


def test_holder_selfie_matches_the_portrait(passport: DecodedImage, examples: Path) -> None:
    evidence = assess_document_verification(
        passport,
        load_image(examples / "knn_examples" / "test" / "obama1.jpg"),
        declared_id_type="PASSPORT",
        today=date(2026, 11, 22),
    )
    match = evidence.document.face_match
    assert match is not None and match.outcome is FaceOutcome.MATCH
    assert evidence.selfie.face.faces == 1
    assert set(evidence.timings_ms) == {"selfie", "document"}
    assert "face.no_match" not in {r.code for r in evidence.reasons}


def test_someone_else_presenting_the_document_fails(passport: DecodedImage, examples: Path) -> None:
    evidence = assess_document_verification(
        passport, load_image(examples / "biden.jpg"), declared_id_type="PASSPORT", today=date(2026, 11, 22)
    )
    match = evidence.document.face_match
    assert match is not None and match.outcome is FaceOutcome.NO_MATCH
    assert evidence.decision is Decision.FAIL
    assert "face.no_match" in {r.code for r in evidence.reasons}
