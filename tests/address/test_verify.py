"""address.verify: the decision on a provider's record, in its documented order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from openkyc.address.base import AddressQuery, AddressRecord, Location, RecordedAddress, normalised
from openkyc.address.verify import (
    CLEAR,
    NAME_MISMATCH,
    NO_ADDRESS,
    NOT_FOUND,
    OUT_OF_RANGE,
    OUTDATED,
    UNAVAILABLE,
    verify,
)
from openkyc.products.authority import AuthorityUnavailable, LookupFailure, RecordNotFound
from openkyc.products.matching import Match

TODAY = date(2026, 6, 1)
HOME = Location(6.5244, 3.3792)


@dataclass
class Provider:
    """A provider answering a fixed record (or failure) and placing addresses from a table."""

    record: AddressRecord | None = None
    failure: LookupFailure | None = None
    places: dict[str, Location] = field(default_factory=dict)
    located: list[str] = field(default_factory=list)
    name: str = "table"

    def records(self, query: AddressQuery) -> AddressRecord:
        if self.failure is not None:
            raise self.failure
        assert self.record is not None
        return self.record

    def locate(self, address: str, country: str) -> Location | None:
        self.located.append(address)
        return self.places.get(normalised(address))


def _query(address: str = "12 Test Road, Testville", country: str = "NG") -> AddressQuery:
    return AddressQuery(
        country=country, address=address, utility_number="1", utility_provider="X", utility_type="PrePaid"
    )


def _record(*addresses: RecordedAddress, name: str | None = "Amina Fatou Clearwater") -> AddressRecord:
    return AddressRecord(full_name=name, addresses=addresses)


def _decide(provider: Provider | None, query: AddressQuery | None = None, given: str = "Amina") -> object:
    return verify(provider, query or _query(), given_names=given, last_name="Clearwater", today=TODAY).outcome


def test_no_provider_and_an_unreachable_one_are_service_unavailable() -> None:
    assert _decide(None) is UNAVAILABLE
    assert _decide(Provider(failure=AuthorityUnavailable("down"))) is UNAVAILABLE
    assert _decide(Provider(failure=RecordNotFound("no"))) is NOT_FOUND


def test_a_known_identifier_without_an_address() -> None:
    assert _decide(Provider(record=_record())) is NO_ADDRESS


@pytest.mark.parametrize(
    ("given", "wanted"),
    [("Amina", CLEAR), ("amina fatou", CLEAR), ("Aminah", CLEAR), ("Bola", NAME_MISMATCH)],
)
def test_names_follow_the_look_ups_matching_rules(given: str, wanted: object) -> None:
    recorded = RecordedAddress("12 Test Road, Testville", TODAY - timedelta(days=3), HOME)
    assert _decide(Provider(record=_record(recorded)), given=given) is wanted


def test_a_record_without_a_name_is_no_mismatch() -> None:
    recorded = RecordedAddress("12 Test Road, Testville", TODAY, HOME)
    verdict = verify(
        Provider(record=_record(recorded, name=None)), _query(), given_names="A", last_name="B", today=TODAY
    )
    assert verdict.outcome is CLEAR and verdict.names is Match.UNABLE_TO_DETERMINE


def test_the_closest_recorded_address_within_a_kilometre_is_clear() -> None:
    near = Location(HOME.latitude + 0.005, HOME.longitude)  # ~556 m
    far = Location(HOME.latitude + 0.5, HOME.longitude)
    provider = Provider(
        record=_record(
            RecordedAddress("Far Street", TODAY, far), RecordedAddress("Near Street", TODAY, near)
        ),
        places={normalised("1 Submitted Lane"): HOME},
    )
    verdict = verify(
        provider, _query("1 Submitted Lane"), given_names="Amina", last_name="Clearwater", today=TODAY
    )
    assert verdict.outcome is CLEAR
    assert verdict.distance_m is not None and 540 < verdict.distance_m < 570
    assert verdict.result()["_address"]["distance_m"] == round(verdict.distance_m)


def test_beyond_a_kilometre_or_nowhere_known_is_out_of_range() -> None:
    recorded = RecordedAddress("12 Test Road", TODAY, HOME)
    away = Provider(
        record=_record(recorded), places={normalised("2 Other Road"): Location(HOME.latitude + 0.01, 3.3792)}
    )
    assert _decide(away, _query("2 Other Road")) is OUT_OF_RANGE  # ~1.1 km
    unknown = Provider(record=_record(recorded))
    assert _decide(unknown, _query("Somewhere Unplaceable")) is OUT_OF_RANGE


def test_the_recorded_address_written_differently_needs_no_geocoding() -> None:
    provider = Provider(record=_record(RecordedAddress("12 Test Road, Testville", TODAY, None)))
    assert _decide(provider, _query("12  TEST road testville.")) is CLEAR
    assert provider.located == []


def test_a_nigerian_record_older_than_six_months_needs_attention() -> None:
    old = RecordedAddress("12 Test Road, Testville", TODAY - timedelta(days=200), HOME)
    assert _decide(Provider(record=_record(old))) is OUTDATED
    assert _decide(Provider(record=_record(old)), _query(country="ZA")) is CLEAR  # the rule is Nigeria's
    fresh = RecordedAddress("12 Test Road, Testville", TODAY - timedelta(days=150), HOME)
    assert _decide(Provider(record=_record(fresh))) is CLEAR


def test_the_stored_result_carries_the_reason_codes_v3_maps() -> None:
    old = RecordedAddress("12 Test Road, Testville", TODAY - timedelta(days=200), HOME)
    result = verify(
        Provider(record=_record(old)), _query(), given_names="Amina", last_name="Clearwater", today=TODAY
    ).result()
    assert result["ResultCode"] == "1012" and result["_success"] is True
    assert result["_reasons"] == ["address.outdated"]
    assert result["Actions"] == {"Verify_Address": "Verified", "Names": "Partial Match"}
    assert result["_address"]["recorded_on"] == (TODAY - timedelta(days=200)).isoformat()
    unavailable = verify(None, _query(), given_names="A", last_name="B", today=TODAY).result()
    assert (
        unavailable["ResultCode"] == "1015"
        and unavailable["Actions"]["Verify_Address"] == "Issuer Unavailable"
    )
