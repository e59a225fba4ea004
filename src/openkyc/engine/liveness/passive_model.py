"""The passive check's learned model: a logistic regression over named recapture features.

Why a linear model: the material to learn from is small (a hundred-odd real spoof and live photos
from a score of sources, plus generated recaptures), and a linear model over standardised,
physically named features cannot memorise a source's look the way a network on pixels does; it
also explains itself, since each feature's share of the score (weight times standardised value)
adds up by group (frame, moire, blur, colour, shading, texture) to the decision.

The model file (``passive_model.npz``, shipped in the package) holds the feature names, the
standardisation, the weights, the operating points chosen on held-out predictions by
``tools/train_passive_liveness.py``, and a JSON provenance record. Inference is NumPy only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from openkyc.engine.errors import ModelUnavailable

MODEL_PATH = Path(__file__).with_name("passive_model.npz")


# eq=False: compared and hashed by identity (its arrays have no single truth value), so a config
# holding it stays hashable and comparable.
@dataclass(frozen=True, eq=False)
class PassiveModel:
    """Standardisation, weights and operating points of the passive model's logistic heads.

    One head per kind of recapture (a screen, a print) each against live faces: their cues point
    in different directions (a screen's grid adds fine detail, a print's blur removes it), which
    one linear score cannot express. The spoof probability is the highest head's.
    """

    feature_names: tuple[str, ...]
    head_names: tuple[str, ...]
    mean: NDArray[np.float64]  # (heads, features)
    scale: NDArray[np.float64]  # (heads, features)
    coef: NDArray[np.float64]  # (heads, features), of the standardised features
    intercept: NDArray[np.float64]  # (heads,)
    # Spoof probability at or above which the selfie fails, and at or above which it is reviewed.
    fail_threshold: float
    review_threshold: float
    provenance: dict[str, Any] = field(default_factory=dict)

    def head_logits(self, features: NDArray[Any]) -> NDArray[np.float64]:
        """(rows, heads) logits of each row of ``features`` (columns in ``feature_names`` order)."""
        x = np.atleast_2d(np.asarray(features, np.float64))
        standardised = (x[:, None, :] - self.mean[None]) / self.scale[None]
        return np.asarray(np.einsum("rhf,hf->rh", standardised, self.coef) + self.intercept[None])

    def spoof_probability(self, features: NDArray[Any]) -> NDArray[np.float64]:
        """Spoof probability of each row of ``features``: the most confident head's."""
        logit = self.head_logits(features).max(axis=1)
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logit, -40, 40))))

    def explain(self, features: NDArray[Any]) -> tuple[str, dict[str, float]]:
        """The deciding (highest) head for one feature vector and each feature group's share of
        its logit (positive: spoof-like). The shares and the head's intercept sum to the logit."""
        x = np.asarray(features, np.float64).reshape(-1)
        head = int(np.argmax(self.head_logits(x)[0]))
        terms = (x - self.mean[head]) / self.scale[head] * self.coef[head]
        groups: dict[str, float] = {}
        for name, term in zip(self.feature_names, terms, strict=True):
            group = name.split(".", 1)[0]
            groups[group] = groups.get(group, 0.0) + float(term)
        return self.head_names[head], groups

    def vector(self, features: dict[str, float]) -> NDArray[np.float64]:
        """The named features as a row in this model's order (a missing feature is a KeyError)."""
        return np.array([features[name] for name in self.feature_names], np.float64)

    def with_operating_points(self, review: float, fail: float, provenance: dict[str, Any]) -> PassiveModel:
        return replace(self, review_threshold=review, fail_threshold=fail, provenance=provenance)

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            Path(path),
            feature_names=np.array(self.feature_names),
            head_names=np.array(self.head_names),
            mean=self.mean,
            scale=self.scale,
            coef=self.coef,
            intercept=self.intercept,
            fail_threshold=np.float64(self.fail_threshold),
            review_threshold=np.float64(self.review_threshold),
            provenance=np.array(json.dumps(self.provenance, sort_keys=True)),
        )

    @classmethod
    def load(cls, path: str | Path) -> PassiveModel:
        """Read a model file; a missing or malformed one is :class:`ModelUnavailable`."""
        path = Path(path)
        if not path.is_file():
            raise ModelUnavailable(f"passive liveness model {path.name!r} not found")
        try:
            with np.load(path, allow_pickle=False) as data:
                model = cls(
                    feature_names=tuple(str(n) for n in data["feature_names"]),
                    head_names=tuple(str(n) for n in data["head_names"]),
                    mean=np.asarray(data["mean"], np.float64),
                    scale=np.asarray(data["scale"], np.float64),
                    coef=np.asarray(data["coef"], np.float64),
                    intercept=np.asarray(data["intercept"], np.float64).reshape(-1),
                    fail_threshold=float(data["fail_threshold"]),
                    review_threshold=float(data["review_threshold"]),
                    provenance=json.loads(str(data["provenance"])),
                )
        except (OSError, KeyError, ValueError) as error:
            raise ModelUnavailable(f"passive liveness model {path.name!r} unreadable: {error}") from error
        shape = (len(model.head_names), len(model.feature_names))
        if not (
            model.mean.shape == model.scale.shape == model.coef.shape == shape
        ) or model.intercept.shape != (shape[0],):
            raise ModelUnavailable(f"passive liveness model {path.name!r} has inconsistent shapes")
        return model


@lru_cache(maxsize=1)
def bundled_model() -> PassiveModel:
    """The model shipped in the package (loaded once)."""
    return PassiveModel.load(MODEL_PATH)


def fit_logistic(
    features: NDArray[Any],
    labels: NDArray[Any],
    *,
    weights: NDArray[Any] | None = None,
    l2: float = 1.0,
    iterations: int = 50,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], float]:
    """Weighted, L2-regularised logistic regression by Newton's method (deterministic).

    ``labels`` are 1 for a spoof, 0 for a live face. Returns (mean, scale, coef, intercept), the
    coefficients being those of the standardised features. The penalty is ``l2`` times the squared
    norm of the coefficients (not the intercept), against the weighted mean log-loss times the
    total weight.
    """
    x = np.asarray(features, np.float64)
    y = np.asarray(labels, np.float64)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, np.float64)
    mean = np.average(x, axis=0, weights=w)
    scale = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w))
    scale = np.where(scale > 1e-9, scale, 1.0)
    design = np.c_[(x - mean) / scale, np.ones(len(y))]
    penalty = np.full(design.shape[1], float(l2))
    penalty[-1] = 0.0
    beta = np.zeros(design.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -40, 40)))
        gradient = design.T @ (w * (p - y)) + penalty * beta
        hessian = (design * (w * p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return mean, scale, beta[:-1], float(beta[-1])
