from __future__ import annotations

from openkyc.partners.key_cache import KeyCache, PartnerKeys

EMPTY = PartnerKeys(exists=True, production_enabled=False, keys=())


def test_entries_are_reused_until_they_expire_or_are_invalidated() -> None:
    now = [0.0]
    loads: list[str] = []
    cache = KeyCache(ttl_s=2.0, clock=lambda: now[0])

    def load() -> PartnerKeys:
        loads.append("x")
        return EMPTY

    cache.get("1001", load)
    cache.get("1001", load)
    assert len(loads) == 1
    now[0] = 2.5
    cache.get("1001", load)
    assert len(loads) == 2
    cache.invalidate("1001")
    cache.get("1001", load)
    assert len(loads) == 3
