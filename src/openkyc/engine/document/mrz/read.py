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

A block is reported as an MRZ only when its reading looks like one
(:func:`.candidates.plausible`): enough check digits hold, or the recogniser is sure of a
structurally sound reading. Otherwise there is no MRZ (a driving licence, a photo of something
else). Steps 2 and the scoring of 4 are :mod:`.candidates`; this module searches the blocks and
reports the winner as an :class:`MrzReading`.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from openkyc.engine.document.mrz.band import find_bands
from openkyc.engine.document.mrz.candidates import Candidate, plausible, read_band
from openkyc.engine.document.mrz.decode import REPAIR_REASONS
from openkyc.engine.document.mrz.parse import MrzResult

BGR = npt.NDArray[Any]

# OCR look-alikes of the filler '<' (for text read by the general OCR, see :func:`normalise_text`).
_FILLERS = str.maketrans({c: "<" for c in "«‹〈《く{(［[≤‘"})
# A reading this sure of itself, valid, ends the search.
_SETTLED_CONFIDENCE = 0.9


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


def normalise_text(text: str) -> str:
    """OCR text in the MRZ alphabet: upper case, filler look-alikes as '<', accents and spaces gone."""
    text = unicodedata.normalize("NFKD", text.translate(_FILLERS)).upper()
    return "".join(c for c in text if c.isascii() and (c.isalnum() or c == "<"))


def _rotation(angle: float) -> int:
    """Counter-clockwise quarter turns (in degrees) that bring text read at ``angle`` level."""
    return round(((-angle) % 360.0) / 90.0) % 4 * 90


def read_mrz(bgr: BGR, *, today: date | None = None) -> MrzReading:
    """Find and read the MRZ of a document image (BGR or grey), any size, any way up."""
    best = _best_candidate(bgr, today)
    if best is None:
        return MrzReading(result=None, lines=[], region=None, rotation=0, confidence=0.0)
    return _reading(best)


def _best_candidate(bgr: BGR, today: date | None) -> Candidate | None:
    """The best plausible reading of any block, either way up; blocks come most regular first, and
    a valid, confident reading ends the search."""
    best: Candidate | None = None
    for band in find_bands(bgr):
        for oriented in (band, band.turned()):
            for candidate in read_band(oriented, today):
                if plausible(candidate) and (best is None or candidate.score > best.score):
                    best = candidate
        if best is not None and best.decoded.result.valid and best.decoded.confidence >= _SETTLED_CONFIDENCE:
            break
    return best


def _reading(best: Candidate) -> MrzReading:
    """What the winning reading reports: its lines, where and which way up, and every change made."""
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
