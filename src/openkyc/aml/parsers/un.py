"""The UN Security Council consolidated list XML (CONSOLIDATED_LIST / INDIVIDUALS / INDIVIDUAL)."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from openkyc.aml.countries import country_code
from openkyc.aml.entries import ListEntry, ListSource
from openkyc.aml.parsers.safexml import ListFormatError, child, children, local, parse_xml, text

LIST_URL = "https://main.un.org/securitycouncil/en/content/un-sc-consolidated-list"
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


def _values(individual: Element, name: str) -> list[str]:
    """``<NATIONALITY><VALUE>..</VALUE>...</NATIONALITY>``-style repeated values."""
    found = []
    for group in children(individual, name):
        found += [(value.text or "").strip() for value in children(group, "VALUE")]
    return [value for value in found if value]


def _date_of_birth(item: Element) -> str:
    # EXACT dates have DATE, others YEAR, or a FROM_YEAR..TO_YEAR range (kept as its first year).
    return text(item, "DATE") or text(item, "YEAR") or text(item, "FROM_YEAR")


def parse_un_xml(data: bytes) -> list[ListEntry]:
    root = parse_xml(data)
    if local(root.tag) != "CONSOLIDATED_LIST":
        raise ListFormatError("not a UN consolidated list (root element is not CONSOLIDATED_LIST)")
    individuals = child(root, "INDIVIDUALS")
    entries = []
    for item in children(individuals, "INDIVIDUAL") if individuals is not None else []:
        data_id = text(item, "DATAID")
        name = " ".join(part for part in (text(item, p) for p in _NAME_PARTS) if part)
        if not data_id or not name:
            continue
        aliases = [text(alias, "ALIAS_NAME") for alias in children(item, "INDIVIDUAL_ALIAS")]
        dobs = [_date_of_birth(dob) for dob in children(item, "INDIVIDUAL_DATE_OF_BIRTH")]
        addresses = [
            ", ".join(
                part for part in (text(a, p) for p in ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY")) if part
            )
            for a in children(item, "INDIVIDUAL_ADDRESS")
        ]
        codes = [country_code(value) for value in _values(item, "NATIONALITY")]
        entries.append(
            ListEntry(
                source=ListSource.UN_XML,
                entry_id=text(item, "REFERENCE_NUMBER") or data_id,
                primary_name=name,
                aliases=[alias for alias in aliases if alias],
                dates_of_birth=[dob for dob in dobs if dob],
                nationalities=list(dict.fromkeys(code for code in codes if code)),
                addresses=[address for address in addresses if address],
                programs=[text(item, "UN_LIST_TYPE")] if text(item, "UN_LIST_TYPE") else [],
                source_link=LIST_URL,
                listed_date=text(item, "LISTED_ON") or None,
            )
        )
    return entries
