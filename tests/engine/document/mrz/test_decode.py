"""Decoding per-cell probabilities into MRZ lines: classes, check-digit repair, fillers, honesty."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from openkyc.engine.document.mrz.decode import ALPHABET, decode

TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
TD1 = ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]


def confident(lines: list[str], p: float = 0.98) -> list[npt.NDArray[np.float32]]:
    """Probabilities that put ``p`` on each printed character and spread the rest evenly."""
    out = []
    for line in lines:
        probs = np.full((len(line), len(ALPHABET)), (1 - p) / (len(ALPHABET) - 1), np.float32)
        for i, char in enumerate(line):
            probs[i, ALPHABET.index(char)] = p
        out.append(probs)
    return out


def doubt(probs: list[npt.NDArray[np.float32]], row: int, position: int, split: dict[str, float]) -> None:
    """Make one cell doubtful: ``split`` maps characters to their probabilities."""
    rest = (1 - sum(split.values())) / (len(ALPHABET) - len(split))
    probs[row][position, :] = rest
    for char, p in split.items():
        probs[row][position, ALPHABET.index(char)] = p


@pytest.mark.parametrize(("lines", "kind"), [(TD3, "TD3"), (TD1, "TD1")])
def test_a_clean_read_is_reported_as_read_and_valid(lines: list[str], kind: str) -> None:
    decoded = decode(confident(lines), kind)  # type: ignore[arg-type]
    assert decoded.lines == lines
    assert decoded.result.valid
    assert decoded.repairs == [] and not decoded.repaired
    assert decoded.min_confidence == pytest.approx(0.98)


def test_a_doubtful_cell_is_repaired_by_its_check_digits_and_reported() -> None:
    probs = confident(TD3)
    # The document number's '0' (line 2, position 5): the recogniser prefers 'O'.
    doubt(probs, 1, 5, {"O": 0.55, "0": 0.40})
    decoded = decode(probs, "TD3")
    assert decoded.lines == TD3
    assert decoded.result.valid and decoded.repaired
    (repair,) = decoded.repairs
    assert (repair.line, repair.position, repair.read, repair.reported, repair.reason) == (
        1,
        5,
        "O",
        "0",
        "check_digit",
    )
    assert repair.p_read == pytest.approx(0.55) and repair.p_reported == pytest.approx(0.40)


def test_a_confidently_misprinted_check_digit_stays_wrong() -> None:
    misprinted = [TD3[0], TD3[1][:9] + "7" + TD3[1][10:]]  # the number's check digit is 6
    decoded = decode(confident(misprinted), "TD3")
    assert decoded.lines == misprinted
    assert not decoded.result.valid
    assert decoded.result.checks["number"] is False and decoded.result.checks["composite"] is False
    assert decoded.repairs == []


def test_a_repair_that_is_not_unique_is_not_made() -> None:
    probs = confident(TD3)
    # Two cells of the number are each as doubtful as the other between two look-alikes: several
    # assignments satisfy the check digits about equally well, so none is guessed.
    doubt(probs, 1, 1, {"8": 0.5, "B": 0.5})
    doubt(probs, 1, 3, {"8": 0.5, "B": 0.5})
    decoded = decode(probs, "TD3")
    assert not decoded.repaired


def test_an_expensive_repair_is_not_made() -> None:
    misread = [TD3[0], TD3[1][:3] + "9" + TD3[1][4:]]  # '8' read as '9' with confidence
    probs = confident(misread, p=0.9)
    decoded = decode(probs, "TD3")
    assert decoded.lines == misread
    assert not decoded.result.valid and not decoded.repaired


def test_letters_after_the_names_become_fillers_where_the_recogniser_doubted_them() -> None:
    probs = confident(TD3)
    doubt(probs, 0, 30, {"K": 0.6, "<": 0.35})
    decoded = decode(probs, "TD3")
    assert decoded.lines == TD3
    assert [r.reason for r in decoded.repairs] == ["filler"]
    # The restored filler is itself doubtful and no check digit covers names: not valid.
    assert decoded.repaired and not decoded.result.valid
    assert "line 1 position 31" in decoded.result.problems[-1]
    assert decode(probs, "TD3", min_confidence=0.3).result.valid


def test_doubtful_names_are_never_valid_even_when_every_check_digit_holds() -> None:
    probs = confident(TD3)
    doubt(probs, 0, 7, {"I": 0.45, "T": 0.4})  # ERIKSSON's I: a coin toss with T
    decoded = decode(probs, "TD3")
    assert all(decoded.result.checks.values())
    assert not decoded.result.valid


def test_doubtful_cells_a_holding_check_digit_covers_do_not_spoil_validity() -> None:
    probs = confident(TD3)
    doubt(probs, 1, 14, {"4": 0.45, "1": 0.3})  # birth date, covered by its check and the composite
    assert decode(probs, "TD3").result.valid


def test_confident_letters_after_the_names_make_the_structure_impossible() -> None:
    line1 = TD3[0][:30] + "XY" + TD3[0][32:]
    decoded = decode(confident([line1, TD3[1]]), "TD3")
    assert decoded.lines[0] == line1
    assert not decoded.result.valid
    assert any("name field" in problem for problem in decoded.result.problems)


def test_a_letter_where_a_date_has_a_digit_takes_the_most_probable_digit() -> None:
    probs = confident(TD3)
    doubt(probs, 1, 13, {"Z": 0.6, "7": 0.35})  # birth date's first digit
    decoded = decode(probs, "TD3")
    assert decoded.lines == TD3 and decoded.result.valid
    assert [r.reason for r in decoded.repairs] == ["class"] and not decoded.repaired


def test_country_codes_prefer_real_codes() -> None:
    probs = confident(TD3)
    doubt(probs, 1, 12, {"0": 0.5, "O": 0.45})  # nationality 'UTO' read 'UT0'
    decoded = decode(probs, "TD3")
    assert decoded.lines[1][10:13] == "UTO"
    assert [r.reason for r in decoded.repairs] == ["country"]


def test_numeric_country_codes_stay_numeric() -> None:
    lines = ["IDROUSAVA<<SUPERMAN<<<<<<<<<<<<<<<<<", "HD198025<51328505095M130509012049941"]
    assert decode(confident(lines), "TD2").lines == lines


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="TD1 needs 3 lines"):
        decode(confident(TD3), "TD1")


def test_a_confidently_read_character_the_format_does_not_allow_is_reported_not_replaced() -> None:
    # A specimen printing '0' as the sex: read as printed, never valid.
    line2 = TD3[1][:20] + "0" + TD3[1][21:]
    decoded = decode(confident([TD3[0], line2], p=0.99), "TD3")
    assert decoded.lines[1][20] == "0"
    assert not decoded.result.valid
