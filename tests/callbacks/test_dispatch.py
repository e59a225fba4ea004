"""The callback dispatcher: a bounded pool shared out per receiving host and per partner."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from openkyc.callbacks import dispatch
from openkyc.callbacks.dispatch import CallbackDispatcher, host_of
from openkyc.callbacks.service import DueDelivery


class Receivers:
    """A fake delivery: hangs (until released) for hosts named "slow", returns at once otherwise."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.now: Counter[str] = Counter()  # in flight, by host
        self.most: Counter[str] = Counter()
        self.partner_now: Counter[str] = Counter()
        self.partner_most: Counter[str] = Counter()
        self.done: list[int] = []
        self.done_event = threading.Condition(self.lock)

    def deliver(self, due: DueDelivery) -> None:
        host = host_of(due.url)
        with self.lock:
            self.now[host] += 1
            self.most[host] = max(self.most[host], self.now[host])
            self.partner_now[due.partner_id] += 1
            self.partner_most[due.partner_id] = max(
                self.partner_most[due.partner_id], self.partner_now[due.partner_id]
            )
        if "slow" in host:
            self.release.wait(10)
        with self.lock:
            self.now[host] -= 1
            self.partner_now[due.partner_id] -= 1
            self.done.append(due.id)
            self.done_event.notify_all()

    def wait_done(self, ids: set[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not ids <= set(self.done):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"not delivered: {sorted(ids - set(self.done))}")
                self.done_event.wait(remaining)


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    fake = Receivers()
    yield fake
    fake.release.set()


def test_hosts_are_told_apart_by_name_and_port() -> None:
    assert (
        host_of("https://Partner.Example/cb")
        == host_of("https://partner.example:443/other")
        == "partner.example:443"
    )
    assert host_of("http://partner.example/cb") == "partner.example:80"
    assert host_of("http://127.0.0.1:9001/cb") != host_of("http://127.0.0.1:9002/cb")
    assert host_of("http://[::1/cb") == ""  # malformed: counted together, never an error


def test_a_slow_host_holds_per_host_threads_and_delays_no_other_partner(receivers: Receivers) -> None:
    dispatcher = CallbackDispatcher(receivers.deliver, workers=4, per_host=2, per_partner=4)
    try:
        for index in range(10):
            assert dispatcher.offer(DueDelivery(index, 0, "http://slow.example/cb", "partner-a"))
        fast = {100 + index for index in range(5)}
        started = time.monotonic()
        for delivery_id in sorted(fast):
            assert dispatcher.offer(DueDelivery(delivery_id, 0, "http://fast.example/cb", "partner-b"))
        receivers.wait_done(fast, timeout=2)
        assert time.monotonic() - started < 1.0
        assert receivers.most["slow.example:80"] == 2  # never more than per_host at once
        deadline = time.monotonic() + 2
        while dispatcher.in_flight() != 2 and time.monotonic() < deadline:
            time.sleep(0.01)  # the fast ones' threads are being handed back
        assert dispatcher.in_flight() == 2  # the slow host's two, still waiting on their receiver
    finally:
        receivers.release.set()
        dispatcher.close()


def test_a_partner_with_many_slow_hosts_cannot_take_every_thread(receivers: Receivers) -> None:
    dispatcher = CallbackDispatcher(receivers.deliver, workers=4, per_host=2, per_partner=3)
    try:
        for index in range(20):
            url = f"http://slow-{index}.example/cb"  # one host per callback: per_host alone won't do
            assert dispatcher.offer(DueDelivery(index, 0, url, "partner-a"))
        fast = {100, 101, 102}
        for delivery_id in sorted(fast):
            dispatcher.offer(DueDelivery(delivery_id, 0, "http://fast.example/cb", "partner-b"))
        receivers.wait_done(fast, timeout=2)
        assert receivers.partner_most["partner-a"] == 3
        receivers.release.set()
        receivers.wait_done(set(range(20)), timeout=5)  # every waiting delivery is made in the end
    finally:
        receivers.release.set()
        dispatcher.close()


def test_waiting_receivers_take_turns(receivers: Receivers) -> None:
    order: list[str] = []
    gate = threading.Event()

    def deliver(due: DueDelivery) -> None:
        gate.wait(5)
        order.append(due.partner_id)

    dispatcher = CallbackDispatcher(deliver, workers=1, per_host=1, per_partner=1)
    try:
        dispatcher.offer(DueDelivery(0, 0, "http://a.example/cb", "a"))  # takes the only thread
        for index in range(1, 4):
            dispatcher.offer(DueDelivery(index, 0, "http://a.example/cb", "a"))
        for index in range(10, 13):
            dispatcher.offer(DueDelivery(index, 0, "http://b.example/cb", "b"))
        gate.set()
        deadline = time.monotonic() + 5
        while len(order) < 7 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert order == ["a", "a", "b", "a", "b", "a", "b"]
    finally:
        dispatcher.close()


def test_duplicates_are_held_once_and_a_full_backlog_refuses(
    receivers: Receivers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatch, "BACKLOG_PER_RECEIVER", 3)
    monkeypatch.setattr(dispatch, "BACKLOG_PER_PARTNER", 4)
    dispatcher = CallbackDispatcher(receivers.deliver, workers=2, per_host=1, per_partner=1)
    try:
        offers = [
            dispatcher.offer(DueDelivery(index, 0, "http://slow.example/cb", "a")) for index in range(5)
        ]
        # One in flight, three waiting; the fifth is refused (left to the sweep, still undelivered).
        assert offers == [True, True, True, True, False]
        assert dispatcher.offer(DueDelivery(1, 0, "http://slow.example/cb", "a"))  # held already
        # The same partner's other host: its one waiting place left, then the partner is full too.
        assert dispatcher.offer(DueDelivery(40, 0, "http://other.example/cb", "a"))
        assert not dispatcher.offer(DueDelivery(41, 0, "http://third.example/cb", "a"))
        assert dispatcher.offer(DueDelivery(50, 0, "http://fast.example/cb", "b"))  # another partner
        receivers.wait_done({50}, timeout=2)
        receivers.release.set()
        receivers.wait_done({0, 1, 2, 3, 40}, timeout=5)
        assert Counter(receivers.done)[1] == 1
        assert 4 not in receivers.done and 41 not in receivers.done
    finally:
        dispatcher.close()
    assert not dispatcher.offer(DueDelivery(60, 0, "http://fast.example/cb", "b"))  # closed
