"""The local business registry: JSON-lines import, encrypted storage, production look-ups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openkyc.blind_index import BUSINESS_REGISTRY, index_key, number_digest
from openkyc.business.base import BusinessLookup, InvalidIdNumber, Party, RecordNotFound
from openkyc.business.registry import (
    BusinessImportError,
    LocalBusinessRegistry,
    count_businesses,
    import_jsonl,
)
from openkyc.business.result import verified_result
from openkyc.runtime import Runtime


def business(**overrides: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "country": "NG",
        "id_type": "BUSINESS_REGISTRATION",
        "id_number": "RC123456",
        "business_type": "co",
        "company_information": {
            "legal_name": "QUILLFEATHER HOLDINGS LIMITED",
            "company_type": "PRIVATE_COMPANY_LIMITED_BY_SHARES",
            "registration_number": "RC123456",
            "status": "ACTIVE",
        },
        "directors": [{"name": "ZEBEDEE MARCHBANKS", "id_type": "Passport", "shareholdings": "100"}],
        "beneficial_owners": [{"name": "ZEBEDEE MARCHBANKS", "shareholdings": "100%"}],
        "fiduciaries": [],
        "search_certificate": "https://registry.example/cert/1",
    }
    line.update(overrides)
    return line


def write_lines(folder: Path, *lines: dict[str, Any] | str) -> Path:
    path = folder / "businesses.jsonl"
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def lookup(runtime: Runtime, **fields: Any) -> Any:
    request = {"country": "NG", "id_type": "BUSINESS_REGISTRATION", "id_number": "RC123456"}
    request.update(fields)
    return LocalBusinessRegistry(runtime).lookup(BusinessLookup(environment="production", **request))


def test_an_imported_business_is_found_with_its_officers(runtime: Runtime, tmp_path: Path) -> None:
    summary = import_jsonl(runtime, write_lines(tmp_path, business(id_number=" rc123456 ")))
    assert (summary.imported, summary.replaced, count_businesses(runtime)) == (1, 0, 1)
    record = lookup(runtime, id_number="Rc123456 ", business_type="co")
    assert record.company.legal_name == "QUILLFEATHER HOLDINGS LIMITED"
    assert record.company.status == "ACTIVE" and record.company.email is None
    assert record.directors == (Party(name="ZEBEDEE MARCHBANKS", id_type="Passport", shareholdings="100"),)
    assert record.beneficial_owners[0].shareholdings == "100%"
    assert record.fiduciaries == () and record.proprietors == ()
    assert record.search_certificate == "https://registry.example/cert/1"
    wire = verified_result("job", {}, record)
    assert wire["company_information"]["legal_name"] == "QUILLFEATHER HOLDINGS LIMITED"
    assert wire["directors"] == [
        {"name": "ZEBEDEE MARCHBANKS", "id_type": "Passport", "shareholdings": "100"}
    ]


def test_a_basic_search_reads_the_registration_register_without_officers(
    runtime: Runtime, tmp_path: Path
) -> None:
    import_jsonl(runtime, write_lines(tmp_path, business()))
    record = lookup(runtime, id_type="BASIC_BUSINESS_REGISTRATION")
    assert record.company.legal_name == "QUILLFEATHER HOLDINGS LIMITED"
    assert (record.directors, record.beneficial_owners, record.search_certificate) == ((), (), "")


def test_reimport_replaces_and_a_repeated_number_keeps_the_last_line(
    runtime: Runtime, tmp_path: Path
) -> None:
    import_jsonl(runtime, write_lines(tmp_path, business()))
    renamed = business(company_information={"legal_name": "NEW NAME LIMITED"}, directors=[])
    summary = import_jsonl(runtime, write_lines(tmp_path, business(), "", "  ", renamed))
    assert (summary.imported, summary.replaced, count_businesses(runtime)) == (0, 1, 1)
    record = lookup(runtime)
    assert record.company.legal_name == "NEW NAME LIMITED" and record.directors == ()


def test_names_and_numbers_are_not_stored_in_clear(runtime: Runtime, tmp_path: Path) -> None:
    import_jsonl(runtime, write_lines(tmp_path, business()))
    # SQLite runs in WAL mode: fresh rows sit in openkyc.db-wal until a checkpoint, so read every file.
    database = b"".join(path.read_bytes() for path in runtime.settings.data_dir.glob("openkyc.db*"))
    digest = number_digest(
        index_key(runtime.box, BUSINESS_REGISTRY), "RC123456", "NG", "BUSINESS_REGISTRATION"
    )
    assert digest.encode() in database  # the row is in what was read
    for secret in (b"RC123456", b"QUILLFEATHER", b"MARCHBANKS", b"registry.example"):
        assert secret not in database


def test_unknown_numbers_and_other_registers_are_not_found(runtime: Runtime, tmp_path: Path) -> None:
    import_jsonl(runtime, write_lines(tmp_path, business()))
    for fields in (
        {"id_number": "RC654321"},
        {"business_type": "bn"},  # CAC keeps one register per business type
        {"country": "KE"},
        {"id_type": "TAX_INFORMATION"},
    ):
        with pytest.raises(RecordNotFound):
            lookup(runtime, **fields)


def test_tax_numbers_are_their_own_register(runtime: Runtime, tmp_path: Path) -> None:
    tax = business(country="KE", id_type="TAX_INFORMATION", id_number="A051234567Q", business_type=None)
    import_jsonl(runtime, write_lines(tmp_path, tax))
    record = lookup(runtime, country="KE", id_type="TAX_INFORMATION", id_number="a051234567q")
    assert record.company.legal_name == "QUILLFEATHER HOLDINGS LIMITED"
    with pytest.raises(RecordNotFound):
        lookup(runtime, country="KE", id_number="A051234567Q")


@pytest.mark.parametrize(
    "fields",
    [
        {"country": "KE", "id_type": "TAX_INFORMATION", "id_number": "12345"},  # KE PIN regex, §10.3
        {"id_number": "0000000"},  # the sandbox test numbers are refused in production
        {"id_number": "0000003"},
    ],
)
def test_a_malformed_number_is_invalid_before_the_look_up(runtime: Runtime, fields: dict[str, str]) -> None:
    with pytest.raises(InvalidIdNumber):
        lookup(runtime, **fields)


BAD_LINES: list[tuple[dict[str, Any] | str, str]] = [
    ('{"country": "NG", "id_number": "SECRET-1"', "not valid JSON"),
    ('["NG", "BUSINESS_REGISTRATION", "SECRET-1"]', "must be a JSON object"),
    (business(id_number="   "), "id_number required"),
    (business(company_information=None), "company_information required"),
    (business(company_information={"company_type": "SECRET-1"}), "legal_name required"),
    (business(country="NGA"), "supported pair"),
    (business(country="ZA", id_type="TAX_INFORMATION"), "supported pair"),
    (business(id_number=123456), "id_number must be a string"),
    (business(id_number="SECRET-1" * 10), "longer than 64"),
    (business(id_number="0000001"), "sandbox test number"),
    (business(country="KE", id_type="TAX_INFORMATION", id_number="SECRET-1"), "format of KE TAX_INFORMATION"),
    (business(business_type="SECRET-1"), "business_type must be one of"),
    (business(SECRET_1="x"), "unknown key ("),
    (business(company_information={"legal_name": "SECRET-1", "SECRET_2": "x"}), "unknown key in company"),
    (business(company_information={"legal_name": "SECRET-1", "phone": 2348012345678}), "phone must be"),
    (business(company_information="SECRET-1"), "company_information must be a JSON object"),
    (business(directors=[{"id_number": "SECRET-1"}]), "directors needs a name"),
    (business(directors=[{"name": "SECRET-1", "SECRET_2": "x"}]), "unknown key in directors"),
    (business(directors=["SECRET-1"]), "entries of directors must be JSON objects"),
    (business(proprietors={"name": "SECRET-1"}), "proprietors must be a list"),
    (business(beneficial_owners=[{"name": "SECRET-1", "shareholdings": 50}]), "shareholdings must be"),
    (business(search_certificate=["SECRET-1"]), "search_certificate must be a string"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_LINES)
def test_an_invalid_line_imports_nothing_and_the_error_names_only_the_line(
    runtime: Runtime, tmp_path: Path, bad: dict[str, Any] | str, reason: str
) -> None:
    path = write_lines(tmp_path, business(id_number="RC999999"), bad)
    with pytest.raises(BusinessImportError, match=r"^line 2: ") as error:
        import_jsonl(runtime, path)
    message = str(error.value)
    assert reason in message
    assert "SECRET" not in message and "QUILLFEATHER" not in message and "MARCHBANKS" not in message
    assert count_businesses(runtime) == 0


def test_a_line_that_is_not_utf8_names_its_line(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "businesses.jsonl"
    path.write_bytes(json.dumps(business()).encode() + b'\n{"country": "\xff"}\n')
    with pytest.raises(BusinessImportError, match=r"^line 2: not valid UTF-8$"):
        import_jsonl(runtime, path)
    assert count_businesses(runtime) == 0
