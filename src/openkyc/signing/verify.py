"""Deciding whether a ``signature``-scheme request is authentic, and with which of the partner's keys.

The caller looks up the partner's keys (the partners package) and passes them in; this module
knows nothing about storage. The order of checks is deliberate:

1. the timestamp must parse (2205, "format" message) — a wrong format is a cause the Smile ID
   troubleshooting page lists on its own, and telling it costs nothing secret;
2. some active key must reproduce the signature (2205, the generic message, identical for an
   unknown partner so partner ids cannot be probed);
3. only then the freshness window (2205, "stale" message) — the detailed age is given to
   partners whose signature is right, which is exactly the long-lived Python ``WebApi`` case.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from openkyc.signing.credentials import SignedCredentials
from openkyc.signing.environment import Environment
from openkyc.signing.errors import BadTimestampFormat, SignatureMismatch, StaleRequest, UnknownPartner
from openkyc.signing.sid_request import signature_matches
from openkyc.signing.timestamps import StaleTimestamp, TimestampError, check_freshness, parse_timestamp

# Hashed against when a partner has no active key, so that case costs about as much as a mismatch.
_DECOY_SECRET = secrets.token_urlsafe(24)


class CandidateKeyLike(Protocol):
    """Anything with these read-only attributes: an ORM row, a ``CandidateKey``, ..."""

    @property
    def key_id(self) -> str: ...
    @property
    def secret(self) -> str: ...
    @property
    def environment(self) -> Environment: ...
    @property
    def active(self) -> bool: ...


@dataclass(frozen=True)
class CandidateKey:
    """A plain ``CandidateKeyLike`` for callers without a richer object."""

    key_id: str
    secret: str = field(repr=False)
    environment: Environment
    active: bool = True


K = TypeVar("K", bound=CandidateKeyLike)


@dataclass(frozen=True)
class MatchedKey(Generic[K]):
    """The outcome of a successful verification.

    ``key`` is the caller's own object that matched; ``environment`` is that key's environment,
    which decides whether the job runs against sandbox or production data.
    """

    key: K
    partner_id: str
    signed_at: datetime

    @property
    def key_id(self) -> str:
        return self.key.key_id

    @property
    def environment(self) -> Environment:
        return self.key.environment


def verify_sid_request(
    creds: SignedCredentials, candidate_keys: Iterable[K], now: datetime, window: timedelta | None
) -> MatchedKey[K]:
    """Verify ``creds`` against the partner's keys; ``window=None`` turns the freshness check off.

    Raises ``BadTimestampFormat``, ``SignatureMismatch`` (``UnknownPartner`` when the partner has
    no key at all) or ``StaleRequest``, all code 2205.
    """
    try:
        signed_at = parse_timestamp(creds.timestamp_raw)
    except TimestampError:
        raise BadTimestampFormat(creds.timestamp_raw) from None

    keys = list(candidate_keys)
    active = [key for key in keys if key.active]
    matched: K | None = None
    # Every active key is tried even after a match, so the time taken reveals only how many
    # active keys the partner has, not which of them signed. If two keys share a secret (they
    # should not), the first in the caller's order wins.
    for key in active:
        ok = signature_matches(key.secret, creds.partner_id, creds.timestamp_raw, creds.signature)
        if ok and matched is None:
            matched = key
    if not active:
        signature_matches(_DECOY_SECRET, creds.partner_id, creds.timestamp_raw, creds.signature)
    if matched is None:
        raise UnknownPartner() if not keys else SignatureMismatch()

    if window is not None:
        try:
            check_freshness(signed_at, now, window)
        except StaleTimestamp as stale:
            raise StaleRequest(stale.age, stale.window) from None
    return MatchedKey(key=matched, partner_id=creds.partner_id, signed_at=signed_at)
