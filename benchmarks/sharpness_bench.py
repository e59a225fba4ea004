"""Does the blur check reject sharp genuine selfies, and does it still catch blurred ones?

Material: every genuine photo of a person in the shared faces (roles face, variant, multi_face)
and every live capture of the PAD set (label ``live``), 18 + 5 sources. For each, the primary
face is found once on the photo as it is, and two sharpness measures are taken:

* ``image``: the variance of the Laplacian of the whole photo at 1000 px (what selfies were judged
  on; ``quality.too_blurry`` below 8), at the photo's native size and after the engine's resizing
  (decoding to at most 2400 px, then 1000 px);
* ``face``: the variance of the Laplacian of the face, brought to the 150 px of the face matcher's
  chip (what selfies are judged on now; ``quality.too_blurry`` below 12).

Blurred versions are made with a Gaussian blur whose sigma is fixed at the face's chip scale
(k px at 150 px, i.e. k x face side / 150 px on the photo): k = 0.5 is slight (invisible to the
matcher; a selfie that should pass), k = 1.5 and 2.5 are blurred faces that should be caught.
The face box of the sharp photo is used for its blurred versions too (the measure is under test,
not detection).

The face bound comes from a rule, not a fit: 25% below the least sharp genuine face. Held-out
figures apply that rule to all sources but one and count the one left out, for each source.

    .venv/bin/python -m benchmarks.sharpness_bench
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import cv2

from benchmarks.common import TESTDATA, out_path, percentile
from openkyc.engine.face.detect import detect_faces, primary_face
from openkyc.engine.images.decode import load_image
from openkyc.engine.images.quality import (
    FACE_MEASURE_SIDE,
    MEASURE_LONG_SIDE,
    QualityThresholds,
    downscale,
    face_sharpness,
    laplacian_variance,
)

BLURS = (0.5, 1.5, 2.5)  # sigma in px at the face's chip scale
MARGIN = 0.75  # the face bound: this fraction of the least sharp genuine face


def genuine_photos() -> list[tuple[str, Path]]:
    """(source, path) of every genuine photo."""
    photos = []
    with (TESTDATA / "faces" / "identities.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["role"] in ("face", "variant", "multi_face"):
                photos.append((row["repo"], TESTDATA / "faces" / row["image"]))
    with (TESTDATA / "liveness" / "pad" / "labels.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["label"] == "live":
                photos.append((row["repo"], TESTDATA / "liveness" / "pad" / row["image"]))
    return photos


def whole_sharpness(bgr: Any) -> float:
    gray = cv2.cvtColor(downscale(bgr, MEASURE_LONG_SIDE), cv2.COLOR_BGR2GRAY)
    return laplacian_variance(gray)


def measure(path: Path) -> dict[str, Any] | None:
    bgr = load_image(path).bgr  # the engine's decoding (at most 2400 px)
    face = primary_face(detect_faces(bgr))
    if face is None:
        return None
    native = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    side = max(face.box[2] - face.box[0], face.box[3] - face.box[1])
    row: dict[str, Any] = {
        "image_native": laplacian_variance(native) if native is not None else float("nan"),
        "image": whole_sharpness(bgr),
        "face": face_sharpness(bgr, face.box),
        "face_side": int(side),
    }
    for k in BLURS:
        blurred = cv2.GaussianBlur(bgr, (0, 0), k * max(side, FACE_MEASURE_SIDE) / FACE_MEASURE_SIDE)
        row[f"image_blur{k}"] = whole_sharpness(blurred)
        row[f"face_blur{k}"] = face_sharpness(blurred, face.box)
    return row


def main() -> None:
    thresholds = QualityThresholds()
    old_bound, new_bound = thresholds.hard_min_sharpness, thresholds.hard_min_face_sharpness
    rows: list[dict[str, Any]] = []
    skipped = 0
    for source, path in genuine_photos():
        measured = measure(path)
        if measured is None:
            skipped += 1
            continue
        rows.append({"source": source, "image_path": str(path.relative_to(TESTDATA)), **measured})
    sources = sorted({r["source"] for r in rows})
    print(f"{len(rows)} genuine photos with a face from {len(sources)} sources ({skipped} without a face)")

    print("\nsharpness of the genuine photos, percentiles p1 / p5 / p25 / p50:")
    for key, label in (
        ("image_native", "whole photo, native size"),
        ("image", "whole photo, after the engine's resizing (old measure)"),
        ("face", f"face at {FACE_MEASURE_SIDE} px (new measure)"),
    ):
        values = [r[key] for r in rows]
        print(f"  {label:58s} " + " / ".join(f"{percentile(values, q):7.1f}" for q in (1, 5, 25, 50)))

    def rejected(key: str, bound: float, subset: list[dict[str, Any]]) -> int:
        return sum(r[key] < bound for r in subset)

    print(f"\n{'':46s} {'old: image < ' + str(old_bound):>18s} {'new: face < ' + str(new_bound):>18s}")
    print(
        f"{'genuine photos rejected (too_blurry)':46s} {rejected('image', old_bound, rows):>12d} of {len(rows)}"
        f" {rejected('face', new_bound, rows):>12d} of {len(rows)}"
    )
    for k in BLURS:
        what = "rejected (should pass)" if k < 1 else "caught"
        print(
            f"{'blurred k=' + str(k) + ' px at chip scale, ' + what:46s}"
            f" {rejected(f'image_blur{k}', old_bound, rows):>12d} of {len(rows)}"
            f" {rejected(f'face_blur{k}', new_bound, rows):>12d} of {len(rows)}"
        )

    # Held out: the bound from the rule on every other source, counted on the one left out.
    held: dict[str, int] = defaultdict(int)
    print("\nleave-one-source-out (face bound = 0.75 x least sharp genuine face of the other sources):")
    for source in sources:
        others = [r for r in rows if r["source"] != source]
        mine = [r for r in rows if r["source"] == source]
        bound = MARGIN * min(r["face"] for r in others)
        counts = {
            "genuine": rejected("face", bound, mine),
            **{f"blur{k}": rejected(f"face_blur{k}", bound, mine) for k in BLURS},
        }
        for key, value in counts.items():
            held[key] += value
        held["n"] += len(mine)
        if counts["genuine"]:
            print(f"  {source}: bound {bound:.1f}, {counts['genuine']} of {len(mine)} genuine rejected")
    n = held["n"]
    print(
        f"  pooled held-out: genuine rejected {held['genuine']} of {n}; "
        + "; ".join(
            f"blur k={k} {'rejected' if k < 1 else 'caught'} {held[f'blur{k}']} of {n}" for k in BLURS
        )
    )
    print(
        f"  (rule on all sources: {MARGIN} x {min(r['face'] for r in rows):.1f} = "
        f"{MARGIN * min(r['face'] for r in rows):.1f}; the engine's bound is {new_bound})"
    )

    print("\nleast sharp genuine photos (old measure / new measure):")
    for r in sorted(rows, key=lambda r: r["image"])[:5]:
        print(f"  {r['image_path']}: image {r['image']:.1f}, face {r['face']:.1f} (face {r['face_side']} px)")
    path = out_path("sharpness_bench.json")
    path.write_text(json.dumps(rows, indent=1))
    print(f"raw figures: {path}")


if __name__ == "__main__":
    main()
