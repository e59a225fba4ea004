"""Train the passive liveness model (``src/openkyc/engine/liveness/passive_model.npz``).

Reproducible on CPU in a few minutes: every generated picture has a fixed seed (``--seed`` offsets
them all), feature extraction is deterministic and the logistic heads are fitted by Newton's method
(no random initialisation). The recipe and material are :mod:`testkit.passive_material`:

1. features of the real presentation-attack photos (``liveness/pad``: every source), the shared
   genuine face photos and generated recaptures (identity half A only; half B is kept for the
   benchmark's held-apart figures);
2. leave-one-source-out over the pad sources: the recipe refitted without each source, which is
   then scored; the operating points are chosen on these held-out scores (genuine pass
   ``--genuine-pass`` at the review threshold, at most ``--genuine-fail`` failed outright);
3. the shipped model: the recipe fitted on all of it, with those operating points and a provenance
   record (material, sources, licences, seed, date, held-out figures) stored inside the file.

Usage::

    .venv/bin/python -m tools.train_passive_liveness                 # the shipped model (minutes)
    .venv/bin/python -m tools.train_passive_liveness --tiny --out /tmp/p.npz  # under a minute

Features are cached under ``--cache`` (default ``benchmarks/out/passive_material``; the benchmark
reads the same cache); ``--no-cache`` recomputes them.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from openkyc.engine.liveness.passive_model import MODEL_PATH, PassiveModel
from openkyc.engine.liveness.recapture import FEATURE_NAMES
from testkit.passive_material import (
    Example,
    Recipe,
    cached,
    choose_operating_points,
    fit,
    generated_examples,
    loso_scores,
    pad_examples,
    rank_auc,
    shared_examples,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
TESTDATA = Path(os.environ.get("OPENKYC_TESTDATA", REPO_ROOT.parent / "shared" / "testdata"))
DEFAULT_CACHE = REPO_ROOT / "benchmarks" / "out" / "passive_material"
# Generated variants per photo and kind, and photos per identity half: full and --tiny.
FULL_GENERATION = {"per_photo": 2, "max_photos": None}
TINY_GENERATION = {"per_photo": 1, "max_photos": 4}


def load_material(
    *, tiny: bool, seed: int, cache: Path | None
) -> tuple[list[Example], list[Example], list[Example]]:
    """(pad, shared, generated) examples, from the cache when it matches."""
    generation = TINY_GENERATION if tiny else FULL_GENERATION
    tag = f"seed{seed}_pp{generation['per_photo']}_mp{generation['max_photos']}"
    pad = cached(cache / "pad.json" if cache else None, lambda: pad_examples(TESTDATA))
    shared = (
        [] if tiny else cached(cache / "shared.json" if cache else None, lambda: shared_examples(TESTDATA))
    )
    generated = cached(
        cache / f"generated_{tag}.json" if cache else None,
        lambda: generated_examples(
            TESTDATA,
            per_photo=int(generation["per_photo"] or 1),
            max_photos=generation["max_photos"],
            seed=seed,
        ),
    )
    return pad, shared, generated


def licence_notes(testdata: Path) -> dict[str, str]:
    """Licence noted for each pad source repository (labels.csv)."""
    notes: dict[str, str] = {}
    with (testdata / "liveness" / "pad" / "labels.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            notes[row["repo"]] = row["licence"]
    return notes


def held_out_summary(
    pad: list[Example], held: NDArray[np.float64], review: float, fail: float
) -> dict[str, Any]:
    """Held-out rates at the chosen operating points, by kind (no face counts as rejected)."""
    summary: dict[str, Any] = {"auc_recaptures": None, "kinds": {}}
    by_kind: dict[str, list[float]] = {}
    for example, score in zip(pad, held, strict=True):
        by_kind.setdefault(example.kind, []).append(float(score))
    for kind, values in sorted(by_kind.items()):
        array = np.array(values)
        found = np.isfinite(array)
        summary["kinds"][kind] = {
            "n": len(values),
            "no_face": int((~found).sum()),
            "passed": int((array[found] < review).sum()),
            "reviewed": int(((array[found] >= review) & (array[found] < fail)).sum()),
            "failed": int((array[found] >= fail).sum()),
        }
    recapture = [i for i, e in enumerate(pad) if e.kind != "mask" and np.isfinite(held[i])]
    summary["auc_recaptures"] = round(
        rank_auc(held[recapture], np.array([pad[i].spoof for i in recapture])), 4
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="model file to write")
    parser.add_argument("--tiny", action="store_true", help="fast configuration (CI): few generated pictures")
    parser.add_argument("--seed", type=int, default=0, help="offset of every generation seed")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--genuine-pass", type=float, default=0.9)
    parser.add_argument("--genuine-fail", type=float, default=0.03)
    args = parser.parse_args(argv)

    cache = None if args.no_cache else args.cache
    pad, shared, generated = load_material(tiny=args.tiny, seed=args.seed, cache=cache)
    recipe = Recipe()
    training_extra = [e for e in shared + generated if e.half == "A"]
    print(
        f"material: {len(pad)} pad photos ({sum(e.features is None for e in pad)} without a face), "
        f"{len(shared)} shared photos, {len(generated)} generated; training extra (half A): "
        f"{len(training_extra)}"
    )

    held, _ = loso_scores(pad, training_extra, recipe)
    live = held[[i for i, e in enumerate(pad) if not e.spoof]]
    points = choose_operating_points(live, genuine_pass=args.genuine_pass, genuine_fail=args.genuine_fail)
    summary = held_out_summary(pad, held, points.review, points.fail)
    print(f"operating points (held-out): review >= {points.review:.4f}, fail >= {points.fail:.4f}")
    print(f"held-out AUC, recaptures (no masks) vs live: {summary['auc_recaptures']}")
    for kind, row in summary["kinds"].items():
        print(f"  {kind:8s} {row}")

    model = fit(pad + training_extra, recipe)
    sources = Counter((e.source, e.label) for e in pad)
    provenance = {
        "trained": datetime.datetime.now(datetime.UTC).date().isoformat(),
        "command": "python -m tools.train_passive_liveness" + (" --tiny" if args.tiny else ""),
        "seed": args.seed,
        "recipe": {
            "l2": recipe.l2,
            "shared_weight": recipe.shared_weight,
            "generated_weight": recipe.generated_weight,
            "heads": recipe.heads,
        },
        "features": len(FEATURE_NAMES),
        "material": {
            "pad": {
                "what": "real single-photo presentation attacks and live photos, testdata/liveness/pad",
                "count": len(pad),
                "sources": {
                    source: {
                        "spoof": sources[(source, "spoof")],
                        "live": sources[(source, "live")],
                        "licence": note,
                    }
                    for source, note in sorted(licence_notes(TESTDATA).items())
                },
            },
            "shared": {
                "what": "shared genuine face photos (testdata/faces, role face), identity half A",
                "count": sum(e.group == "shared" for e in training_extra),
                "repositories": sorted({e.source for e in shared}),
            },
            "generated": {
                "what": "recaptured prints/screens and genuine twins of the shared photos "
                "(testkit.recapture), identity half A",
                "count": sum(e.group == "generated" for e in training_extra),
            },
        },
        "licence_note": (
            "Weights are fitted statistics (standardisation and linear weights over named features), "
            "not images. The pad photos come from public GitHub repositories, most without a stated "
            "licence (one MIT); the shared face photos from the repositories listed, under their "
            "licences; nothing from the reserved sources."
        ),
        "held_out": {
            "method": "leave-one-source-out over pad sources; operating points chosen on these scores",
            "genuine_pass_target": args.genuine_pass,
            "genuine_fail_target": args.genuine_fail,
            **summary,
        },
    }
    model = model.with_operating_points(points.review, points.fail, provenance)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    # A reload proves the file is complete before anyone relies on it.
    PassiveModel.load(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    print(json.dumps({"review": points.review, "fail": points.fail}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
