from __future__ import annotations

import pytest

from openkyc.aml.entries import EntryKind, ListSource
from openkyc.aml.parsers import (
    ListFormatError,
    parse_ofac_csv,
    parse_ofac_xml,
    parse_opensanctions,
    parse_un_xml,
)
from openkyc.aml.parsers.safexml import parse_xml
from tests.aml.samples import OFAC_ALT_CSV, OFAC_SDN_CSV, OFAC_XML, UN_XML, opensanctions_lines


def test_ofac_xml_keeps_individuals_with_their_details() -> None:
    (entry,) = parse_ofac_xml(OFAC_XML)
    assert entry.source is ListSource.OFAC_XML
    assert entry.entry_id == "7390"
    assert entry.primary_name == "Ali Hassan AL-MAJID"
    assert entry.aliases == ["CHEMICAL ALI", "Ali Hasan AL-MAJEED"]
    assert entry.dates_of_birth == ["1941"]
    assert entry.nationalities == ["IQ"]
    assert entry.addresses == ["Baghdad, Iraq"]
    assert entry.programs == ["IRAQ2"]
    assert entry.source_link is not None and entry.source_link.endswith("id=7390")


def test_ofac_csv_reads_remarks_and_alt_names() -> None:
    (entry,) = parse_ofac_csv(OFAC_SDN_CSV, OFAC_ALT_CSV)
    assert entry.primary_name == "Ali Hassan AL-MAJID"
    assert entry.aliases == ["CHEMICAL ALI", "Ali Hasan AL-MAJEED"]
    assert entry.dates_of_birth == ["1941"]
    assert entry.nationalities == ["IQ"]
    assert entry.programs == ["IRAQ2"]


def test_un_xml_joins_name_parts_and_reads_dates_and_nationality() -> None:
    ri, baqi = parse_un_xml(UN_XML)
    assert ri.primary_name == "RI WON HO"
    assert ri.entry_id == "KPi.033"
    assert ri.aliases == ["Ri Won-ho"]
    assert ri.nationalities == ["KP"]
    assert ri.dates_of_birth == ["1964-07-17"]
    assert ri.listed_date == "2016-11-30"
    assert baqi.dates_of_birth == ["1962"]
    assert baqi.nationalities == ["AF"]


def test_opensanctions_keeps_listed_persons_and_their_topics() -> None:
    putin, bello = parse_opensanctions(opensanctions_lines())
    assert putin.kind is EntryKind.SANCTION_AND_PEP
    assert putin.aliases == ["Владимир Владимирович Путин"]
    assert putin.nationalities == ["RU"]
    assert putin.positions == ["President of the Russian Federation"]
    assert putin.listed_date == "2022-02-25"
    assert bello.kind is EntryKind.PEP and bello.nationalities == ["NG"]


@pytest.mark.parametrize("parse", [parse_ofac_xml, parse_un_xml])
def test_xml_bombs_and_wrong_roots_are_refused(parse: object) -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><sdnList>&lol2;</sdnList>'
    assert callable(parse)
    with pytest.raises(ListFormatError):
        parse(bomb)
    with pytest.raises(ListFormatError):
        parse(b"<other/>")
    with pytest.raises(ListFormatError):
        parse(b"not xml")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_a_doctype_in_another_encoding_is_refused_too(encoding: str) -> None:
    # A byte search for "<!DOCTYPE" misses it in UTF-16; the parser would still expand the bomb.
    bomb = (
        f'<?xml version="1.0" encoding="{encoding.removesuffix("-sig")}"?>'
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><sdnList>&lol2;</sdnList>'
    ).encode(encoding)
    assert b"<!DOCTYPE" not in bomb or encoding == "utf-8-sig"
    # Refused either for the DOCTYPE or, where expat cannot read the declared encoding, as unreadable.
    with pytest.raises(ListFormatError, match=r"DOCTYPE|unreadable"):
        parse_ofac_xml(bomb)


def test_an_encoded_list_without_a_doctype_still_parses() -> None:
    document = '<?xml version="1.0" encoding="utf-16"?><sdnList><publshInformation/></sdnList>'
    assert parse_xml(document.encode("utf-16")).tag == "sdnList"


def test_malformed_csv_and_jsonl_are_refused() -> None:
    with pytest.raises(ListFormatError):
        parse_ofac_csv(b"a,b,c\n")
    with pytest.raises(ListFormatError):
        parse_opensanctions(b"{not json}\n")
