"""The passive liveness model's training script, run on its tiny configuration: it writes a model
that loads, records its provenance, and beats chance on material it never learned from (the pad
sources left out one at a time, and recaptures of identities held apart)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openkyc.engine.liveness.passive_model import PassiveModel
from testkit.passive_material import generated_examples, rank_auc, scores
from tools import train_passive_liveness


@pytest.mark.slow
def test_tiny_training_run_writes_a_model_that_beats_chance_held_out(
    tmp_path: Path, testdata_dir: Path
) -> None:
    out = tmp_path / "passive.npz"
    assert train_passive_liveness.main(["--tiny", "--no-cache", "--out", str(out)]) == 0
    model = PassiveModel.load(out)
    provenance = model.provenance
    assert provenance["command"].endswith("--tiny")
    assert provenance["material"]["pad"]["count"] == 121
    assert 0.0 < model.review_threshold <= model.fail_threshold < 1.0
    # Leave-one-source-out over the real photos: every held-out source scored by a model that
    # never saw it.
    assert provenance["held_out"]["auc_recaptures"] > 0.6
    # Recaptures of identities the tiny run never trained on (half B), with seeds it never used.
    held_apart = generated_examples(testdata_dir, per_photo=1, max_photos=3, halves="B", seed=7000)
    values = scores(model, held_apart)
    labels = np.array([e.spoof for e in held_apart])
    found = np.isfinite(values)
    assert found.sum() >= 6
    assert rank_auc(values[found], labels[found]) > 0.6
