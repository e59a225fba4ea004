"""XML parsing that refuses DTDs, so entity-expansion bombs and external entities never load.

The standard library parser expands internal entities ("billion laughs"); lists are published
without a DOCTYPE, so any DOCTYPE or ENTITY declaration is refused before parsing. defusedxml
is not a dependency, hence this check.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class ListFormatError(ValueError):
    """A list file that is not in the format it was loaded as."""


def parse_xml(data: bytes) -> ET.Element:
    if _DTD.search(data):
        raise ListFormatError("XML with a DOCTYPE or ENTITY declaration is refused")
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
