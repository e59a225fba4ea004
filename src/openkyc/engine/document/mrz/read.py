"""Finding and reading the MRZ of a document image.

1. :mod:`.band` finds blocks of two or three long, parallel, equally spaced lines (any size, any
   angle) and cuts each line out level.
2. Each block is read both ways up, and as each format its line count allows (three lines: TD1,
   3 x 30; two lines: 2 x 36 or 2 x 44), by :mod:`.recognise` (a per-cell OCR-B classifier),
   which gives every cell a probability for each of the 37 MRZ characters.
3. :mod:`.decode` turns the probabilities into lines under the format's character classes,
   repairs doubtful cells only where the check digits single out one cheap change, and reports
   every change with the recogniser's probabilities.
4. The best reading wins: sound structure and check digits first, then the recogniser's
   confidence. Blocks are read most regular first, and reading stops at a valid, confident one.

A block is reported as an MRZ only when its reading looks like one (:func:`_plausible`): enough
check digits hold, or the recogniser is sure of a structurally sound reading. Otherwise there is
no MRZ (a driving licence, a photo of something else).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from openkyc.engine.document.mrz.band import Band, find_bands
from openkyc.engine.document.mrz.countries import is_country_code
from openkyc.engine.document.mrz.decode import REPAIR_REASONS, Decoded, decode, structural_problems
from openkyc.engine.document.mrz.parse import MRZ_SHAPES, MrzResult, MrzType
from openkyc.engine.document.mrz.recognise import read_line

BGR = npt.NDArray[Any]

# OCR look-alikes of the filler '<' (for text read by the general OCR, see :func:`normalise_text`).
_FILLERS = str.maketrans({c: "<" for c in "«‹〈《く{(［[≤‘"})
# Formats by line count, and the one to read as when line 1 starts with 'V' (a visa).
_FORMATS: dict[int, tuple[MrzType, ...]] = {3: ("TD1",), 2: ("TD3", "TD2")}
_VISA: dict[MrzType, MrzType] = {"TD3": "MRVA", "TD2": "MRVB"}
# A reading this sure of itself, valid, ends the search.
_SETTLED_CONFIDENCE = 0.9
# What makes a reading an MRZ rather than two lines of other print: at least this many check
# digits holding, or a sound structure read with at least this mean confidence.
_MIN_CHECKS = 2
# Check digits holding over real content that make a reading an MRZ whatever its first letter.
_SURE_CHECKS = 3
_MIN_CONFIDENCE = 0.75
# Mean confidence below which a reading is not an MRZ whatever its check digits say (a jumble of
# doubtful cells meets two check digits by chance often enough among the readings tried).
_MIN_MEAN_CONFIDENCE = 0.6
_SURE_CONFIDENCE = 0.9
# First characters of ICAO document codes: passports, visas, and the A, C and I of cards.
_DOCUMENT_CODES = "PVACI"


class MrzRepair(BaseModel):
    """A cell reported as another character than the recogniser's first choice."""

    model_config = ConfigDict(frozen=True)

    line: int  # 1-based
    position: int  # 1-based
    read: str
    reported: str
    p_read: float
    p_reported: float
    reason: str  # "class", "country", "check_digit", "filler"


class MrzReading(BaseModel):
    """What was read: the parsed MRZ (None if none found), the lines, where and which way up, how
    sure the recogniser was, and every change made to what it read."""

    model_config = ConfigDict(frozen=True)

    result: MrzResult | None
    # The lines as finally reported; empty when no MRZ was found.
    lines: list[str]
    # Corners (x, y) of the MRZ zone in the input image, or None.
    region: list[tuple[float, float]] | None
    # Degrees the image has to be turned counter-clockwise to read the MRZ (0, 90, 180, 270):
    # ``np.rot90(image, rotation // 90)`` is upright.
    rotation: int
    # Mean and lowest probability the recogniser gave the reported characters (0: nothing found).
    confidence: float
    min_confidence: float = 0.0
    # Lowest probability among the characters no holding check digit covers: what vouches for
    # names and codes (1.0: every character is covered; 0: nothing found).
    unvouched_confidence: float = 0.0
    repairs: list[MrzRepair] = Field(default_factory=list)

    @property
    def repaired(self) -> bool:
        """Whether check digits or names hold only because doubtful cells were changed."""
        return any(r.reason in REPAIR_REASONS for r in self.repairs)


