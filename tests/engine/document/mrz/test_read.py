"""Reading the MRZ from images: OCR-noise repair, synthetic documents, real specimens."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from openkyc.engine.document.mrz import normalise_text, read_mrz
from openkyc.engine.document.mrz.read import _fillers_in_runs, _fit_length, _interpret
from openkyc.engine.document.ocr import OcrLine
from openkyc.engine.images import load_image
from openkyc.testing import documents as docs

TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]


def test_normalise_text() -> None:
    assert normalise_text("p«uto eriksson<<anna") == "P<UTOERIKSSON<<ANNA"
    assert normalise_text("ESPAÑOLA") == "ESPANOLA"


def test_k_between_fillers_is_a_filler_but_not_in_a_name() -> None:
    assert _fillers_in_runs("NOVAK<<JAN<K<<K") == "NOVAK<<JAN<<<<<"


def test_fit_length_adjusts_the_filler_run() -> None:
    assert _fit_length("ABC<<<<D", 10) == ["ABC<<<<<<D"]
    assert "ABC<<D" in _fit_length("ABC<<<<D", 6)


def test_ocr_confusions_are_repaired_by_position() -> None:
    noisy = ["P<UT0ERIKSS0N<<ANNA<MAR1A<<<<<<<<<K<<<<<<<<", "L898902C36UTO74O8I22F12O4159ZE184226B<<<<<1O"]
    parsed = _interpret(noisy)
    assert parsed is not None
    result = parsed[0]
    assert result.lines == TD3
    assert result.valid


def test_genuinely_wrong_check_digit_is_not_repaired_into_validity() -> None:
    spec = docs.DocumentSpec(document_number="OB12D0S5Z", optional_data="")
    for broken in ("number", "composite", "birth", "expiry", "personal"):
        lines = docs.mrz_lines(spec, break_check=broken)  # type: ignore[arg-type]
        parsed = _interpret(lines)
        assert parsed is not None
        result = parsed[0]
        assert result.lines == lines
        assert not result.valid


def test_ambiguous_number_character_fixed_when_both_checks_agree() -> None:
    # OCR read the letter O of the number as a zero: number and composite checks both fail as read.
    spec = docs.DocumentSpec(document_number="XO1234567")
    lines = docs.mrz_lines(spec)
    misread = [lines[0], lines[1].replace("XO1234567", "X01234567")]
    parsed = _interpret(misread)
    assert parsed is not None
    result = parsed[0]
    assert result.valid
    assert result.lines == lines


def test_no_text_no_mrz() -> None:
    blank = np.full((300, 400, 3), 255, np.uint8)
    reading = read_mrz(blank, ocr_lines=[])
    assert reading.result is None and reading.lines == [] and reading.region is None


def test_given_ocr_lines_are_used() -> None:
    base = np.array([[10, 100], [500, 100], [500, 120], [10, 120]], np.float32)
    boxes = [base + np.float32(30 * i) * np.array([0, 1], np.float32) for i in range(2)]
    lines = [OcrLine(text=t, box=b, confidence=0.9) for t, b in zip(TD3, boxes, strict=True)]
    reading = read_mrz(np.zeros((200, 600, 3), np.uint8), ocr_lines=lines)
    assert reading.lines == TD3
    assert reading.rotation == 0
    assert reading.region is not None


# --- synthetic documents through the real OCR ---------------------------------------------------

_CASES = {
    "td3-upright": (docs.DocumentSpec(), "upright"),
    "td1-rot90": (
        docs.DocumentSpec(
            kind="identity_card", mrz_type="TD1", title="IDENTITY CARD", document_number="D23145890"
        ),
        "rot90",
    ),
    "td2-rot180": (
        docs.DocumentSpec(
            kind="residence_permit", mrz_type="TD2", title="RESIDENCE PERMIT", surname="NGUYEN"
        ),
        "rot180",
    ),
    "td3-blur": (docs.DocumentSpec(surname="OKONKWO", given_names="CHIDI", sex="M"), "blur"),
    "td1-photocopy": (
        docs.DocumentSpec(
            kind="identity_card", mrz_type="TD1", title="IDENTITY CARD", birth_date=date(1990, 1, 2)
        ),
        "photocopy",
    ),
}


def _photo(spec: docs.DocumentSpec, how: str) -> npt.NDArray[Any]:
    img = docs.render_document(spec)
    if how == "rot90":
        return docs.rotate90(img, 1)
    if how == "rot180":
        return docs.rotate90(img, 2)
    if how == "blur":
        return docs.blur(img, 1.5)
    if how == "photocopy":
        return docs.photocopy(img)
    return img


# Known gaps (strict: fail loudly once fixed). None at present: the blurred TD3's name line, where
# DejaVu's 'K' and 'C' read as '<' and 'O', is now outvoted by the chunked reading.
_KNOWN_MISSES: set[str] = set()


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason="see _KNOWN_MISSES", strict=True))
        if n in _KNOWN_MISSES
        else n
        for n in _CASES
    ],
)
def test_synthetic_documents_read_exactly(name: str) -> None:
    spec, how = _CASES[name]
    reading = read_mrz(_photo(spec, how))
    assert reading.lines == docs.mrz_lines(spec)
    assert reading.result is not None and reading.result.valid
    # np.rot90(image, rotation // 90) is upright: a document turned a quarter counter-clockwise
    # takes three more quarter turns.
    assert reading.rotation == {"rot90": 270, "rot180": 180}.get(how, 0)


@pytest.mark.slow
def test_broken_check_digit_read_from_image_stays_invalid() -> None:
    spec = docs.DocumentSpec(kind="identity_card", mrz_type="TD1", title="IDENTITY CARD")
    reading = read_mrz(docs.render_document(spec, break_check="number"))
    assert reading.lines == docs.mrz_lines(spec, break_check="number")
    assert reading.result is not None
    assert reading.result.checks["number"] is False


@pytest.mark.slow
@pytest.mark.parametrize(
    ("image", "line2"),
    [
        ("100_pass-uto.jpg", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"),
        ("100_id-che.jpg", "8102287F1301014CHE<<<<<<<<<<<4"),
        ("passport-td2.png", None),
    ],
)
def test_real_specimens(docs_dir: Path, image: str, line2: str | None) -> None:
    path = next(docs_dir.rglob(image))
    reading = read_mrz(load_image(path).bgr)
    assert reading.result is not None and reading.result.valid
    if line2 is not None:
        assert reading.lines[1] == line2


@pytest.mark.slow
def test_specimen_with_invalid_check_digits_is_invalid(docs_dir: Path) -> None:
    reading = read_mrz(load_image(next(docs_dir.rglob("77_card-cmw.png"))).bgr)
    assert reading.result is not None
    assert not reading.result.valid
    assert reading.result.checks["composite"] is False


@pytest.mark.slow
def test_negative_has_no_mrz(docs_dir: Path) -> None:
    reading = read_mrz(load_image(next(docs_dir.rglob("pacman.png"))).bgr)
    assert reading.result is None


def test_name_tail_clears_misread_fillers_after_the_names() -> None:
    from openkyc.engine.document.mrz.read import _name_tail

    misread = "MEULENDIJK<<LOES<ALBERTINE<<S<<S<<K<K"
    assert _name_tail(misread) == "MEULENDIJK<<LOES<ALBERTINE" + "<" * (len(misread) - 26)
    assert _name_tail("ERIKSSON<<ANNA<MARIA<<<<") == "ERIKSSON<<ANNA<MARIA<<<<"
    assert _name_tail("SMITH<<<<<<") == "SMITH<<<<<<"


def test_visa_line_length_prefers_the_format_needing_no_padding() -> None:
    # An MRV-B read exactly: as an MRV-A it would need eight fillers added to each line.
    lines = docs.mrz_lines(docs.DocumentSpec(kind="visa", mrz_type="MRVB", title="VISA"))
    parsed = _interpret(lines)
    assert parsed is not None
    assert parsed[0].type == "MRVB" and parsed[1] == 0


def test_fuse_fills_only_what_the_ocr_dropped() -> None:
    from openkyc.engine.document.mrz import grid
    from openkyc.engine.document.mrz.read import _fuse

    truth = "P<TWNLIN<<CHIEN<SHENG<<<<<<<<<<<<<<<<<<<<<<<"
    # The grid misread one letter (O for the first N) but has every cell; the OCR dropped 'I'.
    grid_text = truth.replace("LIN", "LIO")
    scores = np.zeros((44, len(grid.MRZ_ALPHABET)), np.float32)
    for k, char in enumerate(grid_text):
        scores[k, grid.MRZ_ALPHABET.index(char)] = 0.9
    cells = grid.CellRead(grid_text, scores, 0.9)
    ocr = "P<TWNLN<<CHEN<SHENG<<<<<<<<<<<<<<<<<<<<<<<<<"
    assert _fuse(cells, ocr.rstrip("<")) == truth


def test_rotation_follows_the_line_order() -> None:
    base = np.array([[10, 100], [500, 100], [500, 120], [10, 120]], np.float32)
    boxes = [base + np.float32(30 * i) * np.array([0, 1], np.float32) for i in range(2)]
    # Line 1 below line 2: the document is upside down.
    lines = [OcrLine(text=t, box=b, confidence=0.9) for t, b in zip(TD3, boxes[::-1], strict=True)]
    reading = read_mrz(np.zeros((200, 600, 3), np.uint8), ocr_lines=lines)
    assert reading.lines == TD3
    assert reading.rotation == 180


def _cells(text: str, probability: float = 0.9) -> Any:
    from openkyc.engine.document.mrz import grid

    scores = np.zeros((len(text), len(grid.MRZ_ALPHABET)), np.float32)
    for k, char in enumerate(text):
        scores[k, grid.MRZ_ALPHABET.index(char)] = probability
    return grid.CellRead(text, scores, probability)


def test_vote_outvotes_one_reading_but_keeps_an_ocr_line_in_place() -> None:
    from openkyc.engine.document.mrz.read import _vote

    truth = "P<NLDMEULENDIJK<<LOES<ALBERTINE<<<<<<<<<<<<<"
    whole, chunked = _cells(truth.replace("MEUL", "NEUL")), _cells(truth)
    # The OCR lost characters (not in place): it counts as one reading, and the grid's cells win
    # where the two grid readings agree.
    assert (
        _vote([whole, chunked], "P<NLDMEULENDIJK<<LOES<ALBERTINE", in_place=False, first_line=True) == truth
    )
    # An OCR line in place outweighs grid readings that sit a cell off.
    shifted = _cells("<" + truth[:-1])
    assert _vote([shifted, shifted], truth, in_place=True, first_line=False) == truth


def test_vote_prefers_a_filler_as_second_document_code_character_only_when_split() -> None:
    from openkyc.engine.document.mrz.read import _vote

    truth = "P<NLDMEULENDIJK<<LOES<ALBERTINE<<<<<<<<<<<<<"
    ocr = "PA" + truth[2:]
    assert _vote([_cells(truth), _cells(truth)], ocr, in_place=True, first_line=True) == truth
    # Every reading says 'PA' (an issuer-defined letter): the prior does not override them.
    assert _vote([_cells(ocr), _cells(ocr)], ocr, in_place=True, first_line=True) == ocr
    # Not the document code's line: no prior.
    assert _vote([_cells(truth), _cells(truth)], ocr, in_place=True, first_line=False) == ocr


def test_in_place_when_full_length_or_agreeing_outside_filler_runs() -> None:
    from openkyc.engine.document.mrz.read import _in_place

    truth = "P<FRAULYSSE<<CHRISTOPHE<<<<<<<<<<<<<<<<<<<<<"
    noisy_tail = _cells(truth[:30] + "AKAKAKAKAKAKAK")
    assert _in_place(truth, truth, [noisy_tail])
    assert _in_place(truth, truth[:-1], [noisy_tail])
    # Lost letters in the names shift everything after them: not in place.
    lost = "P<FRAUSSE<<CHRISTOPHE<<<<<<<<<<<<<<<<<<<<<<<"
    assert not _in_place(lost, lost[:-2], [_cells(truth)])
