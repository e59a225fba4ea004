"""aml.service: the lists' version (what monitoring compares) and a screening's V3 people."""

from __future__ import annotations

from openkyc.aml.entries import ListSource
from openkyc.aml.parsers import parse_ofac_xml, parse_opensanctions, parse_un_xml
from openkyc.aml.service import lists_version, load_entries, screen
from openkyc.runtime import Runtime
from tests.aml.samples import OFAC_XML, UN_XML, opensanctions_lines


def test_every_load_changes_the_lists_version_even_with_the_same_entries(runtime: Runtime) -> None:
    empty = lists_version(runtime.sessions)
    assert empty == "0:0:"
    load_entries(runtime.sessions, ListSource.UN_XML, parse_un_xml(UN_XML))
    first = lists_version(runtime.sessions)
    assert first != empty and lists_version(runtime.sessions) == first
    # As many entries again, whose ids SQLite may give out again: the load time still tells.
    load_entries(runtime.sessions, ListSource.UN_XML, parse_un_xml(UN_XML))
    assert lists_version(runtime.sessions) not in (first, empty)


def test_nothing_loaded_is_said_so_rather_than_nobody_found(runtime: Runtime) -> None:
    screening = screen(
        runtime.sessions, full_name="Ri Won Ho", aliases=[], birth_year=None, countries=[], strict=True
    )
    assert screening.people_v3 == [] and not screening.lists_loaded
    load_entries(runtime.sessions, ListSource.UN_XML, parse_un_xml(UN_XML))
    screening = screen(
        runtime.sessions, full_name="Ri Won Ho", aliases=[], birth_year=None, countries=[], strict=True
    )
    assert screening.lists_loaded and screening.lists_version == lists_version(runtime.sessions)
    assert screening.entries == ["un-xml:KPi.033"]


def test_v3_people_carry_objects_and_name_their_list(runtime: Runtime) -> None:
    load_entries(runtime.sessions, ListSource.OFAC_XML, parse_ofac_xml(OFAC_XML))
    load_entries(runtime.sessions, ListSource.OPENSANCTIONS, parse_opensanctions(opensanctions_lines()))
    sanctioned = screen(
        runtime.sessions,
        full_name="Ali Hassan al-Majid",
        aliases=[],
        birth_year=1941,
        countries=["IQ"],
        strict=True,
    )
    (person,) = sanctioned.people_v3
    assert person["name"] == "Ali Hassan AL-MAJID"
    assert {"name": "CHEMICAL ALI"} in person["aliases"]
    assert person["nationalities"] == [{"country_code": "IQ"}]
    assert person["dates_of_birth"] == [{"date": "1941"}]
    assert all(set(address) == {"address"} for address in person["addresses"]) and person["addresses"]
    (sanction,) = person["sanctions"]
    assert sanction["list"] == "OFAC SDN" and sanction["programs"] == ["IRAQ2"]
    assert sanction["source_link"].endswith("id=7390")
    assert person["pep"] == {"pep_level": None, "political_positions": [], "sources": []}
    assert (
        person["news_summary"] == [] and person["associations"] == [] and person["enforcement_actions"] == []
    )
    # The v1 shape of the same screening is unchanged.
    assert sanctioned.people[0]["sanctions"][0]["source_details"]["source_type"] == "sanctions"
    pep = screen(
        runtime.sessions, full_name="Amina Bello", aliases=[], birth_year=None, countries=["NG"], strict=True
    )
    (person,) = pep.people_v3
    assert person["pep"]["pep_level"] == 1 and person["sanctions"] == []
    assert person["pep"]["sources"] == [
        {"source_name": "OpenSanctions", "source_link": "https://www.opensanctions.org/entities/NK-abc/"}
    ]