@dataclass
class _Candidate:
    decoded: Decoded
    band: Band

    @property
    def score(self) -> tuple[int, int, int, float]:
        result = self.decoded.result
        return (
            int(result.valid),
            int(not result.problems),
            sum(result.checks.values()),
            self.decoded.log_prob / max(1, sum(len(line) for line in result.lines)),
        )


def normalise_text(text: str) -> str:
    """OCR text in the MRZ alphabet: upper case, filler look-alikes as '<', accents and spaces gone."""
    text = unicodedata.normalize("NFKD", text.translate(_FILLERS)).upper()
    return "".join(c for c in text if c.isascii() and (c.isalnum() or c == "<"))


def _read_band(band: Band, today: date | None) -> list[_Candidate]:
    """Every format reading of one block, this way up."""
    candidates = []
    for kind in _FORMATS.get(len(band.lines), ()):
        width = MRZ_SHAPES[kind][1]
        probs = [read_line(line.crop, width).probs for line in band.lines]
        decoded = decode(probs, kind, today=today)
        visa = _VISA.get(kind)
        if visa is not None and decoded.lines[0].startswith("V"):
            decoded = decode(probs, visa, today=today)
        candidates.append(_Candidate(decoded, band))
    return candidates


def _plausible(candidate: _Candidate) -> bool:
    """Whether a reading is an MRZ at all: read with some confidence (print that is no OCR-B MRZ
    reads as a jumble of doubtful cells), with check digits holding over real content or a sound
    structure; and, unless nearly every check holds, a document code."""
    decoded = candidate.decoded
    if decoded.confidence < _MIN_MEAN_CONFIDENCE:
        return False
    checks = decoded.substantive_checks
    if checks >= _SURE_CHECKS:
        return True
    first = decoded.lines[0]
    if first[0] not in _DOCUMENT_CODES:
        return False
    if checks >= _MIN_CHECKS:
        return True
    if not is_country_code(first[2:5]):
        return False
    # A specimen of zeros and fillers holds no check over real content: read with assurance, it is
    # still an MRZ (reported, and invalid for what it holds).
    return decoded.confidence >= _SURE_CONFIDENCE or (
        not structural_problems(decoded.result) and decoded.confidence >= _MIN_CONFIDENCE
    )


def _rotation(angle: float) -> int:
    """Counter-clockwise quarter turns (in degrees) that bring text read at ``angle`` level."""
    return round(((-angle) % 360.0) / 90.0) % 4 * 90


def read_mrz(bgr: BGR, *, today: date | None = None) -> MrzReading:
    """Find and read the MRZ of a document image (BGR or grey), any size, any way up."""
    best: _Candidate | None = None
    for band in find_bands(bgr):
        for oriented in (band, band.turned()):
            for candidate in _read_band(oriented, today):
                if _plausible(candidate) and (best is None or candidate.score > best.score):
                    best = candidate
        if best is not None and best.decoded.result.valid and best.decoded.confidence >= _SETTLED_CONFIDENCE:
            break
    if best is None:
        return MrzReading(result=None, lines=[], region=None, rotation=0, confidence=0.0)
    decoded = best.decoded
    return MrzReading(
        result=decoded.result,
        lines=decoded.lines,
        region=[(float(x), float(y)) for x, y in best.band.corners],
        rotation=_rotation(best.band.angle),
        confidence=round(decoded.confidence, 4),
        min_confidence=round(decoded.min_confidence, 4),
        unvouched_confidence=round(decoded.unvouched_confidence, 4),
        repairs=[
            MrzRepair(
                line=r.line + 1,
                position=r.position + 1,
                read=r.read,
                reported=r.reported,
                p_read=r.p_read,
                p_reported=r.p_reported,
                reason=r.reason,
            )
            for r in decoded.repairs
        ],
    )
