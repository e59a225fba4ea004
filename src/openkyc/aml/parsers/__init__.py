"""Readers for the published list formats; each turns a file's text into :class:`ListEntry` items."""

from __future__ import annotations

from collections.abc import Callable

from openkyc.aml.entries import ListEntry, ListSource
from openkyc.aml.parsers.ofac import parse_ofac_csv, parse_ofac_xml
from openkyc.aml.parsers.opensanctions import parse_opensanctions
from openkyc.aml.parsers.safexml import ListFormatError
from openkyc.aml.parsers.un import parse_un_xml

PARSERS: dict[ListSource, Callable[[bytes], list[ListEntry]]] = {
    ListSource.OFAC_XML: parse_ofac_xml,
    ListSource.OFAC_CSV: lambda data: parse_ofac_csv(data),
    ListSource.UN_XML: parse_un_xml,
    ListSource.OPENSANCTIONS: parse_opensanctions,
}

__all__ = [
    "PARSERS",
    "ListFormatError",
    "parse_ofac_csv",
    "parse_ofac_xml",
    "parse_opensanctions",
    "parse_un_xml",
]
