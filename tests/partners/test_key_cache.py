from __future__ import annotations

from openkyc.partners.key_cache import REFRESH_AFTER_S, KeyCache, PartnerKeys

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


def test_fresh_reads_again_unless_just_read_and_keeps_what_it_read() -> None:
    now = [0.0]
    loads: list[str] = []
    cache = KeyCache(ttl_s=60.0, clock=lambda: now[0])
    newer = PartnerKeys(exists=True, production_enabled=True, keys=())

    def load() -> PartnerKeys:
        loads.append("x")
        return EMPTY if len(loads) == 1 else newer

    assert cache.get("1001", load) is EMPTY
    now[0] = REFRESH_AFTER_S / 2
    assert cache.fresh("1001", load) is EMPTY and len(loads) == 1  # read a moment ago: kept
    now[0] = REFRESH_AFTER_S * 2
    assert cache.fresh("1001", load) is newer
    assert cache.get("1001", load) is newer and len(loads) == 2
