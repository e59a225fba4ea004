"""The load benchmark's pure helpers: the mix, the steady window, a run's figures, capacities and ratios."""

from __future__ import annotations

import math
import threading
from typing import Any

import pytest
from benchmarks.load import (
    JobRecord,
    LoadState,
    LoadWindow,
    add_ratios,
    busy_seconds,
    collect_figures,
    count_in_window,
    fractions_of,
    mix_throughput,
    next_kind,
    parse_counts,
    parse_mix,
)

from testkit.callback_receiver import Received


def test_parse_mix_normalises_and_refuses_unknown_kinds() -> None:
    assert parse_mix("selfie=1,docv=3") == {"selfie": 0.25, "docv": 0.75}
    assert parse_mix("docv=2, selfie=0") == {"docv": 1.0}
    with pytest.raises(ValueError, match="unknown job kind"):
        parse_mix("selfie=1,kyc=1")
    with pytest.raises(ValueError, match="at least one positive weight"):
        parse_mix("selfie=0")
    assert parse_counts("1,2") == [1, 2]
    with pytest.raises(ValueError, match="positive integers"):
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


def test_a_run_s_figures_count_lost_and_duplicated_jobs_and_the_window_only() -> None:
    window = LoadWindow(
        load_start=100.0,
        load_stop=120.0,
        warmup=5.0,
        duration=20.0,
        wall_offset=1000.0,
        cpu_start=(0.0, 0.0, 0.0),
        cpu_stop=(10.0, 10.0, 10.0),
        load_average_start=(1.0, 1.0, 1.0),
        load_average_stop=(2.0, 2.0, 2.0),
    )
    state = LoadState(in_flight=threading.Semaphore(4))
    state.records = {
        "ok": JobRecord("ok", 0, "selfie", 106.0, put_done=107.0, callback_at=110.0),
        "twice": JobRecord("twice", 0, "docv", 106.0, put_done=108.0, callback_at=112.0),
        "early": JobRecord("early", 1, "selfie", 101.0, put_done=102.0, callback_at=104.0),  # warm-up
        "silent": JobRecord("silent", 1, "docv", 109.0, put_done=110.0),
        "refused": JobRecord("refused", 1, "docv", 111.0, error="HTTPError: 400"),
    }
    state.errors = ["HTTPError: 400"]
    received = [
        Received({"SmileJobID": "ok", "ResultCode": "0840"}, 200, 110.0),
        Received({"SmileJobID": "twice", "ResultCode": "0810"}, 200, 112.0),
        Received({"SmileJobID": "twice", "ResultCode": "0810"}, 200, 113.0),
        Received({"SmileJobID": "early", "ResultCode": "0840"}, 200, 104.0),
        Received({"SmileJobID": "silent", "ResultCode": "0810"}, 503, 111.0),  # refused: not delivered
    ]
    jobs = {
        name: {"has_result": True, "history": 1, "attempts": 1, "queued_at": 1108.5, "completed_at": 1109.0}
        for name in ("ok", "twice", "early", "silent")
    }
    jobs["twice"]["attempts"] = 2
    tasks = {"openkyc.verify_job": [(1106.0, 1108.0), (1110.0, 1110.01), (1101.0, 1104.0)]}

    figures = collect_figures(state, received, jobs, tasks, window, 1, {"selfie": 0.5, "docv": 0.5})

    assert (figures["submitted"], figures["submit_errors"], figures["accepted"]) == (5, 1, 4)
    assert (figures["results"], figures["callbacks"]) == (4, 3)
    assert figures["lost"] == ["silent"] and figures["duplicated"] == ["twice"]
    assert figures["retried_jobs"] == 1
    # The window is [105, 120): the warm-up's job counts for delivery, not for throughput.
    assert figures["completed_in_window"] == 2
    assert figures["throughput"] == pytest.approx(2 / 15)
    assert figures["window_mix"] == {"selfie": 0.5, "docv": 0.5}
    assert figures["latency_s"]["upload_to_callback"]["n"] == 2
    assert figures["stages_median_s"]["queued_to_result"] == pytest.approx(0.5)
    # The verify_job that ran a job counts; the no-op and the warm-up's do not.
    assert figures["verify_tasks"] == 1 and figures["verify_task_mean_s"] == pytest.approx(2.0)
    assert figures["busy_share"] == {"openkyc.verify_job": pytest.approx(2.01 / 15)}
    assert figures["result_codes"] == {"DocV 0810": 2, "SmartSelfie 0840": 2}
    assert [job["smile_job_id"] for job in figures["jobs"]][:2] == ["early", "ok"]
    assert figures["callback_times"] == [4.0, 10.0, 12.0]
    assert (figures["warmup_s"], figures["duration_s"]) == (5.0, 20.0)


def test_ratio_and_mix_adjusted_speed_up() -> None:
    engines = {
        1: {"mean_wall_s": {"selfie": 1.0, "docv": 3.0}},
        2: {"mean_wall_s": {"selfie": 1.25, "docv": 3.75}},
    }
    one: dict[str, Any] = {
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
