from __future__ import annotations

import pytest

from openkyc.engine.document.classify import (
    ID1_RATIO,
    TD3_RATIO,
    DocumentKind,
    classify_document,
    kind_from_keywords,
    kind_from_mrz_code,
    kind_matches_id_type,
)
from openkyc.engine.evidence import Decision


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("P<", DocumentKind.PASSPORT),
        ("PD", DocumentKind.PASSPORT),
        ("ID", DocumentKind.IDENTITY_CARD),
        ("I<", DocumentKind.IDENTITY_CARD),
        ("IA", DocumentKind.IDENTITY_CARD),
        ("C1", DocumentKind.IDENTITY_CARD),
        ("AR", DocumentKind.RESIDENCE_PERMIT),
        ("IR", DocumentKind.RESIDENCE_PERMIT),
        ("V<", DocumentKind.VISA),
        ("VC", DocumentKind.VISA),
        ("D<", DocumentKind.DRIVING_LICENCE),
        ("<<", DocumentKind.UNKNOWN),
        ("X1", DocumentKind.UNKNOWN),
    ],
)
def test_kind_from_mrz_code(code: str, kind: DocumentKind) -> None:
    assert kind_from_mrz_code(code) is kind


@pytest.mark.parametrize(
    ("texts", "kind"),
    [
        (["REPUBLIC OF UTOPIA", "PASSPORT"], DocumentKind.PASSPORT),
        (["PASSEPORT / PASSPORT"], DocumentKind.PASSPORT),
        (["BUNDESREPUBLIK DEUTSCHLAND", "REISEPASS"], DocumentKind.PASSPORT),
        (["PASAPORTE"], DocumentKind.PASSPORT),
        (["IDENTITYCARD"], DocumentKind.IDENTITY_CARD),
        (["CARTE NATIONALE D'IDENTITÉ"], DocumentKind.IDENTITY_CARD),
        (["PERSONALAUSWEIS"], DocumentKind.IDENTITY_CARD),
        (["DOCUMENTO NACIONAL DE IDENTIDAD"], DocumentKind.IDENTITY_CARD),
        (["DRIVING LICENCE"], DocumentKind.DRIVING_LICENCE),
        (["DRIVER LICENSE", "CALIFORNIA"], DocumentKind.DRIVING_LICENCE),
        (["PERMIS DE CONDUIRE"], DocumentKind.DRIVING_LICENCE),
        (["FÜHRERSCHEIN"], DocumentKind.DRIVING_LICENCE),
        (["RESIDENCE PERMIT"], DocumentKind.RESIDENCE_PERMIT),
        (["TITRE DE SÉJOUR"], DocumentKind.RESIDENCE_PERMIT),
        (["VISA", "UNITED STATES OF AMERICA"], DocumentKind.VISA),
        # One OCR slip in a long title is tolerated.
        (["DRIVINGLICFNCE"], DocumentKind.DRIVING_LICENCE),
    ],
)
def test_kind_from_keywords(texts: list[str], kind: DocumentKind) -> None:
    found = kind_from_keywords(texts)
    assert found is not None
    assert found[0] is kind


def test_keywords_ignore_lookalike_words() -> None:
    # "NATIONALITY" is printed on passports: it must not read as "national identity".
    assert kind_from_keywords(["NATIONALITY", "SURNAME"]) is None
    # Short keywords only as whole words.
    assert kind_from_keywords(["ADVISABLE", "VISAGE"]) is None


def test_mrz_beats_keywords_and_proportions() -> None:
    evidence = classify_document(mrz_code="P<", ocr_texts=["PASSPORT"], aspect_ratio=TD3_RATIO)
    assert evidence.kind is DocumentKind.PASSPORT
    assert evidence.source == "mrz"
    assert evidence.confidence > 0.95
    assert evidence.decision is Decision.PASS


def test_invalid_mrz_lowers_confidence() -> None:
    valid = classify_document(mrz_code="ID")
    invalid = classify_document(mrz_code="ID", mrz_valid=False)
    assert invalid.confidence < valid.confidence


def test_proportions_alone_only_hint() -> None:
    evidence = classify_document(aspect_ratio=ID1_RATIO)
    assert evidence.kind is DocumentKind.IDENTITY_CARD
    assert evidence.source == "proportions"
    assert not evidence.signals["kind_confidence"].passed
    # Too weak to contradict a partner who says it is a driving licence.
    assert kind_matches_id_type(evidence.kind, "DRIVERS_LICENSE", confidence=evidence.confidence) is None


def test_nothing_known_is_unknown() -> None:
    evidence = classify_document(ocr_texts=["HELLO WORLD"], aspect_ratio=2.5)
    assert evidence.kind is DocumentKind.UNKNOWN
    assert evidence.decision is Decision.REVIEW
    assert [r.code for r in evidence.reasons] == ["document.kind_unknown"]


@pytest.mark.parametrize(
    ("kind", "id_type", "expected"),
    [
        (DocumentKind.PASSPORT, "PASSPORT", True),
        (DocumentKind.DRIVING_LICENCE, "PASSPORT", False),
        (DocumentKind.PASSPORT, "DRIVERS_LICENSE", False),
        (DocumentKind.IDENTITY_CARD, "NATIONAL_ID", True),
        (DocumentKind.IDENTITY_CARD, "IDENTITY_CARD", True),
        (DocumentKind.RESIDENCE_PERMIT, "RESIDENT_ID", True),
        (DocumentKind.IDENTITY_CARD, "PASSPORT", False),
        (DocumentKind.VISA, "TRAVEL_DOC", True),
        (DocumentKind.DRIVING_LICENCE, "VOTER_ID", False),
        (DocumentKind.IDENTITY_CARD, "VOTER_ID", True),
        (DocumentKind.UNKNOWN, "PASSPORT", None),
        (DocumentKind.PASSPORT, "SOMETHING_NEW", None),
        ("passport", "passport", True),
    ],
)
def test_kind_matches_id_type(kind: DocumentKind | str, id_type: str, expected: bool | None) -> None:
    assert kind_matches_id_type(kind, id_type) is expected
