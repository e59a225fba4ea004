"""A short-lived in-process cache of each partner's decrypted keys for signature checks.

Every signed request needs the partner's keys; reading and decrypting them from the database
each time costs more than the rest of a job_status request. Entries live ``ttl`` seconds, so a
key revoked by another process (the CLI, another API server) stops working within that time;
changes made through this process's management API invalidate the entry at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from openkyc.partners.service import UsableKey

DEFAULT_TTL_S = 2.0
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
        value = load()
        with self._lock:
            if len(self._entries) >= MAX_PARTNERS:
                self._entries.clear()  # unknown partner ids must not grow the cache without bound
            self._entries[partner_id] = (now + self._ttl, value)
        return value

    def invalidate(self, partner_id: str) -> None:
        with self._lock:
            self._entries.pop(partner_id, None)
