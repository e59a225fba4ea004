from __future__ import annotations

from pathlib import Path

import pytest

from openkyc.authorities.base import LookupRequest
from openkyc.authorities.registry import (
    RegistryAuthority,
    RegistryImportError,
    count_records,
    import_csv,
)
from openkyc.blind_index import AUTHORITY_REGISTRY, index_key, number_digest
from openkyc.products.authority import InvalidIdNumber, RecordNotFound
from openkyc.runtime import Runtime

CSV_HEADER = "country,id_type,id_number,full_name,dob,gender,photo\n"


def write_csv(folder: Path, body: str) -> Path:
    path = folder / "records.csv"
    path.write_text(CSV_HEADER + body, encoding="utf-8")
    return path


def test_imported_records_are_found_with_their_photo(
    runtime: Runtime, tmp_path: Path, faces_dir: Path
) -> None:
    photo = faces_dir / "ageitgey+face_recognition" / "examples" / "obama.jpg"
    path = write_csv(tmp_path, f"ke,NATIONAL_ID,12345678,Barack Hussein Obama,1961-08-04,M,{photo}\n")
    assert import_csv(runtime, path).imported == 1
    record = RegistryAuthority(runtime).lookup(
        LookupRequest(country="KE", id_type="NATIONAL_ID", id_number=" 12345678 ")
    )
    assert record.full_name == "Barack Hussein Obama"
    assert (record.first_name, record.middle_name, record.last_name) == ("Barack", "Hussein", "Obama")
    assert record.photo == photo.read_bytes()


def test_numbers_and_names_are_not_stored_in_clear(runtime: Runtime, tmp_path: Path) -> None:
    import_csv(runtime, write_csv(tmp_path, "KE,NATIONAL_ID,87654321,Grace Hopper,1906-12-09,F,\n"))
    # SQLite runs in WAL mode: fresh rows sit in openkyc.db-wal until a checkpoint, so read every file.
    database = b"".join(path.read_bytes() for path in runtime.settings.data_dir.glob("openkyc.db*"))
    digest = number_digest(index_key(runtime.box, AUTHORITY_REGISTRY), "87654321", "KE", "NATIONAL_ID")
    assert digest.encode() in database  # the row was read
    assert b"87654321" not in database and b"Grace Hopper" not in database


def test_reimport_replaces_and_unknown_numbers_are_not_found(runtime: Runtime, tmp_path: Path) -> None:
    import_csv(runtime, write_csv(tmp_path, "KE,NATIONAL_ID,11111111,Old Name,,,\n"))
    summary = import_csv(runtime, write_csv(tmp_path, "KE,NATIONAL_ID,11111111,New Name,,,\n"))
    assert (summary.imported, summary.replaced, count_records(runtime)) == (0, 1, 1)
    authority = RegistryAuthority(runtime)
    assert (
        authority.lookup(LookupRequest(country="KE", id_type="NATIONAL_ID", id_number="11111111")).full_name
        == "New Name"
    )
    with pytest.raises(RecordNotFound):
        authority.lookup(LookupRequest(country="KE", id_type="NATIONAL_ID", id_number="22222222"))


def test_a_number_in_the_wrong_format_is_refused_before_the_look_up(runtime: Runtime) -> None:
    with pytest.raises(InvalidIdNumber):
        RegistryAuthority(runtime).lookup(LookupRequest(country="KE", id_type="NATIONAL_ID", id_number="ABC"))


@pytest.mark.parametrize(
    "row",
    [
        "KEN,NATIONAL_ID,1,,,,\n",
        "KE,,1,,,,\n",
        "KE,NATIONAL_ID,1,Name,04/08/1961,,\n",
        "KE,NATIONAL_ID,1,Name,,,missing.jpg\n",
    ],
)
def test_an_invalid_row_imports_nothing(runtime: Runtime, tmp_path: Path, row: str) -> None:
    path = write_csv(tmp_path, "KE,NATIONAL_ID,99999999,Valid Row,,,\n" + row)
    with pytest.raises(RegistryImportError, match="line 3"):
        import_csv(runtime, path)
    assert count_records(runtime) == 0
