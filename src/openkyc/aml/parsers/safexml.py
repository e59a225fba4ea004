"""XML parsing that refuses DTDs, so entity-expansion bombs and external entities never load.

The standard library parser expands internal entities ("billion laughs"); lists are published
without a DOCTYPE, so a document that declares one, or any entity, is refused before it is parsed
into a tree. defusedxml is not a dependency, hence this check.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import NoReturn
from xml.parsers import expat


class ListFormatError(ValueError):
    """A list file that is not in the format it was loaded as."""


def _refuse_declarations(data: bytes) -> None:
    """A streaming pass of expat that stops at the first DOCTYPE or entity declaration.

    Expat reads the document as the tree parser will (its encoding declaration, a UTF-16 byte
    order mark), so a DOCTYPE spelled in another encoding is seen too; a byte search is not enough.
    Handlers fire before any entity is expanded, so a bomb costs nothing here.
    """

    def refuse(*_: object) -> NoReturn:
        raise ListFormatError("XML with a DOCTYPE or ENTITY declaration is refused")

    scanner = expat.ParserCreate()
    scanner.StartDoctypeDeclHandler = refuse
    scanner.EntityDeclHandler = refuse
    scanner.UnparsedEntityDeclHandler = refuse
    scanner.ExternalEntityRefHandler = refuse
    try:
        scanner.Parse(data, True)
    except expat.ExpatError as error:
        raise ListFormatError(f"not well-formed XML: {error}") from None
    except ValueError as error:  # an encoding expat cannot read, e.g. UTF-16 declared without a BOM
        raise ListFormatError(f"unreadable XML: {error}") from None


def parse_xml(data: bytes) -> ET.Element:
    _refuse_declarations(data)
    try:
        return ET.fromstring(data)  # noqa: S314 - DOCTYPE and ENTITY refused above
    except ET.ParseError as error:
        raise ListFormatError(f"not well-formed XML: {error}") from None


def local(tag: str) -> str:
    """A tag without its namespace: OFAC's namespace URI changed between publications."""
    return tag.rsplit("}", 1)[-1]


def children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if local(child.tag) == name]


def child(element: ET.Element, name: str) -> ET.Element | None:
    for item in element:
        if local(item.tag) == name:
            return item
    return None


def text(element: ET.Element | None, name: str) -> str:
    """Stripped text of the first child called ``name`` ("" when absent)."""
    if element is None:
        return ""
    found = child(element, name)
    return (found.text or "").strip() if found is not None else ""
