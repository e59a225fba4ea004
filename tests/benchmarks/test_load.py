"""The load benchmark's pure helpers: the mix, the steady window, capacities and ratios."""

from __future__ import annotations

import math

import pytest
from benchmarks.load import (
    add_ratios,
    busy_seconds,
    count_in_window,
    fractions_of,
    mix_throughput,
    next_kind,
    parse_counts,
    parse_mix,
)


def test_parse_mix_normalises_and_refuses_unknown_kinds() -> None:
    assert parse_mix("selfie=1,docv=3") == {"selfie": 0.25, "docv": 0.75}
    assert parse_mix("docv=2, selfie=0") == {"docv": 1.0}
    with pytest.raises(ValueError):
        parse_mix("selfie=1,kyc=1")
    with pytest.raises(ValueError):
        parse_mix("selfie=0")
    assert parse_counts("1,2") == [1, 2]
    with pytest.raises(ValueError):
        parse_counts("0,2")


def test_weighted_round_robin_follows_the_mix() -> None:
    mix = {"selfie": 0.25, "docv": 0.75}
    counts: dict[str, int] = {}
    for _ in range(40):
        kind = next_kind(counts, mix)
        counts[kind] = counts.get(kind, 0) + 1
    assert counts == {"selfie": 10, "docv": 30}
    assert fractions_of(["docv", "docv", "selfie", "docv"]) == {"docv": 0.75, "selfie": 0.25}


def test_mix_throughput_is_processes_over_the_weighted_mean_time() -> None:
    assert mix_throughput({"selfie": 1.0, "docv": 3.0}, {"selfie": 0.5, "docv": 0.5}) == pytest.approx(0.5)
    assert mix_throughput({"selfie": 1.0, "docv": 3.0}, {"docv": 1.0}, processes=2) == pytest.approx(2 / 3)


def test_window_counts_and_busy_overlap() -> None:
    assert count_in_window([0.5, 1.0, 2.0, 3.0], 1.0, 3.0) == 2  # [start, end)
    intervals = [(0.0, 2.0), (1.5, 4.0), (5.0, 6.0)]
    assert busy_seconds(intervals, 1.0, 5.5) == pytest.approx(1.0 + 2.5 + 0.5)


def test_ratio_and_mix_adjusted_speed_up() -> None:
    engines = {
        1: {"mean_wall_s": {"selfie": 1.0, "docv": 3.0}},
        2: {"mean_wall_s": {"selfie": 1.25, "docv": 3.75}},
    }
    one = {
        "processes": 1,
        "throughput": 0.4,
        "window_mix": {"selfie": 0.5, "docv": 0.5},
        "verify_task_mean_s": 2.2,
    }
    add_ratios(one, engines, cores=2, first=math.nan)
    assert one["engine_capacity"] == pytest.approx(0.5)
    assert one["ratio"] == pytest.approx(0.8)
    assert one["task_overhead"] == pytest.approx(1.1)
    assert one["speed_up"] == 1.0
    # Two processes, a window of only DocV jobs: fewer jobs/s, yet more work done.
    two = {"processes": 2, "throughput": 0.5, "window_mix": {"docv": 1.0}, "verify_task_mean_s": 4.0}
    add_ratios(two, engines, cores=2, first=one["effective"])
    assert two["engine_capacity"] == pytest.approx(2 / 3)
    assert two["ratio"] == pytest.approx(0.75)
    assert two["ratio_vs_bare"] == pytest.approx(0.5 / (2 / 3.75))
    assert two["speed_up"] == pytest.approx(1.5 / 0.8)
