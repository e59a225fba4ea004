"""The passive model's material and recipe: operating points, AUC, fitting and leave-one-source-out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openkyc.engine.liveness.recapture import FEATURE_NAMES
from testkit.passive_material import (
    Example,
    Recipe,
    cached,
    choose_operating_points,
    fit,
    loso_scores,
    rank_auc,
)


def test_operating_points_pass_the_wanted_share_of_live_scores() -> None:
    live = np.linspace(0.0, 0.99, 100)
    points = choose_operating_points(live, genuine_pass=0.9, genuine_fail=0.03)
    assert np.mean(live < points.review) == pytest.approx(0.9)
    assert np.mean(live >= points.fail) == pytest.approx(0.03)
    assert points.review <= points.fail
    # Scores without a face (NaN) are ignored; no scores at all is an error.
    assert choose_operating_points(np.r_[live, np.nan]).review == points.review
    with pytest.raises(ValueError, match="no live scores"):
        choose_operating_points(np.array([np.nan]))


def test_rank_auc() -> None:
    assert rank_auc(np.array([0.9, 0.8, 0.1, 0.2]), np.array([1, 1, 0, 0])) == 1.0
    assert rank_auc(np.array([0.1, 0.2, 0.9, 0.8]), np.array([1, 1, 0, 0])) == 0.0
    assert rank_auc(np.array([0.5, 0.5]), np.array([1, 0])) == 0.5


def _examples(seed: int) -> list[Example]:
    """Synthetic examples from three sources: screens raise one feature, prints lower another."""
    rng = np.random.default_rng(seed)
    out = []
    for source in ("a", "b", "c"):
        for i in range(60):
            kind = ("screen", "print", "webcam")[i % 3]
            # Ten noisy features, two of them informative; the rest constant.
            values = np.zeros(len(FEATURE_NAMES))
            values[:10] = rng.normal(0.0, 1.0, 10)
            values[1] += 3.0 if kind == "screen" else 0.0
            values[5] -= 3.0 if kind == "print" else 0.0
            label = "live" if kind == "webcam" else "spoof"
            out.append(Example(f"{source}{i}", label, kind, source, "pad", "", tuple(values)))
    out.append(Example("noface", "spoof", "print", "a", "pad", "", None))
    return out


def test_each_head_learns_its_own_kind_and_loso_scores_every_source() -> None:
    examples = _examples(0)
    model = fit(examples, Recipe())
    assert model.head_names == ("screen", "print")
    features = np.array([e.features for e in examples if e.features is not None])
    kinds = np.array([e.kind for e in examples if e.features is not None])
    probability = model.spoof_probability(features)
    assert probability[kinds == "screen"].mean() > 0.8 and probability[kinds == "print"].mean() > 0.8
    assert probability[kinds == "webcam"].mean() < 0.3
    held, models = loso_scores(examples, [], Recipe())
    assert set(models) == {"a", "b", "c"}
    assert np.isnan(held[-1])  # no face, no score
    labels = np.array([e.spoof for e in examples])
    found = np.isfinite(held)
    assert rank_auc(held[found], labels[found]) > 0.9


def test_a_head_without_its_spoof_kind_is_refused() -> None:
    live_only = [e for e in _examples(1) if not e.spoof]
    with pytest.raises(ValueError, match="no screen spoofs or no live faces"):
        fit(live_only, Recipe())


def test_cache_round_trip_and_stale_cache_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "cache.json"
    examples = _examples(2)[:5]
    assert cached(path, lambda: examples) == examples
    assert cached(path, lambda: []) == examples  # served from the cache
    path.write_text('{"feature_names": ["other"], "examples": []}')
    assert cached(path, lambda: examples[:2]) == examples[:2]  # stale feature set: rebuilt
