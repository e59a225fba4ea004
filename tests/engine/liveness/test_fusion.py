"""Weak surface cues: each counts at its suspicion level, and the count is what decides."""

from __future__ import annotations

import pytest

from openkyc.engine.liveness.config import LivenessConfig, SelfieCheckConfig
from openkyc.engine.liveness.fusion import SuspicionLevels, suspicious_cues

LEVELS = SuspicionLevels(periodic_pattern=1.2, chroma_moire=0.25, enclosing_sides=2)


@pytest.mark.parametrize(
    ("periodic", "moire", "sides", "expected"),
    [
        (1.0, 0.1, 0, 0),  # a plain genuine face
        (1.2, 0.1, 0, 1),  # at the level counts
        (1.19, 0.249, 1.5, 0),  # just below every level
        (1.25, 0.3, 0, 2),  # faint grid and colour moiré
        (1.0, 0.3, 2, 2),  # colour moiré and a bezel on two sides
        (2.0, 0.5, 4, 3),
    ],
)
def test_each_cue_counts_at_its_suspicion_level(
    periodic: float, moire: float, sides: float, expected: int
) -> None:
    assert suspicious_cues(periodic, moire, sides, LEVELS) == expected


def test_suspicion_levels_lie_below_the_levels_that_fail_alone() -> None:
    for config in (LivenessConfig(), SelfieCheckConfig()):
        levels = config.surface_suspicion
        assert levels.periodic_pattern < config.max_periodic_pattern
        assert levels.chroma_moire < config.max_chroma_moire
        assert levels.enclosing_sides < config.max_enclosing_sides
        # One suspicious cue alone never fails: it takes at least two.
        assert config.max_suspicious_cues >= 2
