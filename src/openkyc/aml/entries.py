"""One watch-list person as every parser produces it, before it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ListSource(StrEnum):
    """The published formats ``openkyc lists load`` reads (also the entries' ``list_source``)."""

    OFAC_XML = "ofac-xml"
    OFAC_CSV = "ofac-csv"
    UN_XML = "un-xml"
    OPENSANCTIONS = "opensanctions"


class EntryKind(StrEnum):
    SANCTION = "sanction"
    PEP = "pep"
    SANCTION_AND_PEP = "sanction+pep"


# The names a source is reported under in a match's ``source_name``.
SOURCE_NAMES: dict[ListSource, str] = {
    ListSource.OFAC_XML: "OFAC Specially Designated Nationals List",
    ListSource.OFAC_CSV: "OFAC Specially Designated Nationals List",
    ListSource.UN_XML: "United Nations Security Council Consolidated List",
    ListSource.OPENSANCTIONS: "OpenSanctions",
}
# The short names a V3 result's ``sanctions[].list`` gives (the spec's example: "OFAC SDN").
LIST_LABELS: dict[ListSource, str] = {
    ListSource.OFAC_XML: "OFAC SDN",
    ListSource.OFAC_CSV: "OFAC SDN",
    ListSource.UN_XML: "UN Security Council Consolidated List",
    ListSource.OPENSANCTIONS: "OpenSanctions",
}


@dataclass
class ListEntry:
    """A listed individual. Dates stay as the list wrote them ("1958", "10 Jun 1955", "1964-07-17")."""

    source: ListSource
    entry_id: str
    primary_name: str
    kind: EntryKind = EntryKind.SANCTION
    aliases: list[str] = field(default_factory=list)
    dates_of_birth: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)  # ISO alpha-2
    addresses: list[str] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)
    source_link: str | None = None
    listed_date: str | None = None
