from openkyc.engine.evidence import Decision, Signal, worst


def test_signal_direction() -> None:
    assert Signal.measure(0.7, 0.5).passed
    assert not Signal.measure(0.4, 0.5).passed
    assert Signal.measure(0.1, 0.5, higher_is_better=False).passed
    assert not Signal.measure(0.5, 0.5, higher_is_better=False).passed


def test_worst_decision() -> None:
    assert worst([Decision.PASS, Decision.REVIEW]) is Decision.REVIEW
    assert worst([Decision.REVIEW, Decision.FAIL, Decision.PASS]) is Decision.FAIL
    assert worst([]) is Decision.PASS
