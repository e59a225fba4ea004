"""A short-lived in-process cache of each partner's decrypted keys for signature checks.

Every signed request needs the partner's keys; reading and decrypting them from the database
each time costs more than the rest of a job_status request. Entries live ``ttl`` seconds, so a
key revoked by another process (the CLI, another API server) stops working within that time;
changes made through this process's management API invalidate the entry at once. A key made
elsewhere works at once, though: a signature no cached key matches has the entry reloaded before
it is refused (``fresh``), so only refusals, never good requests, pay for the database read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from openkyc.partners.service import UsableKey

DEFAULT_TTL_S = 2.0
# A refusal re-reads the keys only when they were read longer ago than this.
REFRESH_AFTER_S = 0.25
MAX_PARTNERS = 10_000


@dataclass(frozen=True)
class PartnerKeys:
    exists: bool
    production_enabled: bool
    keys: tuple[UsableKey, ...]


class KeyCache:
    def __init__(self, ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_s
        self._clock = clock
        self._entries: dict[str, tuple[float, PartnerKeys]] = {}
        self._lock = threading.Lock()

    def get(self, partner_id: str, load: Callable[[], PartnerKeys]) -> PartnerKeys:
        now = self._clock()
        with self._lock:
            cached = self._entries.get(partner_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        return self.fresh(partner_id, load)

    def fresh(self, partner_id: str, load: Callable[[], PartnerKeys]) -> PartnerKeys:
        """Load the partner's keys now, unless what is cached was loaded within ``REFRESH_AFTER_S``
        (a flood of bad signatures then costs at most a few reads a second), and cache it."""
        now = self._clock()
        with self._lock:
            cached = self._entries.get(partner_id)
        if cached is not None and cached[0] - self._ttl + REFRESH_AFTER_S > now:
            return cached[1]
        value = load()
        with self._lock:
            if len(self._entries) >= MAX_PARTNERS:
                self._entries.clear()  # unknown partner ids must not grow the cache without bound
            self._entries[partner_id] = (now + self._ttl, value)
        return value

    def invalidate(self, partner_id: str) -> None:
        with self._lock:
            self._entries.pop(partner_id, None)
