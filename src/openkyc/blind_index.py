"""Blind indexes: keyed digests that find a stored ID number without storing the number.

One function makes all of them (the rate limit's counts, the authority registry's and the
business registry's records). Each index has its own key, derived from the installation's
oldest key for a fixed purpose (:meth:`SecretBox.derive_key`), so a digest from one index says
nothing about another. Digests are stored: the purposes, the normalisation and the message
layout below must never change, or every stored digest stops matching.
"""

from __future__ import annotations

import hashlib
import hmac

from openkyc.crypto import SecretBox

# The derivation purpose of each index's key.
RATE_LIMIT = b"openkyc id-number rate limit v1"
AUTHORITY_REGISTRY = b"openkyc registry id numbers v1"
BUSINESS_REGISTRY = b"openkyc business registry numbers v1"
# Portal team members' e-mail addresses, and the keys of the portal's sign-in rate limit.
PORTAL_EMAIL = b"openkyc portal e-mail addresses v1"
PORTAL_LOGIN_LIMIT = b"openkyc portal sign-in limit v1"
# The hosted capture page's rate limits (per link, per client address, per visit).
LINK_LIMIT = b"openkyc verification link limits v1"


def index_key(box: SecretBox, purpose: bytes) -> bytes:
    """The HMAC key of one index: stable per installation, so stored digests keep matching."""
    return box.derive_key(purpose)


def normalise_number(id_number: str) -> str:
    """Case and surrounding spaces do not make a different number."""
    return id_number.strip().upper()


def number_digest(key: bytes, id_number: str, *scope: str) -> str:
    """HMAC-SHA256 (hex) of the upper-cased ``scope`` (country, ID type...) and the normalised
    number, one per line; with no scope, of the number alone."""
    message = "\n".join([*(part.upper() for part in scope), normalise_number(id_number)])
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()
