"""Real document images with hand-verified MRZ truth, grouped by source, for MRZ benchmarks.

Two sets share one truth format (the columns of ``../shared/testdata/docs/truth.csv``):

- the shared specimens, ``../shared/testdata/docs`` (PassportEye's test images; the engine was tuned
  on them), source ``konstantint+PassportEye``;
- ``benchmarks/data/docs`` (this repository): byte-identical copies of public document images from
  other repositories, one folder per source (``<owner>+<repo>``), transcribed by eye and checked
  against their check digits; ``sources.csv`` and the README there say where each came from.

A row's source is the first component of its ``image`` path, so a benchmark can hold one source out
at a time (:func:`loso_splits`): a figure measured on the source the reader was tuned on is not
evidence. Rows of type ``none`` are negatives (no MRZ to find), ``unreadable`` ones have an MRZ a
person cannot read; every other row holds the MRZ lines exactly as printed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from benchmarks.common import REPO_ROOT, TESTDATA

SHARED_SOURCE = "konstantint+PassportEye"
DATA_DIR = REPO_ROOT / "benchmarks" / "data" / "docs"

TRUTH_COLUMNS = (
    "image",
    "repo",
    "commit",
    "sha256",
    "width",
    "height",
    "mrz_type",
    "mrz_line1",
    "mrz_line2",
    "mrz_line3",
    "doc_code",
    "issuer",
    "document_number",
    "surname",
    "given_names",
    "nationality",
    "birth_date",
    "sex",
    "expiry_date",
    "check_digits",
    "all_check_digits_ok",
    "truth_source",
    "visually_verified",
    "passporteye_expected_score",
    "note",
)

# (lines, characters per line) of each MRZ type a truth row can name.
MRZ_SHAPES = {"TD1": (3, 30), "TD2": (2, 36), "TD3": (2, 44), "MRVA": (2, 44), "MRVB": (2, 36)}
NO_MRZ_TYPES = ("none", "unreadable")


class DocSample(NamedTuple):
    """One document image: its source, where it lies, and its truth row (column -> value)."""

    source: str
    path: Path
    truth: dict[str, str]

    @property
    def lines(self) -> list[str]:
        """The MRZ lines as printed (empty for negatives and unreadable MRZs)."""
        return [self.truth[key] for key in ("mrz_line1", "mrz_line2", "mrz_line3") if self.truth[key]]

    @property
    def readable(self) -> bool:
        """Whether a person can read an MRZ on it (the rows an exact-read rate counts)."""
        return self.truth["mrz_type"] in MRZ_SHAPES

    @property
    def negative(self) -> bool:
        """Whether the image holds no MRZ at all (a reader must find none)."""
        return self.truth["mrz_type"] == "none"


def source_of(image: str) -> str:
    """The source of a truth row: the first component of its ``image`` path (``owner+repo``)."""
    return image.split("/", 1)[0]


def read_truth(path: Path) -> list[dict[str, str]]:
    """The rows of a truth CSV; refuses a file whose columns are not :data:`TRUTH_COLUMNS`."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != TRUTH_COLUMNS:
            raise ValueError(f"{path}: columns {reader.fieldnames} are not the truth columns")
        return list(reader)


def _samples(folder: Path) -> Iterator[DocSample]:
    truth = folder / "truth.csv"
    if not truth.is_file():
        return
    for row in read_truth(truth):
        yield DocSample(source_of(row["image"]), folder / row["image"], row)


def iter_documents(
    *, shared: bool = True, new: bool = True, testdata: Path = TESTDATA, data_dir: Path = DATA_DIR
) -> Iterator[DocSample]:
    """Every document of the shared set (``testdata/docs``, when present) and of this repository's set."""
    if shared:
        yield from _samples(testdata / "docs")
    if new:
        yield from _samples(data_dir)


def sources(samples: Iterable[DocSample]) -> list[str]:
    """The distinct sources of ``samples``, sorted."""
    return sorted({sample.source for sample in samples})


def loso_splits(samples: Iterable[DocSample]) -> Iterator[tuple[str, list[DocSample], list[DocSample]]]:
    """For each source: (held-out source, samples of every other source, samples of that source)."""
    items = list(samples)
    for held_out in sources(items):
        yield (
            held_out,
            [s for s in items if s.source != held_out],
            [s for s in items if s.source == held_out],
        )
