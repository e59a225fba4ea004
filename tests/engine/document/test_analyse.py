"""End-to-end document analysis on synthetic documents photographed badly, and on specimens.

Each case runs OCR once (seconds on a shared CPU), so cases are few and marked slow.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from numpy.typing import NDArray

from openkyc.engine.document import analyse as analyse_module
from openkyc.engine.document.analyse import analyse_document
from openkyc.engine.document.classify import DocumentKind
from openkyc.engine.document.consistency import FieldStatus
from openkyc.engine.document.mrz.parse import parse_mrz
from openkyc.engine.document.mrz.read import MrzReading
from openkyc.engine.evidence import Decision
from openkyc.engine.face.compare import FaceOutcome
from openkyc.engine.images.decode import load_image
from testkit.documents import (
    DocumentSpec,
    mrz_lines,
    photocopy,
    place_on_background,
    render_document,
    rotate90,
)
from tests.engine.document.conftest import upload

TODAY = date(2025, 6, 15)
CARD = DocumentSpec(kind="identity_card", mrz_type="TD1", title="IDENTITY CARD", seed=4)
LICENCE = DocumentSpec(kind="driving_licence", mrz_type=None, title="DRIVING LICENCE", seed=5)

pytestmark = pytest.mark.slow


def codes(evidence: Any) -> list[str]:
    return [reason.code for reason in evidence.reasons]


def test_card_upside_down_on_a_desk(portrait: NDArray[Any], same_person_selfie: NDArray[Any]) -> None:
    photo = place_on_background(
        render_document(CARD, portrait_bgr=portrait, long_side=1500), angle_deg=185, perspective=0.04
    )
    evidence = analyse_document(
        upload(photo), selfie_bgr=same_person_selfie, declared_id_type="IDENTITY_CARD", today=TODAY
    )
    assert evidence.locate.found
    assert evidence.locate.orientation_source in {"mrz", "face"}
    assert evidence.locate.rotation == 2
    assert evidence.kind.kind is DocumentKind.IDENTITY_CARD
    assert evidence.kind_matches_declared is True
    assert evidence.visual_zone.value("surname") == "ERIKSSON"
    assert evidence.expiry.expired is False and evidence.age.age == 50
    assert evidence.portrait.found
    assert evidence.face_match is not None and evidence.face_match.outcome is FaceOutcome.MATCH
    assert "document.kind_mismatch" not in codes(evidence)
    # The cropped image is available but kept out of JSON.
    assert evidence.image.shape[1] > evidence.image.shape[0]
    assert "image" not in json.loads(evidence.model_dump_json())["locate"]


def test_expired_minor_licence_declared_as_passport(
    portrait: NDArray[Any], other_person_selfie: NDArray[Any]
) -> None:
    spec = DocumentSpec(
        kind="driving_licence",
        mrz_type=None,
        title="DRIVING LICENCE",
        birth_date=date(2010, 3, 1),
        expiry_date=date(2024, 1, 31),
        seed=6,
    )
    photo = rotate90(
        place_on_background(render_document(spec, portrait_bgr=portrait, long_side=1500), angle_deg=-6), 1
    )
    evidence = analyse_document(
        upload(photo), selfie_bgr=other_person_selfie, declared_id_type="PASSPORT", today=TODAY
    )
    assert evidence.kind.kind is DocumentKind.DRIVING_LICENCE
    assert evidence.kind_matches_declared is False
    assert evidence.mrz is None
    found = codes(evidence)
    for code in ("document.kind_mismatch", "document.under_18", "document.expired", "face.no_match"):
        assert code in found
    assert evidence.decision is Decision.FAIL
    assert evidence.expiry.source == "visual_zone"


def test_photocopy(portrait: NDArray[Any]) -> None:
    page = render_document(CARD, portrait_bgr=portrait, long_side=1500)
    evidence = analyse_document(upload(place_on_background(photocopy(page), angle_deg=4)), today=TODAY)
    assert evidence.photocopy.photocopy
    assert "document.photocopy" in codes(evidence)
    assert evidence.decision is not Decision.PASS


def test_edited_visual_zone_disagrees_with_the_mrz(
    portrait: NDArray[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The printed surname and birth date were changed; the MRZ still tells the truth.

    The MRZ reading is stubbed with the true lines so that this test is about the wiring of
    analyse (OCR shared with the visual zone, consistency, reasons), not the MRZ reader's accuracy.
    """
    truthful = DocumentSpec(kind="identity_card", mrz_type="TD1", title="IDENTITY CARD", seed=7)
    forged = DocumentSpec(**{**truthful.__dict__, "surname": "LINDQVIST", "birth_date": date(1990, 1, 1)})
    photo = place_on_background(render_document(forged, portrait_bgr=portrait, long_side=1500), angle_deg=4)

    def true_mrz(bgr: NDArray[Any], *, today: Any = None) -> MrzReading:
        height, width = bgr.shape[:2]
        band = [
            (0.0, height * 0.75),
            (float(width), height * 0.75),
            (float(width), float(height)),
            (0.0, float(height)),
        ]
        lines = mrz_lines(truthful)
        return MrzReading(result=parse_mrz(lines), lines=lines, region=band, rotation=0, confidence=1.0)

    monkeypatch.setattr(analyse_module, "read_mrz", true_mrz)
    evidence = analyse_document(upload(photo), declared_id_type="NATIONAL_ID", today=TODAY)
    assert evidence.consistency is not None
    statuses = {name: check.status for name, check in evidence.consistency.fields.items()}
    assert statuses["surname"] is FieldStatus.DISAGREE
    assert statuses["birth_date"] is FieldStatus.DISAGREE
    assert statuses["document_number"] is FieldStatus.AGREE
    assert "document.mrz_viz_mismatch" in codes(evidence)
    assert evidence.mrz_side == "front"
    assert evidence.decision is Decision.REVIEW


def test_shared_specimen_passport(docs_dir: Path) -> None:
    image = load_image(docs_dir / "konstantint+PassportEye/tests/data/passport-td3.png")
    evidence = analyse_document(image, declared_id_type="PASSPORT", today=TODAY)
    assert evidence.kind.kind is DocumentKind.PASSPORT
    assert evidence.kind_matches_declared is not False
    assert evidence.image_spec.meets_spec is False  # 1334 px: below the 2200 px passport spec
    assert "document.image_resolution_below_spec" in codes(evidence)
    assert evidence.portrait.found
