"""The sandbox address provider: the spec's example person and identifiers, and one test identifier
for each outcome the spec lists.

The spec's example (``POST /v3/address``) is Amina Clearwater at ``12 Test Road, Testville``,
registered against the South African ID number ``9001015800085`` and the Nigerian IKEDC prepaid
meter ``0123456789``. The sandbox holds her (``Amina Fatou Clearwater``, as in Smile ID's V3
sandbox identities) against these identifiers:

=========  ======================  ====================================================  =====================
Country    Identifier              Record                                                Outcome (right name,
                                                                                         right address)
=========  ======================  ====================================================  =====================
ZA         ``9001015800085``       12 Test Road, Testville, recorded 30 days ago         clear
ZA         ``9001015800093``       the name only, no address                             no_address_on_record
ZA         ``9001015800077``       (the provider does not answer)                        service_unavailable
NG         ``0123456789`` (IKEDC   12 Test Road, Testville, recorded 30 days ago         clear
           PrePaid)
NG         ``0123456788`` (IKEDC   12 Test Road, Testville, recorded 400 days ago        information_outdated
           PrePaid)
NG         ``0123456787`` (IKEDC   the name only, no address                             no_address_on_record
           PrePaid)
NG         ``0123456786`` (IKEDC   (the provider does not answer)                        service_unavailable
           PrePaid)
=========  ======================  ====================================================  =====================

Any other identifier (or a Nigerian meter of another provider or type) is ``identifier_not_found``.
Another name than hers is ``name_mismatch``. Addresses the sandbox can place (its gazetteer, the
same streets in both countries): ``12 Test Road, Testville`` (the recorded one), ``40 Test Road,
Testville`` (about 600 m away: within the 1 km, so clear) and ``7 Distant Avenue, Farville``
(20 km away: ``address_out_of_range``); an address it cannot place is out of range too, unless it
is the recorded one written differently (case, punctuation, spacing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from openkyc.address.base import AddressQuery, AddressRecord, Location, RecordedAddress, normalised
from openkyc.products.authority import AuthorityUnavailable, RecordNotFound

SANDBOX_NAME = "Amina Fatou Clearwater"
SANDBOX_ADDRESS = "12 Test Road, Testville"
NEAR_ADDRESS = "40 Test Road, Testville"
FAR_ADDRESS = "7 Distant Avenue, Farville"
RECENT = timedelta(days=30)
OLD = timedelta(days=400)

# Where the gazetteer's addresses are, per country: a point, 0.0054 degrees of latitude north of it
# (about 600 m), and 0.18 degrees north (about 20 km).
_ORIGINS = {"ZA": Location(-26.2041, 28.0473), "NG": Location(6.5244, 3.3792)}
_OFFSETS = {SANDBOX_ADDRESS: 0.0, NEAR_ADDRESS: 0.0054, FAR_ADDRESS: 0.18}


@dataclass(frozen=True)
class _Entry:
    addresses: tuple[timedelta, ...]  # how long ago each recorded address was recorded
    unavailable: bool = False


# Test identifiers: (country, identifier) -> what the sandbox holds.
_ZA = {
    "9001015800085": _Entry((RECENT,)),
    "9001015800093": _Entry(()),
    "9001015800077": _Entry((), unavailable=True),
}
_NG = {
    "0123456789": _Entry((RECENT,)),
    "0123456788": _Entry((OLD,)),
    "0123456787": _Entry(()),
    "0123456786": _Entry((), unavailable=True),
}
NG_UTILITY_PROVIDER = "IKEDC"
NG_UTILITY_TYPE = "PrePaid"


def _today() -> date:
    return datetime.now(UTC).date()


class SandboxAddressProvider:
    name = "sandbox"

    def records(self, query: AddressQuery) -> AddressRecord:
        entry = self._entry(query)
        if entry is None:
            raise RecordNotFound("No record for this identifier")
        if entry.unavailable:
            raise AuthorityUnavailable("Address provider unavailable")
        today = _today()
        addresses = tuple(
            RecordedAddress(
                text=SANDBOX_ADDRESS,
                recorded_on=today - age,
                location=self.locate(SANDBOX_ADDRESS, query.country),
            )
            for age in entry.addresses
        )
        return AddressRecord(full_name=SANDBOX_NAME, addresses=addresses)

    def locate(self, address: str, country: str) -> Location | None:
        origin = _ORIGINS.get(country)
        if origin is None:
            return None
        wanted = normalised(address)
        for text, offset in _OFFSETS.items():
            if normalised(text) == wanted:
                return Location(origin.latitude + offset, origin.longitude)
        return None

    @staticmethod
    def _entry(query: AddressQuery) -> _Entry | None:
        if query.country == "ZA":
            return _ZA.get((query.id_number or "").strip())
        if query.country == "NG":
            if (
                query.utility_provider or ""
            ).upper() != NG_UTILITY_PROVIDER or query.utility_type != NG_UTILITY_TYPE:
                return None
            return _NG.get((query.utility_number or "").strip())
        return None
