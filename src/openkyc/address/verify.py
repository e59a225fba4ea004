"""The address decision: a provider's record against the address and name a partner submitted.

In this order (the first that applies decides):

1. no provider for the environment, or it cannot answer: ``service_unavailable`` (result 1015);
2. the provider knows no such identifier: ``identifier_not_found`` (1013);
3. it holds no address against it: ``no_address_on_record``;
4. the name on record does not match ``given_names`` + ``last_name`` (the look-ups' name rules,
   :func:`openkyc.products.matching.match_names`: initials, a missing middle name, word order and
   small typos still match; a record without a name is not a mismatch): ``name_mismatch``;
5. the recorded address closest to the submitted one is more than :data:`MAX_DISTANCE_M` away:
   ``address_out_of_range``. Distances are between the provider's locations (a recorded address
   without one is located like the submitted one); an address that is the recorded one in other
   case, punctuation or spacing is at distance 0; when the submitted address cannot be located and
   is no recorded one, nothing shows it is within range, so it is out of range;
6. a Nigerian record older than :data:`OUTDATED_AFTER` (the spec's six months):
   ``information_outdated``, an attention;
7. otherwise clear.

The result is stored in the v1 shape every job has (``ResultCode``, ``ResultText``, ``Actions``),
codes from the ID look-up family, with the reason codes ``jobs.v3_results`` maps to the spec's
reasons in ``_reasons``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from openkyc.address.base import AddressProvider, AddressQuery, AddressRecord, Location, normalised
from openkyc.products.authority import LookupFailure, RecordNotFound
from openkyc.products.matching import Match, match_names

log = logging.getLogger(__name__)

MAX_DISTANCE_M = 1000.0
OUTDATED_AFTER = timedelta(days=183)  # six months
OUTDATED_COUNTRIES = frozenset({"NG"})
RESULT_TYPE = "Address Verification"


class AddressReason(StrEnum):
    """Reason codes of a result (``_reasons``), read by ``jobs.v3_results``."""

    OUTDATED = "address.outdated"
    OUT_OF_RANGE = "address.out_of_range"
    NAME_MISMATCH = "address.name_mismatch"
    NO_RECORD = "address.no_record"


class Verified(StrEnum):
    """``Actions.Verify_Address``."""

    VERIFIED = "Verified"
    NOT_VERIFIED = "Not Verified"
    ISSUER_UNAVAILABLE = "Issuer Unavailable"


@dataclass(frozen=True)
class Outcome:
    code: str
    text: str
    success: bool
    verified: Verified
    reason: AddressReason | None = None


CLEAR = Outcome("1012", "Address Verified", True, Verified.VERIFIED)
OUTDATED = Outcome(
    "1012", "Address Verified - Record Outdated", True, Verified.VERIFIED, AddressReason.OUTDATED
)
OUT_OF_RANGE = Outcome(
    "1022", "Address Out Of Range", False, Verified.NOT_VERIFIED, AddressReason.OUT_OF_RANGE
)
NAME_MISMATCH = Outcome("1022", "Name Mismatch", False, Verified.NOT_VERIFIED, AddressReason.NAME_MISMATCH)
NO_ADDRESS = Outcome("1022", "No Address On Record", False, Verified.NOT_VERIFIED, AddressReason.NO_RECORD)
NOT_FOUND = Outcome("1013", "Identifier Not Found", False, Verified.NOT_VERIFIED)
UNAVAILABLE = Outcome("1015", "Address Provider Unavailable", False, Verified.ISSUER_UNAVAILABLE)
OUTCOMES = (CLEAR, OUTDATED, OUT_OF_RANGE, NAME_MISMATCH, NO_ADDRESS, NOT_FOUND, UNAVAILABLE)


@dataclass(frozen=True)
class Verdict:
    """The decision, and what it rests on (no address or name from the record)."""

    outcome: Outcome
    provider: str | None
    names: Match | None = None
    distance_m: float | None = None
    recorded_on: date | None = None

    def result(self) -> dict[str, Any]:
        """The job's stored result (v1 shape; underscored keys never leave the server on v1)."""
        outcome = self.outcome
        actions = {
            "Verify_Address": outcome.verified.value,
            "Names": self.names.value if self.names is not None else Match.UNABLE_TO_DETERMINE.value,
        }
        return {
            "ResultType": RESULT_TYPE,
            "ResultCode": outcome.code,
            "ResultText": outcome.text,
            "IsFinalResult": "true",
            "IsMachineResult": "true",
            "Actions": actions,
            "_success": outcome.success,
            "_reasons": [outcome.reason.value] if outcome.reason is not None else [],
            "_address": {
                "provider": self.provider,
                "distance_m": round(self.distance_m) if self.distance_m is not None else None,
                "recorded_on": self.recorded_on.isoformat() if self.recorded_on is not None else None,
            },
        }


def verify(
    provider: AddressProvider | None, query: AddressQuery, *, given_names: str, last_name: str, today: date
) -> Verdict:
    """Decide ``query`` with ``provider`` (None: there is none for the environment)."""
    if provider is None:
        return Verdict(UNAVAILABLE, None)
    try:
        record = provider.records(query)
    except RecordNotFound:
        return Verdict(NOT_FOUND, provider.name)
    except LookupFailure as failure:
        log.warning("address provider %s could not answer: %s", provider.name, failure.message)
        return Verdict(UNAVAILABLE, provider.name)
    if not record.addresses:
        return Verdict(NO_ADDRESS, provider.name, names=_names(record, given_names, last_name))
    names = _names(record, given_names, last_name)
    if names is Match.NONE:
        return Verdict(NAME_MISMATCH, provider.name, names=names)
    try:
        distance, recorded_on = _closest(provider, query, record)
    except LookupFailure as failure:  # a geocoder out of reach
        log.warning("address provider %s could not locate an address: %s", provider.name, failure.message)
        return Verdict(UNAVAILABLE, provider.name, names=names)
    if distance is None or distance > MAX_DISTANCE_M:
        return Verdict(OUT_OF_RANGE, provider.name, names=names, distance_m=distance)
    outdated = recorded_on is not None and today - recorded_on > OUTDATED_AFTER
    if outdated and query.country in OUTDATED_COUNTRIES:
        return Verdict(OUTDATED, provider.name, names=names, distance_m=distance, recorded_on=recorded_on)
    return Verdict(CLEAR, provider.name, names=names, distance_m=distance, recorded_on=recorded_on)


def _names(record: AddressRecord, given_names: str, last_name: str) -> Match:
    return match_names([given_names, last_name], [record.full_name])


def _closest(
    provider: AddressProvider, query: AddressQuery, record: AddressRecord
) -> tuple[float | None, date | None]:
    """The distance to the closest recorded address and when that one was recorded (None, None
    when none can be told)."""
    wanted = normalised(query.address)
    submitted: Location | None = None
    located = False
    best: tuple[float, date | None] | None = None
    for recorded in record.addresses:
        if normalised(recorded.text) == wanted:
            distance: float | None = 0.0
        else:
            if not located:
                submitted, located = provider.locate(query.address, query.country), True
            place = recorded.location or provider.locate(recorded.text, query.country)
            distance = submitted.distance_m(place) if submitted is not None and place is not None else None
        if distance is not None and (best is None or distance < best[0]):
            best = (distance, recorded.recorded_on)
    return (best[0], best[1]) if best is not None else (None, None)
