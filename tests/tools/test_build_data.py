from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from openkyc.services.documents import DATA_FILE, DATA_PACKAGE, valid_documents
from tools import build_data

# The shared spec lives beside the checkout, like the shared test data (tests/conftest.py).
SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "seeds"
TABLE = """SUPPORTED ID TYPES & DOCUMENTS
Using Document Image
Continents
Africa
Country
Country code
ID Type
Examples
🇿🇲

Zambia

ZM

IDENTITY_CARD

National IDs**, Consular IDs & Diplomat IDs

Zambia

ZM

PASSPORT

Passports

🇿🇼

Zimbabwe

ZW

CITIZEN_ID

Citizenship Card and Seasonal Citizen ID

** For the NRC card in Zambia please use REGISTRATION_CERTIFICATE as the ID Type.

Previous
Continents
Next
Asia and the Middle East
"""


def test_rows_are_grouped_by_country_with_examples_split() -> None:
    documents = build_data.build(TABLE.splitlines())
    assert [d["country"] for d in documents] == [
        {"code": "ZM", "continent": "Africa", "name": "Zambia"},
        {"code": "ZW", "continent": "Africa", "name": "Zimbabwe"},
    ]
    assert documents[0]["id_types"] == [
        {
            "code": "IDENTITY_CARD",
            "name": "Identity Card",
            "example": ["National IDs", "Consular IDs", "Diplomat IDs"],
            "has_back": True,
        },
        {"code": "PASSPORT", "name": "Passport", "example": ["Passports"], "has_back": False},
    ]
    # " and " joins one document's names; only commas and ampersands separate documents.
    assert documents[1]["id_types"][0]["example"] == ["Citizenship Card and Seasonal Citizen ID"]


def test_a_table_with_a_broken_row_is_refused() -> None:
    broken = TABLE.replace("\nZM\n\nPASSPORT\n", "\nPASSPORT\n")
    with pytest.raises(build_data.SeedFormatError):
        build_data.build(broken.splitlines())


def test_the_table_of_contents_is_not_a_table() -> None:
    assert build_data.build(["Continents", "Africa", "Asia and the Middle East", "Europe"]) == []


def test_main_writes_the_json_the_server_loads(tmp_path: Path) -> None:
    seed, output = tmp_path / "seed.txt", tmp_path / "out.json"
    seed.write_text(TABLE, encoding="utf-8")
    assert build_data.main([str(seed), str(output)]) == 0
    assert len(json.loads(output.read_text(encoding="utf-8"))["valid_documents"]) == 2


def test_committed_data_matches_the_seed() -> None:
    seed = SEEDS / "001_d853214dc64d47f7.txt"
    if not seed.is_file():
        pytest.skip("the documentation seed is not beside this checkout")
    assert list(valid_documents()) == build_data.build(seed.read_text(encoding="utf-8").splitlines())


def test_default_output_is_the_file_the_server_reads() -> None:
    # The script lives in tools/, outside the package: its default must still be the packaged JSON.
    packaged = resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_bytes()
    assert build_data.DEFAULT_OUTPUT.read_bytes() == packaged
