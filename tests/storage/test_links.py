"""Signed image links: a link verifies until it expires, and any other sig is refused, never raised on."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from openkyc.storage.links import LinkSigner

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def signer() -> LinkSigner:
    return LinkSigner(secrets.token_bytes(32))


def test_a_signed_link_verifies_until_it_expires(signer: LinkSigner) -> None:
    expiry, sig = signer.sign("0000000001/selfie", NOW + timedelta(minutes=5))
    assert signer.verify("0000000001/selfie", expiry, sig, NOW)
    assert not signer.verify("0000000001/selfie", expiry, sig, NOW + timedelta(minutes=6))
    assert not signer.verify("0000000001/id_card", expiry, sig, NOW)
    assert not signer.verify("0000000001/selfie", expiry + 1, sig, NOW)


@pytest.mark.parametrize(
    "sig",
    ["é" * 43, "\u00ff", "日本", "\ud800", "", "\x00" * 43],
    ids=["accented", "latin1", "cjk", "lone-surrogate", "empty", "nul"],
)
def test_a_non_ascii_sig_is_refused_not_raised(signer: LinkSigner, sig: str) -> None:
    # hmac.compare_digest raises TypeError on a str with non-ASCII characters: that was a 500.
    expiry, _ = signer.sign("0000000001/selfie", NOW + timedelta(minutes=5))
    assert signer.verify("0000000001/selfie", expiry, sig, NOW) is False
