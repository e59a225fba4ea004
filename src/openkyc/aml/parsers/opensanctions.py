"""OpenSanctions' FollowTheMoney entities, one JSON object per line (``entities.ftm.json``).

Only schema "Person" is kept. ``topics`` says what the person is listed for: "sanction"
(and "sanction.linked") make a sanctions entry, "role.pep" / "role.rca" a PEP entry.
"""

from __future__ import annotations

import json
from typing import Any

from openkyc.aml.countries import country_code
from openkyc.aml.entries import EntryKind, ListEntry, ListSource
from openkyc.aml.parsers.safexml import ListFormatError

ENTITY_URL = "https://www.opensanctions.org/entities/{}/"


def _strings(properties: dict[str, Any], name: str) -> list[str]:
    values = properties.get(name) or []
    return [value.strip() for value in values if isinstance(value, str) and value.strip()]


def _kind(topics: list[str]) -> EntryKind | None:
    sanction = any(topic.startswith("sanction") for topic in topics)
    pep = any(topic in ("role.pep", "role.rca") for topic in topics)
    if sanction and pep:
        return EntryKind.SANCTION_AND_PEP
    if pep:
        return EntryKind.PEP
    # Persons with other topics (crime, debarment...) are still screened, reported as sanctions-like.
    return EntryKind.SANCTION if sanction or topics else None


def parse_opensanctions(data: bytes) -> list[ListEntry]:
    entries = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entity = json.loads(line)
        except json.JSONDecodeError:
            raise ListFormatError(f"line {number} is not JSON") from None
        if not isinstance(entity, dict) or not isinstance(entity.get("properties"), dict):
            raise ListFormatError(f"line {number} is not a FollowTheMoney entity")
        if entity.get("schema") != "Person" or not isinstance(entity.get("id"), str):
            continue
        properties: dict[str, Any] = entity["properties"]
        names = _strings(properties, "name")
        kind = _kind(_strings(properties, "topics"))
        if not names or kind is None:
            continue
        countries = _strings(properties, "nationality") + _strings(properties, "citizenship")
        countries += _strings(properties, "country")
        codes = [country_code(value) for value in countries]
        listed = entity.get("first_seen")
        links = _strings(properties, "sourceUrl")
        entries.append(
            ListEntry(
                source=ListSource.OPENSANCTIONS,
                entry_id=entity["id"],
                primary_name=names[0],
                kind=kind,
                aliases=names[1:] + _strings(properties, "alias") + _strings(properties, "weakAlias"),
                dates_of_birth=_strings(properties, "birthDate"),
                nationalities=list(dict.fromkeys(code for code in codes if code)),
                addresses=_strings(properties, "address"),
                programs=_strings(properties, "program"),
                positions=_strings(properties, "position"),
                source_link=links[0] if links else ENTITY_URL.format(entity["id"]),
                listed_date=listed[:10] if isinstance(listed, str) else None,
            )
        )
    return entries
