"""Regenerate ``data/valid_documents.json`` from the docs' "Using Document Image" tables.

Run from the repository root (the seed is the documentation snapshot the project implements)::

    .venv/bin/python -m tools.build_data ../shared/spec/seeds/001_d853214dc64d47f7.txt

The server never parses the seed: it loads the committed JSON, so a docs change is a reviewed diff.
Only the Africa table is in Smile ID's documentation; the other continents' pages are listed in the docs' table of
contents but not captured, so they are absent until a seed carries them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# The checkout's copy, which the wheel packages and ``openkyc.services.documents`` reads.
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "src" / "openkyc" / "services" / "data" / "valid_documents.json"
CONTINENTS = ("Africa", "Asia and the Middle East", "Europe", "North America", "Oceania", "South America")
TABLE_HEADER = ("Country", "Country code", "ID Type", "Examples")

# Display names for the document type codes (the docs give only the code and its examples).
TYPE_NAMES = {
    "ALIEN_CARD": "Alien Card",
    "CITIZEN_ID": "Citizen ID",
    "DRIVERS_LICENSE": "Driver's License",
    "HEALTH_CARD": "Health Card",
    "IDENTITY_CARD": "Identity Card",
    "OCCUPATION_CARD": "Occupation Card",
    "PASSPORT": "Passport",
    "REGISTRATION_CERTIFICATE": "Registration Certificate",
    "RESIDENT_ID": "Resident ID",
    "SEAMANS_ID": "Seaman's ID",
    "SOCIAL_ID": "Social ID",
    "TAX_ID": "Tax ID",
    "TRADE_LICENSE": "Trade License",
    "TRAVEL_DOC": "Travel Document",
    "UNIFORMED_SERVICES_CARD": "Uniformed Services Card",
    "VOTER_ID": "Voter ID",
    "WORK_PERMIT": "Work Permit",
}
# Booklets and visa/border documents are captured as one page; every other type is a card whose
# back carries data (MRZ, barcode, address), so the capture flow asks for it.
NO_BACK = frozenset({"PASSPORT", "TRAVEL_DOC"})

_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
_TYPE_CODE = re.compile(r"^[A-Z][A-Z_]+$")


class SeedFormatError(ValueError):
    """The seed's table is not laid out as this parser expects."""


def continent_tables(lines: list[str]) -> Iterator[tuple[str, list[str]]]:
    """(continent, the table's text lines) for each continent page present in the seed."""
    for index, line in enumerate(lines):
        if line.strip() != "Continents" or index + 1 >= len(lines):
            continue
        continent = lines[index + 1].strip()
        if (
            continent not in CONTINENTS
            or tuple(s.strip() for s in lines[index + 2 : index + 6]) != TABLE_HEADER
        ):
            continue  # the table of contents or a page footer, not a table
        body: list[str] = []
        for row in lines[index + 6 :]:
            if row.strip() == "Previous":
                break
            body.append(row)
        yield continent, body


def table_rows(body: list[str]) -> Iterator[tuple[str, str, str, str]]:
    """(country name, country code, type code, examples) rows, skipping flags and footnotes."""
    cells = [cell.strip() for cell in body if cell.strip()]
    # A flag emoji (regional-indicator letters) opens each country; "**" lines are footnotes.
    cells = [c for c in cells if c[0].isascii() and not c.startswith("**")]
    if len(cells) % 4:
        raise SeedFormatError(f"{len(cells)} cells do not make rows of four")
    for start in range(0, len(cells), 4):
        name, code, type_code, examples = cells[start : start + 4]
        if not _COUNTRY_CODE.match(code) or not _TYPE_CODE.match(type_code):
            raise SeedFormatError(f"unexpected row {cells[start : start + 4]!r}")
        yield name, code, type_code, examples


def split_examples(text: str) -> list[str]:
    """The document names in an Examples cell: commas and ampersands separate them."""
    cleaned = text.replace("**", "")
    return [part.strip() for part in re.split(r",|&", cleaned) if part.strip()]


def build(lines: list[str]) -> list[dict[str, Any]]:
    """The ``valid_documents`` list: one entry per country, in the docs' order."""
    countries: dict[str, dict[str, Any]] = {}
    for continent, body in continent_tables(lines):
        for name, code, type_code, examples in table_rows(body):
            entry = countries.setdefault(
                code, {"country": {"code": code, "continent": continent, "name": name}, "id_types": []}
            )
            entry["id_types"].append(
                {
                    "code": type_code,
                    "name": TYPE_NAMES.get(type_code, type_code.replace("_", " ").title()),
                    "example": split_examples(examples),
                    "has_back": type_code not in NO_BACK,
                }
            )
    return list(countries.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "seed", type=Path, help="documentation snapshot with the 'Using Document Image' pages"
    )
    parser.add_argument("output", type=Path, nargs="?", default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    documents = build(args.seed.read_text(encoding="utf-8").splitlines())
    if not documents:
        print(f"no document tables found in {args.seed}", file=sys.stderr)
        return 1
    text = json.dumps({"valid_documents": documents}, ensure_ascii=False, indent=1)
    args.output.write_text(text + "\n", encoding="utf-8")
    print(f"{len(documents)} countries written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
