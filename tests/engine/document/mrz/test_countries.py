"""Country codes: ISO 3166 alpha-3 plus ICAO's own."""

from __future__ import annotations

from openkyc.engine.document.mrz.countries import ISO_ALPHA3, is_country_code


def test_iso_list_is_complete_and_icao_codes_are_known() -> None:
    assert len(ISO_ALPHA3) == 249
    for code in ("FRA", "D<<", "UTO", "XXA", "GBD", "RKS"):
        assert is_country_code(code), code
    assert not is_country_code("I<<") and not is_country_code("FPA")
