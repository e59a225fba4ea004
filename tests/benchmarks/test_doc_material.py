"""The document material's truth: files as recorded, lines shaped for their type, check digits as stated."""

from __future__ import annotations

import csv
import hashlib
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from benchmarks.common import TESTDATA
from benchmarks.doc_material import (
    DATA_DIR,
    MRZ_SHAPES,
    NO_MRZ_TYPES,
    SHARED_SOURCE,
    TRUTH_COLUMNS,
    DocSample,
    iter_documents,
    loso_splits,
    read_truth,
    source_of,
)
from PIL import Image

from openkyc.engine.document.mrz.checksum import MRZ_ALPHABET
from openkyc.engine.document.mrz.parse import parse_mrz

NEW = list(iter_documents(shared=False))
SHARED_TRUTH = TESTDATA / "docs" / "truth.csv"
ALL = list(iter_documents())


def _ascii(text: str) -> str:
    # One shared specimen prints 'Ñ'; an MRZ reader can only report its base letter.
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_new_set_has_several_sources_and_readable_mrzs() -> None:
    assert len({s.source for s in NEW}) >= 2
    assert sum(s.readable for s in NEW) >= 6
    assert any(s.negative for s in NEW)
    assert all(s.source != SHARED_SOURCE for s in NEW)


@pytest.mark.skipif(not SHARED_TRUTH.is_file(), reason="shared test data not present")
def test_truth_columns_are_exactly_the_shared_ones() -> None:
    with SHARED_TRUTH.open(encoding="utf-8") as handle:
        assert tuple(next(csv.reader(handle))) == TRUTH_COLUMNS
    with (DATA_DIR / "truth.csv").open(encoding="utf-8") as handle:
        assert tuple(next(csv.reader(handle))) == TRUTH_COLUMNS


def test_a_truth_file_with_other_columns_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "truth.csv"
    bad.write_text("image,mrz_type\nx/y.png,none\n", encoding="utf-8")
    with pytest.raises(ValueError, match="columns"):
        read_truth(bad)


@pytest.mark.parametrize("sample", NEW, ids=lambda s: s.truth["image"])
def test_each_file_is_the_recorded_copy(sample: DocSample) -> None:
    assert sample.path.is_file(), sample.path
    assert _sha256(sample.path) == sample.truth["sha256"]
    with Image.open(sample.path) as image:
        assert image.size == (int(sample.truth["width"]), int(sample.truth["height"]))
    assert sample.truth["repo"].replace("/", "+") == sample.source
    assert len(sample.truth["commit"]) == 40


@pytest.mark.parametrize("sample", ALL, ids=lambda s: s.truth["image"])
def test_lines_have_the_shape_of_their_type(sample: DocSample) -> None:
    kind = sample.truth["mrz_type"]
    if kind in NO_MRZ_TYPES:
        assert sample.lines == []
        assert not sample.truth["check_digits"]
        return
    assert kind in MRZ_SHAPES, kind
    count, width = MRZ_SHAPES[kind]
    assert len(sample.lines) == count
    assert all(len(line) == width for line in sample.lines)
    if sample.source != SHARED_SOURCE:
        # Lines are kept as printed; beyond the MRZ alphabet only a letter a reader can only
        # report in upper case (one card prints a lowercase c) is allowed.
        assert all(set(_ascii(line).upper()) <= MRZ_ALPHABET for line in sample.lines)
    assert parse_mrz([_ascii(line) for line in sample.lines]).type == kind


@pytest.mark.parametrize("sample", [s for s in ALL if s.readable], ids=lambda s: s.truth["image"])
def test_check_digit_verdicts_are_what_the_parser_finds(sample: DocSample) -> None:
    result = parse_mrz([_ascii(line) for line in sample.lines])
    stated = sample.truth["all_check_digits_ok"]
    assert stated in ("yes", "no")
    # The column states the check digits only (a row can hold other impossibilities, e.g. a sex
    # printed as 0, that make the parser's overall ``valid`` false).
    assert all(result.checks.values()) is (stated == "yes")
    for item in sample.truth["check_digits"].split(";"):
        name, _, verdict = item.partition("=")
        assert result.checks[name] is verdict.startswith("ok"), item
    assert set(result.checks) == {item.partition("=")[0] for item in sample.truth["check_digits"].split(";")}


def test_no_image_is_in_both_sets_or_twice() -> None:
    hashes = Counter(s.truth["sha256"] for s in NEW)
    assert all(count == 1 for count in hashes.values())
    shared = {_sha256(s.path) for s in ALL if s.source == SHARED_SOURCE and s.path.is_file()}
    assert not shared & set(hashes)


def test_sources_csv_matches_the_truth() -> None:
    with (DATA_DIR / "sources.csv").open(encoding="utf-8", newline="") as handle:
        listed = {row["source"]: row for row in csv.DictReader(handle)}
    counts = Counter(s.source for s in NEW)
    assert set(listed) == set(counts)
    for source, row in listed.items():
        rows = [s.truth for s in NEW if s.source == source]
        assert int(row["count"]) == counts[source]
        assert int(row["readable"]) == sum(r["mrz_type"] in MRZ_SHAPES for r in rows)
        assert int(row["negatives"]) == sum(r["mrz_type"] == "none" for r in rows)
        assert set(row["commit"].split()) == {r["commit"] for r in rows}
        assert row["repo"] == rows[0]["repo"] and row["licence"]


def test_leave_one_source_out_splits_partition_the_material() -> None:
    assert source_of("a+b/c/d.png") == "a+b"
    splits = list(loso_splits(ALL))
    assert len(splits) == len({s.source for s in ALL})
    for held_out, rest, test in splits:
        assert test and all(s.source == held_out for s in test)
        assert all(s.source != held_out for s in rest)
        assert len(rest) + len(test) == len(ALL)
