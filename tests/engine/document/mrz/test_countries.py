from __future__ import annotations

import pytest

from openkyc.engine.document.mrz.countries import ISO_ALPHA3, is_country_code
from openkyc.engine.document.mrz.read import _repair_nationality


def test_iso_list_is_complete_and_icao_codes_are_known() -> None:
    assert len(ISO_ALPHA3) == 249
    for code in ("FRA", "D<<", "UTO", "XXA", "GBD", "RKS"):
        assert is_country_code(code), code
    assert not is_country_code("I<<") and not is_country_code("FPA")


TD1 = [
    "I<SI<09999100180706966505468<<",
    "6606079F0807276{nat}<<<<<<<<<<<<0",
    "VZOREC<<TINA<<<<<<<<<<<<<<<<<<",
]


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("I<<", "SI<"),  # first letter lost, the rest shifted left
        ("S1<", "SI<"),  # one letter misread
        ("SI<", "SI<"),  # already the issuer's
        ("FRA", "FRA"),  # a real code stays, even if it differs from the issuer's
        ("XQZ", "XQZ"),  # unknown but nothing like the issuer's: no guess
    ],
)
def test_an_unknown_nationality_one_misread_from_the_issuer_is_the_issuer(read: str, expected: str) -> None:
    lines = [TD1[0], TD1[1].format(nat=read), TD1[2]]
    assert _repair_nationality(lines, "TD1")[1][15:18] == expected
