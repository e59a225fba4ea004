"""Evidence primitives shared by every check.

A check never answers a bare boolean: each score carries the threshold it was held against and
which way is better, and each decision carries machine-readable reasons, so that a reviewer and a
partner can see why a job passed or failed.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Decision(StrEnum):
    PASS = "pass"  # noqa: S105 - a decision, not a password
    FAIL = "fail"
    REVIEW = "review"


class Reason(BaseModel):
    """Why a decision is not a plain pass: a stable code plus a human sentence."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str


class Signal(BaseModel):
    """One measured score held against one threshold."""

    model_config = ConfigDict(frozen=True)

    score: float
    threshold: float
    # True when a score at or above the threshold passes; False when it must stay below it.
    higher_is_better: bool = True
    passed: bool
    detail: str | None = None

    @classmethod
    def measure(
        cls, score: float, threshold: float, *, higher_is_better: bool = True, detail: str | None = None
    ) -> Signal:
        """Build a signal, deciding ``passed`` from the score, the threshold and the direction."""
        passed = score >= threshold if higher_is_better else score < threshold
        return cls(
            score=round(float(score), 6),
            threshold=float(threshold),
            higher_is_better=higher_is_better,
            passed=bool(passed),
            detail=detail,
        )


class Evidence(BaseModel):
    """Base for every evidence object: a decision, its reasons and the signals behind it."""

    model_config = ConfigDict(frozen=True)

    decision: Decision
    reasons: list[Reason] = Field(default_factory=list)
    signals: dict[str, Signal] = Field(default_factory=dict)


def worst(decisions: list[Decision]) -> Decision:
    """Combine decisions: any fail fails, else any review reviews, else pass."""
    if Decision.FAIL in decisions:
        return Decision.FAIL
    if Decision.REVIEW in decisions:
        return Decision.REVIEW
    return Decision.PASS
