"""The document types accepted for Document Verification, per country (POST /v1/valid_documents).

Loaded from the JSON that ``tools/build_data.py`` generates from the docs; read once per process.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

DATA_PACKAGE = "openkyc.services"
DATA_FILE = "data/valid_documents.json"


@cache
def valid_documents() -> tuple[dict[str, Any], ...]:
    """Every country's entry: ``{country{code, continent, name}, id_types[{code, name, example, has_back}]}``."""
    text = resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_text(encoding="utf-8")
    entries = json.loads(text)["valid_documents"]
    return tuple(entries)


@cache
def country_names() -> dict[str, str]:
    """ISO alpha-2 code -> the country's name as the docs spell it."""
    return {entry["country"]["code"]: entry["country"]["name"] for entry in valid_documents()}


def document_types(country: str) -> list[dict[str, Any]]:
    """The document types of ``country`` (empty when the country is not supported)."""
    for entry in valid_documents():
        if entry["country"]["code"] == country:
            return list(entry["id_types"])
    return []
