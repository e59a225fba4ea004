"""The address provider interface: what is asked, what a provider answers, and the failures.

A provider answers two questions. :meth:`AddressProvider.records`: which addresses (and whose name)
it holds against an identifier, raising :class:`~openkyc.products.authority.RecordNotFound` when it
knows no such identifier and :class:`~openkyc.products.authority.AuthorityUnavailable` when it
cannot answer (the ID authorities' typed failures: a provider is an authority for addresses).
:meth:`AddressProvider.locate`: where an address is (geocoding), or None when it cannot tell; a
recorded address may come with its location already.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from anyascii import anyascii

EARTH_RADIUS_M = 6_371_000.0
_NOT_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class AddressQuery:
    """An address to verify and the identifier it is registered against.

    South Africa: ``id_number``; Nigeria: ``utility_number`` with its ``utility_provider`` (e.g.
    ``IKEDC``) and ``utility_type`` (``PrePaid`` or ``PostPaid``).
    """

    country: str
    address: str
    id_number: str | None = None
    utility_number: str | None = None
    utility_provider: str | None = None
    utility_type: str | None = None


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float

    def distance_m(self, other: Location) -> float:
        """Great-circle distance in metres (haversine)."""
        lat1, lat2 = math.radians(self.latitude), math.radians(other.latitude)
        dlat = lat2 - lat1
        dlon = math.radians(other.longitude - self.longitude)
        a = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
        return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class RecordedAddress:
    """One address on record: its text, when it was recorded (None: unknown), where it is."""

    text: str
    recorded_on: date | None = None
    location: Location | None = None


@dataclass(frozen=True)
class AddressRecord:
    """What the provider holds against the identifier: the holder's name and addresses (maybe none)."""

    full_name: str | None
    addresses: tuple[RecordedAddress, ...] = ()


class AddressProvider(Protocol):
    """An address provider adapter (one per country or one for several)."""

    name: str

    def records(self, query: AddressQuery) -> AddressRecord: ...

    def locate(self, address: str, country: str) -> Location | None: ...


def normalised(address: str) -> str:
    """An address as compared in text: ASCII, lower case, words separated by one space."""
    return " ".join(_NOT_WORD.sub(" ", anyascii(address).lower()).split())
