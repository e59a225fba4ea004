"""Per-stage timings that pipelines report in their evidence (``timings_ms``)."""

from __future__ import annotations

import time


class StageTimer:
    """Milliseconds spent in each named stage, measured from the previous lap."""

    def __init__(self) -> None:
        self.timings_ms: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        """Close ``stage``: record the time since the previous lap (or since creation)."""
        now = time.perf_counter()
        self.timings_ms[stage] = round((now - self._last) * 1000, 1)
        self._last = now
