"""Remembering KSig1 nonces so a signed request cannot be replayed inside the timestamp window.

``NonceStore`` is the whole interface, so a database- or Redis-backed store can replace the
in-memory one (which only protects a single process) without touching the verifier. The
management API uses the database one (``openkyc.management.nonces``), shared by every process.
"""

from __future__ import annotations

import heapq
import threading
from datetime import datetime
from typing import Protocol


class NonceStore(Protocol):
    def remember(self, scope: str, nonce: str, expires_at: datetime, now: datetime) -> bool:
        """Record ``nonce`` for ``scope`` until ``expires_at``; False if it is already remembered."""
        ...


class InMemoryNonceStore:
    """A bounded, thread-safe ``NonceStore`` for one process.

    When full, the nonce closest to expiry is forgotten first. Only requests whose signature
    verified reach the store, so filling it takes a valid key, not just traffic.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self._max_entries = max_entries
        self._expiry: dict[tuple[str, str], datetime] = {}
        self._by_expiry: list[tuple[datetime, tuple[str, str]]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def remember(self, scope: str, nonce: str, expires_at: datetime, now: datetime) -> bool:
        entry = (scope, nonce)
        with self._lock:
            self._forget_expired(now)
            if entry in self._expiry:
                return False
            while len(self._expiry) >= self._max_entries:
                self._pop_soonest()
            self._expiry[entry] = expires_at
            heapq.heappush(self._by_expiry, (expires_at, entry))
            return True

    def _forget_expired(self, now: datetime) -> None:
        while self._by_expiry and self._by_expiry[0][0] <= now:
            self._pop_soonest()

    def _pop_soonest(self) -> None:
        # Each remembered nonce has exactly one heap item, so popping one forgets one.
        _, entry = heapq.heappop(self._by_expiry)
        del self._expiry[entry]
