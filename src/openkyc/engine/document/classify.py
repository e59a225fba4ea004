"""What kind of document this is, and whether that is what the partner said it would be.

Three sources, strongest first: the MRZ document code (ICAO 9303: P passport, V visa, I/A/C
identity cards, with AR/IR/... for residence permits), the title printed on the document in one of
several languages, and the document's proportions (ID-1 card or passport page), which alone only
hint. The partner's ``id_type`` is only contradicted when the evidence is confident: a false
"wrong document type" would reject a genuine customer.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from openkyc.engine.document.text import compact, fuzzy_find, words
from openkyc.engine.evidence import Decision, Evidence, Reason, Signal


class DocumentKind(StrEnum):
    PASSPORT = "passport"
    IDENTITY_CARD = "identity_card"
    DRIVING_LICENCE = "driving_licence"
    RESIDENCE_PERMIT = "residence_permit"
    VISA = "visa"
    UNKNOWN = "unknown"


# Physical proportions (long side / short side) of the formats ICAO 9303 and ISO/IEC 7810 define.
ID1_RATIO = 85.6 / 54.0  # TD1: identity cards, driving licences, residence cards
TD2_RATIO = 105.0 / 74.0
TD3_RATIO = 125.0 / 88.0  # passport data page
# Below this confidence a kind is reported but never used to contradict the partner.
MIN_CONFIDENCE_TO_CONTRADICT = 0.6

# Confidence each source lends its kind.
_MRZ_CONFIDENCE = 0.95
_MRZ_INVALID_CONFIDENCE = 0.8  # the code was read but the check digits disagree: OCR may be off
_KEYWORD_CONFIDENCE = 0.8
_RATIO_CONFIDENCE = 0.3

# Titles printed on documents, already folded (upper case, no accents) and compacted (OCR drops
# spaces, so "CARTE D'IDENTITE" is looked for as "CARTEDIDENTITE").
KEYWORDS: dict[DocumentKind, tuple[str, ...]] = {
    DocumentKind.PASSPORT: (
        "PASSPORT",
        "PASSEPORT",
        "REISEPASS",
        "PASAPORTE",
        "PASSAPORTE",
        "PASSAPORTO",
        "PASPOORT",
        "PASZPORT",
        "PASSIPORTTI",
    ),
    DocumentKind.IDENTITY_CARD: (
        "IDENTITYCARD",
        "NATIONALIDENTITY",
        "NATIONALIDCARD",
        "IDENTIFICATIONCARD",
        "IDCARD",
        "CARTENATIONALEDIDENTITE",
        "CARTEDIDENTITE",
        "PERSONALAUSWEIS",
        "DOCUMENTONACIONALDEIDENTIDAD",
        "CEDULADEIDENTIDAD",
        "CARTADIDENTITA",
        "CARTAODECIDADAO",
        "BILHETEDEIDENTIDADE",
        "IDENTITEITSKAART",
        "DOWODOSOBISTY",
        "HENKILOKORTTI",
        "IDENTITETSKORT",
    ),
    DocumentKind.DRIVING_LICENCE: (
        "DRIVINGLICENCE",
        "DRIVINGLICENSE",
        "DRIVERLICENSE",
        "DRIVERSLICENSE",
        "DRIVERLICENCE",
        "DRIVERSLICENCE",
        "PERMISDECONDUIRE",
        "FUHRERSCHEIN",
        "FUEHRERSCHEIN",
        "PERMISODECONDUCCION",
        "PERMISODECONDUCIR",
        "LICENCIADECONDUCIR",
        "LICENCIADECONDUCCION",
        "PATENTEDIGUIDA",
        "RIJBEWIJS",
        "CARTADECONDUCAO",
        "PRAWOJAZDY",
        "AJOKORTTI",
        "KORKORT",
    ),
    DocumentKind.RESIDENCE_PERMIT: (
        "RESIDENCEPERMIT",
        "RESIDENTPERMIT",
        "RESIDENCECARD",
        "PERMANENTRESIDENT",
        "TITREDESEJOUR",
        "AUFENTHALTSTITEL",
        "AUFENTHALTSERLAUBNIS",
        "PERMISODERESIDENCIA",
        "TARJETADERESIDENCIA",
        "PERMESSODISOGGIORNO",
        "VERBLIJFSVERGUNNING",
        "AUTORIZACAODERESIDENCIA",
        "KARTAPOBYTU",
    ),
    DocumentKind.VISA: ("VISA", "VISUM", "VISTO", "WIZA"),
}
# Short keywords ("VISA", "VISTO") are only trusted as whole words, never inside a longer word
# ("ADVISABLE"); long ones tolerate one OCR slip. Titles are printed large, so OCR rarely errs more.
_WHOLE_WORD_BELOW = 6
_FUZZY_FROM = 9


class KindEvidence(Evidence):
    kind: DocumentKind
    confidence: float
    # Where the kind came from: "mrz", "keyword", "proportions" or "none".
    source: str
    mrz_code: str | None = None
    keyword: str | None = None
    aspect_ratio: float | None = None


def kind_from_mrz_code(code: str) -> DocumentKind:
    """The kind an ICAO 9303 document code names ("P<", "ID", "I<", "AR", "V<", "C1", ...)."""
    code = code.upper().replace("<", " ").strip()
    if not code:
        return DocumentKind.UNKNOWN
    first, second = code[0], code[1:2]
    if first == "P":
        return DocumentKind.PASSPORT
    if first == "V":
        return DocumentKind.VISA
    if first == "D":  # ISO/IEC 18013 driving licences that carry an MRZ
        return DocumentKind.DRIVING_LICENCE
    if first in "IAC":
        # Residence permits take R as the second letter (EU: "IR", "AR"; some states "CR").
        return DocumentKind.RESIDENCE_PERMIT if second == "R" else DocumentKind.IDENTITY_CARD
    return DocumentKind.UNKNOWN


def kind_from_keywords(texts: Iterable[str]) -> tuple[DocumentKind, str] | None:
    """The kind named by a title in the OCR text, with the keyword that named it.

    Exact hits beat fuzzy ones, then longer (more specific) keywords win: "RESIDENCE PERMIT"
    beats a generic "ID CARD" on the same residence card.
    """
    candidates: list[tuple[int, int, DocumentKind, str]] = []
    for line in texts:
        line_compact = compact(line)
        line_words = set(words(line).split())
        for kind, keywords in KEYWORDS.items():
            for keyword in keywords:
                if len(keyword) < _WHOLE_WORD_BELOW:
                    hit = keyword in line_words
                    distance = 0
                else:
                    found = fuzzy_find(keyword, line_compact, limit=1 if len(keyword) >= _FUZZY_FROM else 0)
                    hit, distance = found is not None, found or 0
                if hit:
                    candidates.append((-distance, len(keyword), kind, keyword))
    if not candidates:
        return None
    _, _, kind, keyword = max(candidates, key=lambda c: (c[0], c[1]))
    return kind, keyword


def kind_from_proportions(aspect_ratio: float) -> DocumentKind:
    """ID-1 cards are 1.585:1, passport pages 1.42:1; anything else says nothing."""
    ratio = aspect_ratio if aspect_ratio >= 1 else 1 / aspect_ratio
    if abs(ratio - ID1_RATIO) <= 0.06:
        return DocumentKind.IDENTITY_CARD
    if abs(ratio - TD3_RATIO) <= 0.05:
        return DocumentKind.PASSPORT
    return DocumentKind.UNKNOWN


def classify_document(
    *,
    mrz_code: str | None = None,
    mrz_valid: bool = True,
    ocr_texts: Iterable[str] = (),
    aspect_ratio: float | None = None,
) -> KindEvidence:
    """Decide the document kind from the MRZ code, printed titles and proportions."""
    keyword_hit = kind_from_keywords(ocr_texts)
    mrz_kind = kind_from_mrz_code(mrz_code) if mrz_code else DocumentKind.UNKNOWN
    ratio_kind = kind_from_proportions(aspect_ratio) if aspect_ratio else DocumentKind.UNKNOWN

    kind, confidence, source = DocumentKind.UNKNOWN, 0.0, "none"
    if mrz_kind is not DocumentKind.UNKNOWN:
        kind, source = mrz_kind, "mrz"
        confidence = _MRZ_CONFIDENCE if mrz_valid else _MRZ_INVALID_CONFIDENCE
        if keyword_hit is not None and keyword_hit[0] is mrz_kind:
            confidence = min(0.99, confidence + 0.04)
        elif keyword_hit is not None and not _compatible_titles(mrz_kind, keyword_hit[0]):
            # The zone and the title disagree: still trust the MRZ, but less.
            confidence -= 0.2
    elif keyword_hit is not None:
        kind, source, confidence = keyword_hit[0], "keyword", _KEYWORD_CONFIDENCE
        if ratio_kind is not DocumentKind.UNKNOWN and not _fits_format(kind, ratio_kind):
            confidence -= 0.15
    elif ratio_kind is not DocumentKind.UNKNOWN:
        kind, source, confidence = ratio_kind, "proportions", _RATIO_CONFIDENCE

    signal = Signal.measure(
        confidence, MIN_CONFIDENCE_TO_CONTRADICT, detail=f"kind {kind.value} from {source}"
    )
    reasons = []
    if kind is DocumentKind.UNKNOWN:
        reasons.append(
            Reason(code="document.kind_unknown", message="the document type could not be recognised")
        )
    return KindEvidence(
        decision=Decision.PASS if kind is not DocumentKind.UNKNOWN else Decision.REVIEW,
        reasons=reasons,
        signals={"kind_confidence": signal},
        kind=kind,
        confidence=round(confidence, 3),
        source=source,
        mrz_code=mrz_code,
        keyword=keyword_hit[1] if keyword_hit else None,
        aspect_ratio=round(aspect_ratio, 4) if aspect_ratio else None,
    )


def _compatible_titles(mrz_kind: DocumentKind, title_kind: DocumentKind) -> bool:
    # Residence cards are identity cards in MRZ terms, and many carry both titles.
    cards = {DocumentKind.IDENTITY_CARD, DocumentKind.RESIDENCE_PERMIT}
    return mrz_kind is title_kind or {mrz_kind, title_kind} <= cards


def _fits_format(kind: DocumentKind, ratio_kind: DocumentKind) -> bool:
    if ratio_kind is DocumentKind.PASSPORT:
        return kind in {DocumentKind.PASSPORT, DocumentKind.VISA}
    return kind is not DocumentKind.PASSPORT


# What each partner-declared id_type (the Smile ID document-verification spellings) may be.
# Cards whose kind the engine cannot tell apart (voter, tax, health cards...) are only contradicted
# by a document that is clearly something else: a passport, a visa or a driving licence.
_CARD_KINDS = frozenset({DocumentKind.IDENTITY_CARD, DocumentKind.RESIDENCE_PERMIT})
_GENERIC_CARD = frozenset({DocumentKind.IDENTITY_CARD, DocumentKind.RESIDENCE_PERMIT, DocumentKind.UNKNOWN})
ID_TYPE_KINDS: dict[str, frozenset[DocumentKind]] = {
    "PASSPORT": frozenset({DocumentKind.PASSPORT}),
    "DRIVERS_LICENSE": frozenset({DocumentKind.DRIVING_LICENCE}),
    "IDENTITY_CARD": _CARD_KINDS,
    "NATIONAL_ID": _CARD_KINDS,
    "NATIONAL_ID_NO_PHOTO": _CARD_KINDS,
    "CITIZEN_ID": _CARD_KINDS,
    "GHANA_CARD": _CARD_KINDS,
    "RESIDENT_ID": _CARD_KINDS,
    "ALIEN_CARD": _CARD_KINDS,
    "WORK_PERMIT": _CARD_KINDS,
    # Border-crossing documents and visas: visas, travel documents (booklets) and border cards.
    "TRAVEL_DOC": frozenset({DocumentKind.VISA, DocumentKind.PASSPORT, DocumentKind.IDENTITY_CARD}),
    "VOTER_ID": _GENERIC_CARD,
    "NEW_VOTER_ID": _GENERIC_CARD,
    "HEALTH_CARD": _GENERIC_CARD,
    "SOCIAL_ID": _GENERIC_CARD,
    "TAX_ID": _GENERIC_CARD,
    "SEAMANS_ID": _GENERIC_CARD | {DocumentKind.PASSPORT},  # seaman's books are booklets
    "UNIFORMED_SERVICES_CARD": _GENERIC_CARD,
    "OCCUPATION_CARD": _GENERIC_CARD,
    "REGISTRATION_CERTIFICATE": _GENERIC_CARD,
    "TRADE_LICENSE": _GENERIC_CARD,
}


def kind_matches_id_type(kind: DocumentKind | str, id_type: str, *, confidence: float = 1.0) -> bool | None:
    """Whether a document of ``kind`` can be the partner-declared ``id_type``.

    None when it cannot be judged: the kind is unknown, the id_type is not one the engine knows,
    or ``confidence`` is too low to contradict the partner.
    """
    kind = DocumentKind(kind)
    allowed = ID_TYPE_KINDS.get(id_type.strip().upper())
    if allowed is None or kind is DocumentKind.UNKNOWN:
        return None
    if kind in allowed:
        return True
    if confidence < MIN_CONFIDENCE_TO_CONTRADICT:
        return None
    return False
