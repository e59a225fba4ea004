"""The passive model: fitting, scoring, explaining, saving and loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.engine.errors import ModelUnavailable
from openkyc.engine.liveness.passive_model import PassiveModel, bundled_model, fit_logistic
from openkyc.engine.liveness.recapture import FEATURE_NAMES

NAMES = ("moire.a", "blur.b", "blur.c")


def _separable(seed: int = 0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    live = rng.normal([0.0, 5.0, 1.0], [1.0, 2.0, 0.1], (200, 3))
    spoof = rng.normal([3.0, 5.0, 1.0], [1.0, 2.0, 0.1], (200, 3))
    return np.r_[live, spoof], np.r_[np.zeros(200), np.ones(200)]


def _model(x: NDArray[np.float64], y: NDArray[np.float64]) -> PassiveModel:
    mean, scale, coef, intercept = fit_logistic(x, y, l2=1.0)
    return PassiveModel(
        feature_names=NAMES,
        head_names=("screen",),
        mean=mean[None],
        scale=scale[None],
        coef=coef[None],
        intercept=np.array([intercept]),
        fail_threshold=0.9,
        review_threshold=0.5,
        provenance={"what": "test"},
    )


def test_logistic_fit_finds_the_informative_feature_and_is_deterministic() -> None:
    x, y = _separable()
    coef = fit_logistic(x, y, l2=1.0)[2]
    again = fit_logistic(x, y, l2=1.0)
    np.testing.assert_array_equal(coef, again[2])
    assert coef[0] > 1.0 and abs(coef[1]) < 0.3 * coef[0] and abs(coef[2]) < 0.3 * coef[0]
    model = _model(x, y)
    accuracy = np.mean((model.spoof_probability(x) >= 0.5) == (y == 1))
    assert accuracy > 0.9


def test_stronger_penalty_shrinks_the_weights() -> None:
    x, y = _separable()
    loose = fit_logistic(x, y, l2=0.1)[2]
    tight = fit_logistic(x, y, l2=100.0)[2]
    assert np.linalg.norm(tight) < np.linalg.norm(loose)


def test_sample_weights_count_like_repeated_examples() -> None:
    x, y = _separable()
    weights = np.where(np.arange(len(y)) % 2 == 0, 2.0, 1.0)
    repeated = np.r_[x, x[::2]], np.r_[y, y[::2]]
    weighted = fit_logistic(x, y, weights=weights, l2=1.0)[2]
    plain = fit_logistic(*repeated, l2=1.0)[2]
    np.testing.assert_allclose(weighted, plain, rtol=1e-6, atol=1e-6)


def test_explanation_shares_add_up_to_the_logit() -> None:
    x, y = _separable()
    model = _model(x, y)
    row = x[250]
    head, shares = model.explain(row)
    assert head == "screen"
    assert set(shares) == {"moire", "blur"}
    logit = float(model.head_logits(row)[0, 0])
    assert sum(shares.values()) + float(model.intercept[0]) == pytest.approx(logit)


def test_the_spoof_probability_is_the_highest_head() -> None:
    x, y = _separable()
    one = _model(x, y)
    flipped = _model(x, 1 - y)
    both = PassiveModel(
        feature_names=NAMES,
        head_names=("screen", "print"),
        mean=np.r_[one.mean, flipped.mean],
        scale=np.r_[one.scale, flipped.scale],
        coef=np.r_[one.coef, flipped.coef],
        intercept=np.r_[one.intercept, flipped.intercept],
        fail_threshold=0.9,
        review_threshold=0.5,
    )
    expected = np.maximum(one.spoof_probability(x), flipped.spoof_probability(x))
    np.testing.assert_allclose(both.spoof_probability(x), expected)
    assert both.explain(x[0])[0] == "print"  # a live-looking row: the flipped head is the confident one


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    x, y = _separable()
    model = _model(x, y)
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = PassiveModel.load(path)
    assert loaded.feature_names == NAMES and loaded.provenance == {"what": "test"}
    np.testing.assert_allclose(loaded.spoof_probability(x), model.spoof_probability(x))
    assert loaded.vector({"moire.a": 1.0, "blur.b": 2.0, "blur.c": 3.0}).tolist() == [1.0, 2.0, 3.0]


def test_missing_or_broken_model_file_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable):
        PassiveModel.load(tmp_path / "absent.npz")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(ModelUnavailable):
        PassiveModel.load(broken)
    partial = tmp_path / "partial.npz"
    np.savez(partial, feature_names=np.array(NAMES))
    with pytest.raises(ModelUnavailable):
        PassiveModel.load(partial)


def test_bundled_model_matches_the_feature_set_and_records_its_provenance() -> None:
    model = bundled_model()
    assert model.feature_names == FEATURE_NAMES
    assert set(model.head_names) == {"screen", "print"}
    assert 0.0 < model.review_threshold <= model.fail_threshold < 1.0
    provenance = model.provenance
    assert {"trained", "seed", "recipe", "material", "licence_note", "held_out"} <= set(provenance)
    assert provenance["held_out"]["method"].startswith("leave-one-source-out")
    # The held-out figures it records beat chance.
    assert provenance["held_out"]["auc_recaptures"] > 0.6
