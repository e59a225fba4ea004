from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openkyc.signing.nonces import InMemoryNonceStore, NonceStore

NOW = datetime(2026, 11, 21, 23, 52, 10, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def test_a_nonce_is_accepted_once_per_scope() -> None:
    store = InMemoryNonceStore()
    assert store.remember("key-a", "n1", LATER, NOW)
    assert not store.remember("key-a", "n1", LATER, NOW)
    assert store.remember("key-b", "n1", LATER, NOW)
    assert store.remember("key-a", "n2", LATER, NOW)


def test_an_expired_nonce_is_forgotten() -> None:
    store = InMemoryNonceStore()
    assert store.remember("key-a", "n1", LATER, NOW)
    assert not store.remember("key-a", "n1", LATER, LATER - timedelta(seconds=1))
    assert store.remember("key-a", "n1", LATER + timedelta(minutes=5), LATER)
    assert len(store) == 1


def test_when_full_the_soonest_to_expire_is_forgotten() -> None:
    store = InMemoryNonceStore(max_entries=2)
    assert store.remember("k", "long", NOW + timedelta(minutes=9), NOW)
    assert store.remember("k", "short", NOW + timedelta(minutes=1), NOW)
    assert store.remember("k", "third", NOW + timedelta(minutes=5), NOW)
    assert len(store) == 2
    assert not store.remember("k", "long", NOW + timedelta(minutes=9), NOW)
    assert not store.remember("k", "third", NOW + timedelta(minutes=9), NOW)
    assert store.remember("k", "short", NOW + timedelta(minutes=1), NOW)


def test_max_entries_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_entries must be positive"):
        InMemoryNonceStore(max_entries=0)


def test_in_memory_store_satisfies_the_interface() -> None:
    store: NonceStore = InMemoryNonceStore()
    assert store.remember("k", "n", LATER, NOW)
