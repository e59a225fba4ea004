"""MRZ reading benchmark: the shared specimens plus a synthetic set.

Run from the repository root: ``.venv/bin/python -m benchmarks.mrz_bench [--synthetic N] [--no-plot]``

Specimens (docs/truth.csv): exact-MRZ rate over readable specimens, per-field accuracy, whether every
specimen whose printed check digits do not hold comes out invalid, negatives (no MRZ must be
found), milliseconds per document. Synthetic: documents of every MRZ type, half with one broken
check digit, some rotated / blurred / photocopied / photographed at an angle: exact rate and
whether every broken check digit was flagged.
"""

from __future__ import annotations

import argparse
import csv
import time
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, get_args

import cv2
import numpy as np
import numpy.typing as npt

from benchmarks.common import TESTDATA, out_path, timing_summary
from openkyc.engine.document.mrz import MrzReading, read_mrz
from openkyc.engine.images import load_image
from openkyc.testing import documents as docs

FIELDS = (
    "doc_code",
    "issuer",
    "document_number",
    "surname",
    "nationality",
    "birth_date",
    "sex",
    "expiry_date",
)


def _ascii(text: str) -> str:
    """Truth lines as an MRZ can hold them (one specimen prints 'Ñ', which is not an MRZ character)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _field_values(reading: MrzReading) -> dict[str, str]:
    if reading.result is None:
        return {}
    lines = reading.result.lines
    kind = reading.result.type
    f = reading.result.fields
    # Compare the raw positions the truth file transcribes (YYMMDD dates, codes as printed).
    if kind == "TD1":
        birth, expiry = lines[1][0:6], lines[1][8:14]
    else:
        birth, expiry = lines[1][13:19], lines[1][21:27]
    return {
        "doc_code": lines[0][0:2],
        "issuer": lines[0][2:5].replace("<", ""),
        "document_number": f.document_number,
        "surname": f.surname,
        "nationality": f.nationality,
        "birth_date": birth,
        "sex": f.sex,
        "expiry_date": expiry,
    }


def _truth_values(row: dict[str, str]) -> dict[str, str]:
    values = {name: _ascii(row[name]) for name in FIELDS}
    values["nationality"] = values["nationality"].replace("<", "")
    values["issuer"] = values["issuer"].replace("<", "")
    values["sex"] = values["sex"] if values["sex"] in ("M", "F") else "X"
    return values


def specimens() -> dict[str, Any]:
    truth_path = TESTDATA / "docs" / "truth.csv"
    rows = list(csv.DictReader(truth_path.open(encoding="utf-8")))
    exact, readable, invalid_caught, invalid_total, negatives_ok, negatives = 0, 0, 0, 0, 0, 0
    field_hits = dict.fromkeys(FIELDS, 0)
    field_total = dict.fromkeys(FIELDS, 0)
    latencies: list[float] = []
    misses: list[str] = []
    for row in rows:
        path = TESTDATA / "docs" / row["image"]
        bgr = load_image(path).bgr
        start = time.perf_counter()
        reading = read_mrz(bgr)
        latencies.append((time.perf_counter() - start) * 1000)
        name = Path(row["image"]).name
        truth_lines = [_ascii(row[k]) for k in ("mrz_line1", "mrz_line2", "mrz_line3") if row[k]]
        if not truth_lines:
            if row["mrz_type"] == "none":
                negatives += 1
                negatives_ok += int(reading.result is None)
                if reading.result is not None:
                    misses.append(f"{name}: negative, but an MRZ was reported")
            continue
        readable += 1
        hit = reading.lines == truth_lines
        exact += int(hit)
        if not hit:
            misses.append(f"{name}: read {reading.lines} expected {truth_lines}")
        got = _field_values(reading)
        for field, want in _truth_values(row).items():
            field_total[field] += 1
            field_hits[field] += int(got.get(field) == want)
        if row["all_check_digits_ok"] == "no":
            invalid_total += 1
            caught = reading.result is not None and not reading.result.valid
            invalid_caught += int(caught)
            if not caught:
                misses.append(f"{name}: invalid check digits not flagged")
    print("== Specimens (docs/truth.csv) ==")
    print(f"exact MRZ: {exact}/{readable} = {exact / max(readable, 1):.1%}")
    for field in FIELDS:
        print(f"  {field:16s} {field_hits[field]}/{field_total[field]}")
    print(f"invalid check digits flagged: {invalid_caught}/{invalid_total}")
    print(f"negatives with no MRZ: {negatives_ok}/{negatives}")
    print(f"latency per document: {timing_summary(latencies)}")
    for miss in misses:
        print("  miss:", miss)
    return {
        "field_acc": {f: field_hits[f] / max(field_total[f], 1) for f in FIELDS},
        "latencies": latencies,
    }


@dataclass
class _Case:
    spec: docs.DocumentSpec
    broken: docs.BrokenCheck | None
    transform: str


_KINDS: dict[str, tuple[docs.DocumentKind, str]] = {
    "TD1": ("identity_card", "IDENTITY CARD"),
    "TD2": ("residence_permit", "RESIDENCE PERMIT"),
    "TD3": ("passport", "PASSPORT"),
    "MRVA": ("visa", "VISA"),
    "MRVB": ("visa", "VISA"),
}
_SURNAMES = ("ERIKSSON", "NGUYEN", "O'BRIEN", "VAN DER BERG", "MÜLLER", "SMITH-JONES", "LI", "OKONKWO")
_GIVEN = ("ANNA MARIA", "THANH", "SEAN PATRICK", "JAN", "JÖRG", "KATE", "WEI", "CHIDI")
_TRANSFORMS = ("upright", "rot90", "rot180", "rot270", "blur", "photocopy", "angled", "jpeg")


def _synthetic_cases(count: int) -> list[_Case]:
    rng = np.random.default_rng(7)
    cases = []
    types = list(_KINDS)
    for index in range(count):
        mrz_type = types[index % len(types)]
        kind, title = _KINDS[mrz_type]
        letters = "".join(rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ"), size=2))
        number = letters + "".join(str(d) for d in rng.integers(0, 10, size=7))
        spec = docs.DocumentSpec(
            kind=kind,
            mrz_type=mrz_type,  # type: ignore[arg-type]
            issuing_country=str(rng.choice(["UTO", "D", "FRA", "NLD", "GBR"])),
            nationality=str(rng.choice(["UTO", "D", "FRA", "NLD", "GBR"])),
            document_number=number,
            surname=str(_SURNAMES[index % len(_SURNAMES)]),
            given_names=str(_GIVEN[(index * 3) % len(_GIVEN)]),
            birth_date=date(
                int(rng.integers(1940, 2006)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
            ),
            expiry_date=date(
                int(rng.integers(2026, 2036)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
            ),
            sex=str(rng.choice(["M", "F"])),  # type: ignore[arg-type]
            optional_data=str(rng.choice(["", "ZE184226B", "12345"])),
            title=title,
            seed=index,
        )
        broken: docs.BrokenCheck | None = None
        if index % 2 == 1:
            allowed = [b for b in get_args(docs.BrokenCheck) if _can_break(mrz_type, b)]
            broken = allowed[(index // 2) % len(allowed)]
        cases.append(_Case(spec, broken, _TRANSFORMS[index % len(_TRANSFORMS)]))
    return cases


def _can_break(mrz_type: str, check: str) -> bool:
    if check == "composite":
        return mrz_type in ("TD1", "TD2", "TD3")
    if check == "personal":
        return mrz_type == "TD3"
    return True


def _photograph(case: _Case, portrait: npt.NDArray[Any] | None) -> npt.NDArray[Any]:
    img = docs.render_document(case.spec, portrait_bgr=portrait, break_check=case.broken)
    t = case.transform
    if t.startswith("rot"):
        return docs.rotate90(img, int(t[3:]) // 90)
    if t == "blur":
        return docs.blur(img, 2.0)
    if t == "photocopy":
        return docs.photocopy(img)
    if t == "angled":
        return docs.place_on_background(img, angle_deg=8, perspective=0.08, seed=case.spec.seed)
    if t == "jpeg":
        return docs.jpeg(img, 60)
    return img


def synthetic(count: int) -> dict[str, Any]:
    faces = sorted((TESTDATA / "faces").rglob("*.jpg"))
    portrait = cv2.imread(str(faces[0])) if faces else None
    exact, broken_total, broken_flagged, valid_total, valid_ok = 0, 0, 0, 0, 0
    latencies: list[float] = []
    per_transform: dict[str, list[int]] = {}
    misses = []
    for case in _synthetic_cases(count):
        image = _photograph(case, portrait)
        truth = docs.mrz_lines(case.spec, break_check=case.broken)
        start = time.perf_counter()
        reading = read_mrz(image)
        latencies.append((time.perf_counter() - start) * 1000)
        hit = reading.lines == truth
        exact += int(hit)
        per_transform.setdefault(case.transform, [0, 0])
        per_transform[case.transform][0] += int(hit)
        per_transform[case.transform][1] += 1
        label = f"{case.spec.mrz_type} {case.transform} broken={case.broken}"
        if not hit:
            misses.append(f"{label}: read {reading.lines} expected {truth}")
        if case.broken is not None:
            broken_total += 1
            flagged = reading.result is not None and not reading.result.valid
            broken_flagged += int(flagged)
            if not flagged:
                misses.append(f"{label}: broken check digit NOT flagged")
        else:
            valid_total += 1
            valid_ok += int(reading.result is not None and reading.result.valid)
    print(f"== Synthetic ({count} documents) ==")
    print(f"exact MRZ: {exact}/{count} = {exact / max(count, 1):.1%}")
    for name, (hits, total) in per_transform.items():
        print(f"  {name:10s} {hits}/{total}")
    print(f"broken check digit flagged: {broken_flagged}/{broken_total}")
    print(f"valid documents read valid: {valid_ok}/{valid_total}")
    print(f"latency per document: {timing_summary(latencies)}")
    for miss in misses:
        print("  miss:", miss)
    return {"latencies": latencies}


def _plot(spec_stats: dict[str, Any], synth_stats: dict[str, Any] | None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    acc = spec_stats["field_acc"]
    ax1.bar(list(acc), [100 * v for v in acc.values()], color="#4477aa")
    ax1.set_ylim(0, 105)
    ax1.set_ylabel("% of readable specimens")
    ax1.set_title("MRZ per-field accuracy (specimens)")
    ax1.tick_params(axis="x", rotation=45)
    ax2.hist(spec_stats["latencies"], bins=20, alpha=0.7, label="specimens")
    if synth_stats:
        ax2.hist(synth_stats["latencies"], bins=20, alpha=0.7, label="synthetic")
    ax2.set_xlabel("ms per document (read_mrz incl. OCR)")
    ax2.set_title("Latency")
    ax2.legend()
    fig.tight_layout()
    path = out_path("mrz_bench.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=40, help="number of synthetic documents (0: none)")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    spec_stats = specimens()
    synth_stats = synthetic(args.synthetic) if args.synthetic else None
    if not args.no_plot:
        print("plot:", _plot(spec_stats, synth_stats))


if __name__ == "__main__":
    main()
