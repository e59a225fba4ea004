"""Candidate readings of one MRZ block, and whether a reading is an MRZ at all.

A block is read as each format its line count allows (three lines: TD1, 3 x 30; two lines: 2 x 36
or 2 x 44; a visa when line 1 starts with 'V'). A reading counts as an MRZ only when it looks like
one (:func:`plausible`); of those, the higher :attr:`Candidate.score` wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from openkyc.engine.document.mrz.band import Band
from openkyc.engine.document.mrz.countries import is_country_code
from openkyc.engine.document.mrz.decode import Decoded, decode, structural_problems
from openkyc.engine.document.mrz.parse import MRZ_SHAPES, MrzType
from openkyc.engine.document.mrz.recognise import read_line

# Formats by line count, and the one to read as when line 1 starts with 'V' (a visa).
_FORMATS: dict[int, tuple[MrzType, ...]] = {3: ("TD1",), 2: ("TD3", "TD2")}
_VISA: dict[MrzType, MrzType] = {"TD3": "MRVA", "TD2": "MRVB"}
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


@dataclass
class Candidate:
    """One reading of one block, one way up, as one format."""

    decoded: Decoded
    band: Band

    @property
    def score(self) -> tuple[int, int, int, float]:
        """Sound structure and check digits first, then the recogniser's confidence per character."""
        result = self.decoded.result
        return (
            int(result.valid),
            int(not result.problems),
            sum(result.checks.values()),
            self.decoded.log_prob / max(1, sum(len(line) for line in result.lines)),
        )


def read_band(band: Band, today: date | None) -> list[Candidate]:
    """Every format reading of one block, this way up."""
    candidates = []
    for kind in _FORMATS.get(len(band.lines), ()):
        width = MRZ_SHAPES[kind][1]
        probs = [read_line(line.crop, width).probs for line in band.lines]
        decoded = decode(probs, kind, today=today)
        visa = _VISA.get(kind)
        if visa is not None and decoded.lines[0].startswith("V"):
            decoded = decode(probs, visa, today=today)
        candidates.append(Candidate(decoded, band))
    return candidates


def plausible(candidate: Candidate) -> bool:
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
