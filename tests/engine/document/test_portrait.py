from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.engine.document.portrait import check_portrait, find_portrait
from openkyc.engine.evidence import Decision
from openkyc.engine.face.compare import FaceOutcome
from testkit.documents import DocumentSpec, render_document

CARD = DocumentSpec(kind="identity_card", mrz_type="TD1", title="IDENTITY CARD")


def test_portrait_matches_the_same_person(portrait: NDArray[Any], same_person_selfie: NDArray[Any]) -> None:
    document = render_document(CARD, portrait_bgr=portrait, long_side=1200)
    faces = find_portrait(document)
    assert faces
    right = faces[0].box[2]
    # The portrait sits in the left third of the card.
    assert right < document.shape[1] * 0.4
    evidence = check_portrait(document, same_person_selfie, document_faces=faces)
    assert evidence.found
    assert evidence.match is not None and evidence.match.outcome is FaceOutcome.MATCH
    assert evidence.decision is Decision.PASS


def test_other_person_does_not_match(portrait: NDArray[Any], other_person_selfie: NDArray[Any]) -> None:
    document = render_document(CARD, portrait_bgr=portrait, long_side=1200)
    evidence = check_portrait(document, other_person_selfie)
    assert evidence.decision is Decision.FAIL
    assert "face.no_match" in [r.code for r in evidence.reasons]


def test_no_portrait_is_a_reason(same_person_selfie: NDArray[Any]) -> None:
    document = render_document(CARD, portrait_bgr=None, long_side=1200)
    evidence = check_portrait(document, same_person_selfie)
    assert not evidence.found
    assert evidence.match is None
    assert [r.code for r in evidence.reasons] == ["document.no_portrait"]


def test_without_selfie_only_finds(portrait: NDArray[Any]) -> None:
    document = render_document(CARD, portrait_bgr=portrait, long_side=1200)
    evidence = check_portrait(document)
    assert evidence.found and evidence.match is None and evidence.decision is Decision.PASS
    assert find_portrait(np.full((300, 480, 3), 200, np.uint8)) == []


def test_an_analysed_selfie_is_not_analysed_again(
    portrait: NDArray[Any], same_person_selfie: NDArray[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from openkyc.engine.document import portrait as portrait_module
    from openkyc.engine.face.analyse import analyse_face

    selfie = analyse_face(same_person_selfie)
    analysed: list[int] = []

    def counting(bgr: NDArray[Any], **kwargs: Any) -> Any:
        analysed.append(bgr.shape[0])
        return analyse_face(bgr, **kwargs)

    monkeypatch.setattr(portrait_module, "analyse_face", counting)
    document = render_document(DocumentSpec(), portrait_bgr=portrait)
    evidence = check_portrait(document, same_person_selfie, selfie_analysis=selfie)
    assert evidence.match is not None and evidence.match.outcome is FaceOutcome.MATCH
    assert analysed == [document.shape[0]]  # the document only
