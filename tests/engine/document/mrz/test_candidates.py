"""Whether a reading is an MRZ at all, and which reading wins, from the recogniser's probabilities."""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt

from openkyc.engine.document.mrz.band import Band
from openkyc.engine.document.mrz.candidates import Candidate, plausible
from openkyc.engine.document.mrz.decode import ALPHABET, decode

ICAO_TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
TODAY = date(2010, 1, 1)
BAND = Band(lines=[], regularity=1.0, angle=0.0)


def probabilities(line: str, sure: float) -> npt.NDArray[np.float32]:
    """What a recogniser ``sure`` of each of ``line``'s characters gives (the rest spread evenly)."""
    probs = np.full((len(line), len(ALPHABET)), (1.0 - sure) / (len(ALPHABET) - 1), np.float32)
    for cell, char in enumerate(line):
        probs[cell, ALPHABET.index(char)] = sure
    return probs


def candidate(lines: list[str], sure: float) -> Candidate:
    return Candidate(decode([probabilities(line, sure) for line in lines], "TD3", today=TODAY), BAND)


def test_a_confident_valid_reading_is_an_mrz() -> None:
    assert plausible(candidate(ICAO_TD3, 0.99))


def test_a_doubtful_reading_is_no_mrz_whatever_its_check_digits() -> None:
    # Every check digit holds, but the recogniser is no surer of any cell than of a jumble.
    assert not plausible(candidate(ICAO_TD3, 0.3))


def test_print_that_is_no_document_is_no_mrz() -> None:
    # Two long lines of other print: no document code, no country, no check digit holding.
    lines = ["THE<QUICK<BROWN<FOX<JUMPS<OVER<THE<LAZY<DOGS", "AND<RUNS<AWAY<INTO<THE<WOODS<BEYOND<THE<HILL"]
    assert not plausible(candidate(lines, 0.99))


def test_a_valid_reading_outscores_one_with_a_broken_check_digit() -> None:
    broken = [ICAO_TD3[0], ICAO_TD3[1][:9] + "7" + ICAO_TD3[1][10:]]  # the number's check digit
    assert candidate(ICAO_TD3, 0.95).score > candidate(broken, 0.99).score
