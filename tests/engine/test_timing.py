import time

from openkyc.engine.timing import StageTimer


def test_laps_measure_from_the_previous_lap() -> None:
    timer = StageTimer()
    time.sleep(0.02)
    timer.lap("first")
    timer.lap("second")
    assert list(timer.timings_ms) == ["first", "second"]
    assert timer.timings_ms["first"] >= 15.0
    assert timer.timings_ms["second"] < timer.timings_ms["first"]
