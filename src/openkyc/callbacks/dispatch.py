"""Sharing delivery threads out fairly: a bounded pool, and caps per receiving host and per partner.

A callback receiver that never answers holds a delivery thread for the whole timeout. Delivered
one after another, ten such callbacks kept every other partner's waiting for minutes; on a shared
pool, enough of them would take every thread. Here a delivery starts only while its host has
fewer than ``per_host`` and its partner fewer than ``per_partner`` deliveries in flight, so a slow
receiver delays its own partner's callbacks and no one else's (a partner spreading its callbacks
over many slow hosts is still held to ``per_partner``). Deliveries waiting for room are kept in
memory per (partner, host) and started in turn, round-robin, as threads free up.

Nothing here decides whether or when a callback is sent again: :func:`service.deliver` makes the
attempt, logs it and schedules the retry, and the database row stays undelivered until a receiver
accepts it (at least once). What this process holds is lost with it and found again by a sweep.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from openkyc.callbacks.service import DueDelivery

log = logging.getLogger(__name__)

# How many deliveries one (partner, host), and one partner over all its hosts, may have waiting in
# memory: enough for a healthy receiver's burst, few enough that a dead one's backlog is left in
# the database (claimed for a while) and that one partner cannot fill the dispatcher.
BACKLOG_PER_RECEIVER = 100
BACKLOG_PER_PARTNER = 200
# How many deliveries the dispatcher holds (waiting or in flight) at most.
MAX_HELD = 2000

Deliver = Callable[[DueDelivery], object]


def host_of(url: str) -> str:
    """The receiving host of ``url`` as deliveries are counted: lower-case name and port."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return ""  # a malformed URL: its attempts fail at once; they share one slot
    return f"{(parts.hostname or '').lower()}:{port}"


class CallbackDispatcher:
    """Runs ``deliver`` on at most ``workers`` threads, with the per-host and per-partner caps."""

    def __init__(self, deliver: Deliver, *, workers: int, per_host: int, per_partner: int) -> None:
        self._deliver = deliver
        self._workers = workers
        self._per_host = per_host
        self._per_partner = per_partner
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="openkyc-callback")
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)
        # Waiting deliveries by (partner, host), in the order receivers take turns.
        self._waiting: OrderedDict[tuple[str, str], deque[DueDelivery]] = OrderedDict()
        self._host_busy: defaultdict[str, int] = defaultdict(int)
        self._partner_busy: defaultdict[str, int] = defaultdict(int)
        self._partner_waiting: defaultdict[str, int] = defaultdict(int)
        self._running = 0
        self._held: set[int] = set()
        self._closed = False

    def offer(self, delivery: DueDelivery) -> bool:
        """Take ``delivery`` to send as soon as its host and partner have room. False: refused
        (this receiver's backlog is full, or the dispatcher is); the caller leaves it to a sweep."""
        receiver = (delivery.partner_id, host_of(delivery.url))
        with self._lock:
            if self._closed:
                return False
            if delivery.id in self._held:
                return True  # already waiting or in flight here (a duplicated task, a re-claim)
            queue = self._waiting.get(receiver)
            if (
                len(self._held) >= MAX_HELD
                or self._partner_waiting[delivery.partner_id] >= BACKLOG_PER_PARTNER
                or (queue is not None and len(queue) >= BACKLOG_PER_RECEIVER)
            ):
                return False
            if queue is None:
                queue = self._waiting[receiver] = deque()
            queue.append(delivery)
            self._partner_waiting[delivery.partner_id] += 1
            self._held.add(delivery.id)
            self._start_what_fits()
            return True

    def room(self) -> int:
        """How many more deliveries the dispatcher would hold now."""
        with self._lock:
            return 0 if self._closed else MAX_HELD - len(self._held)

    def in_flight(self) -> int:
        with self._lock:
            return self._running

    def wait_for_room(self, timeout: float) -> None:
        """Return once a delivery finished, or after ``timeout`` seconds."""
        with self._room:
            self._room.wait(timeout)

    def close(self, wait_s: float = 0.0) -> None:
        """Start nothing more (what waits stays undelivered in the database, for the next start)
        and give deliveries in flight up to ``wait_s`` seconds to finish and record their attempt."""
        deadline = time.monotonic() + wait_s
        with self._lock:
            self._closed = True
            self._waiting.clear()
            self._partner_waiting.clear()
            self._room.notify_all()
            while self._running and (remaining := deadline - time.monotonic()) > 0:
                self._room.wait(remaining)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _start_what_fits(self) -> None:
        """Start waiting deliveries, receivers in turn, while threads and caps allow (lock held)."""
        progressed = True
        while progressed and self._running < self._workers:
            progressed = False
            for receiver in list(self._waiting):
                if self._running >= self._workers:
                    return
                partner, host = receiver
                if (
                    self._host_busy[host] >= self._per_host
                    or self._partner_busy[partner] >= self._per_partner
                ):
                    continue
                queue = self._waiting.pop(receiver)
                delivery = queue.popleft()
                self._partner_waiting[partner] -= 1
                if not self._partner_waiting[partner]:
                    del self._partner_waiting[partner]
                if queue:
                    self._waiting[receiver] = queue  # to the back: the next receiver goes first
                self._host_busy[host] += 1
                self._partner_busy[partner] += 1
                self._running += 1
                self._pool.submit(self._run, delivery, partner, host)
                progressed = True

    def _run(self, delivery: DueDelivery, partner: str, host: str) -> None:
        try:
            self._deliver(delivery)
        except Exception:
            # The row is still undelivered and claimed for a while: a later round sends it again.
            log.exception("callback delivery %d failed", delivery.id)
        finally:
            with self._lock:
                self._running -= 1
                self._held.discard(delivery.id)
                for counts, key in ((self._host_busy, host), (self._partner_busy, partner)):
                    counts[key] -= 1
                    if not counts[key]:
                        del counts[key]
                if not self._closed:
                    self._start_what_fits()
                self._room.notify_all()
