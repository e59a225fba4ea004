"""Reading the MRZ from images: generated documents of every format and capture, real specimens,
broken check digits, turned images, negatives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openkyc.engine.document.mrz import normalise_text, read_mrz
from openkyc.engine.images import load_image
from testkit import documents as docs
from testkit import specimens as sp

REPO = Path(__file__).resolve().parents[4]
BOSNIA = "ruledicaprio+SynthPass/samples/id_cards/Bosnia_Herzegovina_ID_Card_back.jpg"
needs_ocrb = pytest.mark.skipif(sp.ocrb_font_path() is None, reason="needs fonts-ocr-b")


def test_normalise_text() -> None:
    assert normalise_text("p«uto eriksson<<anna") == "P<UTOERIKSSON<<ANNA"
    assert normalise_text("ESPAÑOLA") == "ESPANOLA"


def test_no_print_no_mrz() -> None:
    reading = read_mrz(np.full((300, 400, 3), 255, np.uint8))
    assert reading.result is None and reading.lines == [] and reading.region is None
    assert reading.confidence == 0.0 and reading.repairs == []


@needs_ocrb
@pytest.mark.parametrize(
    ("spec", "turns"),
    [
        (docs.DocumentSpec(), 0),
        (docs.DocumentSpec(kind="identity_card", mrz_type="TD1", document_number="D23145890"), 1),
        (docs.DocumentSpec(kind="residence_permit", mrz_type="TD2", surname="NGUYEN"), 2),
        (docs.DocumentSpec(kind="visa", mrz_type="MRVB", surname="OKONKWO", given_names="CHIDI"), 3),
    ],
)
def test_documents_read_exactly_and_valid_at_any_quarter_turn(spec: docs.DocumentSpec, turns: int) -> None:
    image = docs.rotate90(docs.render_document(spec, long_side=1200), turns)
    reading = read_mrz(image)
    assert reading.lines == docs.mrz_lines(spec)
    assert reading.result is not None and reading.result.valid
    assert not reading.repaired
    # np.rot90(image, rotation // 90) is upright.
    assert reading.rotation == (-90 * turns) % 360


@needs_ocrb
@pytest.mark.parametrize("broken", ["number", "birth", "expiry", "composite", "personal"])
def test_a_broken_check_digit_is_read_as_printed_and_flagged(broken: str) -> None:
    spec = docs.DocumentSpec(optional_data="ZE184226B")
    printed = docs.mrz_lines(spec, break_check=broken)  # type: ignore[arg-type]
    reading = read_mrz(docs.render_document(spec, long_side=1400, break_check=broken))  # type: ignore[arg-type]
    assert reading.lines == printed
    assert reading.result is not None and not reading.result.valid
    assert reading.result.checks[broken] is False


@needs_ocrb
@pytest.mark.parametrize("layout", sp.LAYOUTS)
def test_small_scans_of_every_layout(layout: sp.Layout) -> None:
    # 250-700 px scans, glyphs 5-9 px tall: most read exactly (benchmarks/mrz_bench.py measures
    # how many), and none that is wrong is valid.
    exact = 0
    for seed in range(21, 26):
        specimen = sp.make_specimen(layout, "scan_small", seed=seed)
        reading = read_mrz(specimen.image)
        exact += reading.lines == specimen.lines
        if reading.lines != specimen.lines:
            assert reading.result is None or not reading.result.valid, (seed, reading.lines)
    assert exact >= 3


@pytest.mark.slow
@pytest.mark.parametrize(
    ("image", "lines"),
    [
        (
            "100_pass-uto.jpg",
            ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"],
        ),
        (
            "100_id-che.jpg",
            [
                "IDCHES0002068<8<<<<<<<<<<<<<<<",
                "8102287F1301014CHE<<<<<<<<<<<4",
                "VADIS<<QUO<<<<<<<<<<<<<<<<<<<<",
            ],
        ),
        (
            "passport-td2.png",
            ["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"],
        ),
    ],
)
def test_real_specimens(docs_dir: Path, image: str, lines: list[str]) -> None:
    reading = read_mrz(load_image(next(docs_dir.rglob(image))).bgr)
    assert reading.lines == lines
    assert reading.result is not None and reading.result.valid


@pytest.mark.slow
def test_a_specimen_whose_printed_composite_fails_is_read_as_printed_and_invalid() -> None:
    # A real identity card whose issuer printed a composite check digit that does not hold.
    path = REPO / "benchmarks" / "data" / "docs" / BOSNIA
    reading = read_mrz(load_image(path).bgr)
    assert reading.result is not None
    assert not reading.result.valid
    assert reading.result.checks["composite"] is False


@pytest.mark.slow
def test_a_photo_without_a_document_has_no_mrz(docs_dir: Path) -> None:
    assert read_mrz(load_image(next(docs_dir.rglob("pacman.png"))).bgr).result is None
