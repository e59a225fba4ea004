"""OFAC's Specially Designated Nationals list: ``sdn.xml``, or ``sdn.csv`` with its ``alt.csv``.

Only individuals (sdnType / SDN_Type "Individual") are kept: the AML check screens people.
Country names ("Iran", "Korea, North") become alpha-2 codes; unknown names are dropped rather
than guessed, so a country filter never excludes an entry on a misread code.
"""

from __future__ import annotations

import csv
import io
import re
from xml.etree.ElementTree import Element

from openkyc.aml.countries import country_code
from openkyc.aml.entries import ListEntry, ListSource
from openkyc.aml.parsers.safexml import ListFormatError, child, children, local, parse_xml, text

DETAILS_URL = "https://sanctionssearch.ofac.treas.gov/Details.aspx?id={}"
CSV_NULL = "-0-"  # OFAC's CSV files write empty fields as "-0-"
_ADDRESS_PARTS = ("address1", "address2", "address3", "city", "stateOrProvince", "postalCode", "country")


def _codes(names: list[str]) -> list[str]:
    codes = [code for code in (country_code(name) for name in names if name) if code]
    return list(dict.fromkeys(codes))


def _full_name(first: str, last: str) -> str:
    return " ".join(part for part in (first, last) if part)


def _items(entry: Element, outer: str, inner: str) -> list[Element]:
    container = child(entry, outer)
    return children(container, inner) if container is not None else []


def parse_ofac_xml(data: bytes) -> list[ListEntry]:
    root = parse_xml(data)
    if local(root.tag) != "sdnList":
        raise ListFormatError("not an OFAC SDN XML file (root element is not sdnList)")
    entries = []
    for item in children(root, "sdnEntry"):
        if text(item, "sdnType").lower() != "individual":
            continue
        uid = text(item, "uid")
        name = _full_name(text(item, "firstName"), text(item, "lastName"))
        if not uid or not name:
            continue
        aliases = [
            _full_name(text(aka, "firstName"), text(aka, "lastName"))
            for aka in _items(item, "akaList", "aka")
        ]
        dobs = [text(dob, "dateOfBirth") for dob in _items(item, "dateOfBirthList", "dateOfBirthItem")]
        countries = [text(n, "country") for n in _items(item, "nationalityList", "nationality")]
        countries += [text(c, "country") for c in _items(item, "citizenshipList", "citizenship")]
        addresses = [
            ", ".join(part for part in (text(a, name) for name in _ADDRESS_PARTS) if part)
            for a in _items(item, "addressList", "address")
        ]
        entries.append(
            ListEntry(
                source=ListSource.OFAC_XML,
                entry_id=uid,
                primary_name=name,
                aliases=[alias for alias in aliases if alias],
                dates_of_birth=[dob for dob in dobs if dob],
                nationalities=_codes(countries),
                addresses=[address for address in addresses if address],
                programs=[(p.text or "").strip() for p in _items(item, "programList", "program")],
                source_link=DETAILS_URL.format(uid),
            )
        )
    return entries


# Remarks hold the individual's details as "DOB 10 Jun 1955; POB Baghdad, Iraq; nationality Iraq; ...".
_DOB = re.compile(r"\bDOB (?:circa )?([^;]+)", re.IGNORECASE)
_COUNTRY = re.compile(r"\b(?:nationality|citizenship) ([^;]+)", re.IGNORECASE)


def _field(value: str) -> str:
    value = value.strip()
    return "" if value == CSV_NULL else value


def _csv_name(value: str) -> str:
    """ "LAST, First Middle" (OFAC's order) as "First Middle LAST"."""
    last, _, first = _field(value).partition(", ")
    return _full_name(first.strip(), last.strip())


def _rows(data: bytes) -> list[list[str]]:
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        decoded = data.decode("latin-1")  # older OFAC files are Windows-1252/Latin-1
    return [row for row in csv.reader(io.StringIO(decoded)) if row and row[0].strip() not in ("", "\x1a")]


def parse_ofac_csv(sdn: bytes, alt: bytes | None = None) -> list[ListEntry]:
    """``sdn.csv`` (ent_num, SDN_Name, SDN_Type, Program, Title, ..., Remarks) and optional ``alt.csv``."""
    entries: dict[str, ListEntry] = {}
    for row in _rows(sdn):
        if len(row) < 12 or not row[0].strip().isdigit():
            raise ListFormatError("not an OFAC sdn.csv file (expected 12 columns starting with ent_num)")
        if _field(row[2]).lower() != "individual":
            continue
        ent_num, remarks = row[0].strip(), _field(row[11])
        entries[ent_num] = ListEntry(
            source=ListSource.OFAC_CSV,
            entry_id=ent_num,
            primary_name=_csv_name(row[1]),
            dates_of_birth=[dob.strip().rstrip(".") for dob in _DOB.findall(remarks)],
            nationalities=_codes([c.strip().rstrip(".") for c in _COUNTRY.findall(remarks)]),
            programs=[p.strip("[] ") for p in _field(row[3]).split("] [") if p.strip("[] ")],
            source_link=DETAILS_URL.format(ent_num),
        )
    for row in _rows(alt or b""):
        # alt.csv: ent_num, alt_num, alt_type, alt_name, alt_remarks
        if len(row) >= 4 and row[0].strip() in entries and _field(row[3]):
            entries[row[0].strip()].aliases.append(_csv_name(row[3]))
    return list(entries.values())
