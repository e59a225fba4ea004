from __future__ import annotations

import pytest

from openkyc import blind_index
from openkyc.business import registry as business_registry
from openkyc.crypto import SecretBox

BOX = SecretBox(["a fixed test key for blind-index golden values"])

# Digests the three separate functions (ratelimit.id_number_digest, authorities.registry.number_digest,
# business.registry.number_digest) made before they became blind_index.number_digest: the values
# installations have stored. (country, id_type, number) -> (rate limit, authority registry, business registry)
STORED = {
    ("KE", "NATIONAL_ID", "87654321"): (
        "eb3488ece0f9b70beb8d90e85136f65d3598a7cf6ce8e1375894b802be3080cb",
        "e288c4e9f6c76177182035a75cfd9efd49ab4cbaa1fa7e67d0554c7a8fef85f6",
        "addd5cc6978b77e200572baa8bd8d921b56a05a082705f13f050a8eda106bca3",
    ),
    ("ng", "bvn", " 12345678901 "): (
        "d1be31ed8822e6bb5b5f625ec7fabc13364ce90340a33c7b0d9bac9d9ad5549b",
        "f148edb063ce544cf35d0669ec7d66bb891d1273b48800c80b30c75ce7460128",
        "9a456e2437ca4d7252452b20339c5102f1620f75bdfc5aac40c1f25468ae7b0c",
    ),
    ("NG", "BASIC_BUSINESS_REGISTRATION", "rc123456"): (
        "a928cc635daf378e8ee4e3ad8f16d0bb14f505231f227bea6bf204e70bf00bce",
        "45f54df11bc08a26d59f0b8319bb4baecafa16bf2464b21491ac503b68c63d2d",
        "020bb3a43737339c5d6710a925ce57d8ee1527b66f9a8ef412207053c88e8ccb",
    ),
    ("ZA", "NATIONAL_ID", "Ünïcode-9"): (
        "45c8636bdd35006a389e820068c8faa642e781b6fd647e90551415d223478720",
        "f0fc2cb19eaca689aa28e21eb3c394c5c49ceeac6c981f0e105073beaf2468b1",
        "52ceb804c13999a4aeee9bd2b371700e338812c44739b7192e7f36c9bf25b394",
    ),
}


def _new(country: str, id_type: str, number: str) -> tuple[str, str, str]:
    def key(purpose: bytes) -> bytes:
        return blind_index.index_key(BOX, purpose)

    register = business_registry.register_of(id_type.upper())
    return (
        blind_index.number_digest(key(blind_index.RATE_LIMIT), number),
        blind_index.number_digest(key(blind_index.AUTHORITY_REGISTRY), number, country, id_type),
        blind_index.number_digest(key(blind_index.BUSINESS_REGISTRY), number, country, register),
    )


@pytest.mark.parametrize(("country", "id_type", "number"), list(STORED))
def test_stored_digests_still_match(country: str, id_type: str, number: str) -> None:
    assert _new(country, id_type, number) == STORED[(country, id_type, number)]


def test_case_and_spaces_do_not_make_another_number() -> None:
    key = blind_index.index_key(BOX, blind_index.AUTHORITY_REGISTRY)
    assert blind_index.number_digest(key, " ab12 ", "ke", "national_id") == blind_index.number_digest(
        key, "AB12", "KE", "NATIONAL_ID"
    )


def test_each_index_has_its_own_key() -> None:
    purposes = (blind_index.RATE_LIMIT, blind_index.AUTHORITY_REGISTRY, blind_index.BUSINESS_REGISTRY)
    assert len({blind_index.index_key(BOX, purpose) for purpose in purposes}) == 3
