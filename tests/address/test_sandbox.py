"""address.sandbox: the spec's example identifiers and one test identifier per documented outcome."""

from __future__ import annotations

import pytest

from openkyc.address.base import AddressQuery
from openkyc.address.sandbox import FAR_ADDRESS, NEAR_ADDRESS, SANDBOX_ADDRESS, SandboxAddressProvider
from openkyc.address.verify import verify
from openkyc.db import utcnow


def _ng(
    number: str, address: str = SANDBOX_ADDRESS, provider: str = "IKEDC", kind: str = "PrePaid"
) -> AddressQuery:
    return AddressQuery("NG", address, utility_number=number, utility_provider=provider, utility_type=kind)


def _za(number: str, address: str = SANDBOX_ADDRESS) -> AddressQuery:
    return AddressQuery("ZA", address, id_number=number)


def _reason(query: AddressQuery, given: str = "Amina") -> str:
    verdict = verify(
        SandboxAddressProvider(), query, given_names=given, last_name="Clearwater", today=utcnow().date()
    )
    reasons = verdict.result()["_reasons"]
    return reasons[0] if reasons else verdict.outcome.text


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        (_za("9001015800085"), "Address Verified"),
        (_ng("0123456789"), "Address Verified"),
        (_ng("0123456789", provider="ikedc"), "Address Verified"),
        (_za("9001015800085", NEAR_ADDRESS), "Address Verified"),
        (_za("9001015800085", FAR_ADDRESS), "address.out_of_range"),
        (_ng("0123456789", "3 Unknown Close, Nowhere"), "address.out_of_range"),
        (_ng("0123456788"), "address.outdated"),
        (_za("9001015800093"), "address.no_record"),
        (_ng("0123456787"), "address.no_record"),
        (_za("9001015800077"), "Address Provider Unavailable"),
        (_ng("0123456786"), "Address Provider Unavailable"),
        (_za("8001015009087"), "Identifier Not Found"),
        (_ng("0123456789", kind="PostPaid"), "Identifier Not Found"),
        (_ng("0123456789", provider="EKEDC"), "Identifier Not Found"),
    ],
)
def test_documented_sandbox_outcomes(query: AddressQuery, wanted: str) -> None:
    assert _reason(query) == wanted


def test_another_name_is_a_name_mismatch() -> None:
    assert _reason(_za("9001015800085"), given="Rashid") == "address.name_mismatch"


def test_the_gazetteer_places_its_addresses_per_country() -> None:
    provider = SandboxAddressProvider()
    home, near, far = (provider.locate(a, "ZA") for a in (SANDBOX_ADDRESS, NEAR_ADDRESS, FAR_ADDRESS))
    assert home is not None and near is not None and far is not None
    assert 550 < home.distance_m(near) < 650 and 19_000 < home.distance_m(far) < 21_000
    assert provider.locate(SANDBOX_ADDRESS, "KE") is None and provider.locate("Elsewhere", "NG") is None
