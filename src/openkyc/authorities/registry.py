"""The local-registry authority: records an operator imports from CSV, encrypted at rest.

A real deployment mode: a partner that holds its own member or citizen records verifies people
against them without any outside authority. CSV columns (header row; only the first three are
required): ``country,id_type,id_number,full_name,first_name,middle_name,last_name,dob,gender,
phone_number,phone_number2,address,expiration_date,issuance_date,secondary_id_number,photo`` —
``photo`` is an image file path relative to the CSV. Re-importing a number replaces its record.
"""

from __future__ import annotations

import base64
import csv
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openkyc.authorities.base import LookupRequest, split_full_name
from openkyc.authorities.models import RegistryRecord
from openkyc.blind_index import AUTHORITY_REGISTRY, index_key, number_digest
from openkyc.db import transaction
from openkyc.products.authority import AuthorityRecord, InvalidIdNumber, RecordNotFound
from openkyc.runtime import Runtime
from openkyc.services.id_types import id_number_type

RECORD_FIELDS = (
    "full_name", "first_name", "middle_name", "last_name", "dob", "gender", "phone_number", "phone_number2",
    "address", "expiration_date", "issuance_date", "secondary_id_number",
)  # fmt: skip
MAX_PHOTO_BYTES = 5 * 1024 * 1024
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RegistryImportError(ValueError):
    """A CSV row that cannot be imported; the message names the row, never its personal data."""


@dataclass(frozen=True)
class ImportSummary:
    imported: int
    replaced: int


def import_csv(runtime: Runtime, path: Path) -> ImportSummary:
    """Import (or replace) every row of ``path``; nothing is imported if any row is invalid."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    prepared = [_prepare(row, index + 2, path.parent) for index, row in enumerate(rows)]
    imported = replaced = 0
    with transaction(runtime.sessions) as session:
        for country, id_type, id_number, record in prepared:
            digest = number_digest(index_key(runtime.box, AUTHORITY_REGISTRY), id_number, country, id_type)
            payload = runtime.box.encrypt(json.dumps(record).encode())
            existing = _find(session, country, id_type, digest)
            if existing is None:
                session.add(
                    RegistryRecord(
                        country=country, id_type=id_type, number_digest=digest, record_encrypted=payload
                    )
                )
                imported += 1
            else:
                existing.record_encrypted = payload
                replaced += 1
    return ImportSummary(imported=imported, replaced=replaced)


def _prepare(row: dict[str, str | None], line: int, folder: Path) -> tuple[str, str, str, dict[str, Any]]:
    def value(name: str) -> str | None:
        text = (row.get(name) or "").strip()
        return text or None

    country, id_type, id_number = (
        (value("country") or "").upper(),
        (value("id_type") or "").upper(),
        value("id_number"),
    )
    if len(country) != 2 or not country.isalpha() or not id_type or not id_number:
        raise RegistryImportError(f"line {line}: country (2 letters), id_type and id_number are required")
    record: dict[str, Any] = {name: value(name) for name in RECORD_FIELDS}
    for name in ("dob", "expiration_date", "issuance_date"):
        if record[name] is not None and not _DATE.match(record[name]):
            raise RegistryImportError(f"line {line}: {name} must be YYYY-MM-DD")
    if record["full_name"] is None and record["first_name"]:
        parts = [record["first_name"], record["middle_name"], record["last_name"]]
        record["full_name"] = " ".join(p for p in parts if p)
    elif record["full_name"] and not record["first_name"]:
        record["first_name"], record["middle_name"], record["last_name"] = split_full_name(
            record["full_name"]
        )
    photo = value("photo")
    if photo is not None:
        photo_path = (folder / photo).resolve()
        if not photo_path.is_file() or photo_path.stat().st_size > MAX_PHOTO_BYTES:
            raise RegistryImportError(f"line {line}: photo file missing or larger than 5 MB")
        record["photo"] = base64.b64encode(photo_path.read_bytes()).decode("ascii")
    return country, id_type, id_number, record


def _find(session: Session, country: str, id_type: str, digest: str) -> RegistryRecord | None:
    return session.scalar(
        select(RegistryRecord).where(
            RegistryRecord.country == country,
            RegistryRecord.id_type == id_type,
            RegistryRecord.number_digest == digest,
        )
    )


def count_records(runtime: Runtime) -> int:
    with transaction(runtime.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(RegistryRecord)) or 0)


class RegistryAuthority:
    """Look-ups against the imported records; the ID type's documented format is checked first."""

    name = "registry"

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def lookup(self, request: LookupRequest) -> AuthorityRecord:
        known = id_number_type(request.country, request.id_type)
        if (
            known is not None
            and known.regex is not None
            and not re.match(known.regex, request.id_number.strip())
        ):
            raise InvalidIdNumber("Invalid ID number format")
        country, id_type = request.country.upper(), request.id_type.upper()
        digest = number_digest(
            index_key(self._runtime.box, AUTHORITY_REGISTRY), request.id_number, country, id_type
        )
        with transaction(self._runtime.sessions) as session:
            row = _find(session, country, id_type, digest)
            token = row.record_encrypted if row is not None else None
        if token is None:
            raise RecordNotFound("ID number not found")
        stored = json.loads(self._runtime.box.decrypt(token))
        photo = base64.b64decode(stored["photo"]) if stored.get("photo") else None
        fields = {name: stored.get(name) for name in RECORD_FIELDS}
        return AuthorityRecord(
            **fields, photo=photo, full_data={k: v for k, v in fields.items() if v is not None}
        )


def record_as_dict(record: AuthorityRecord) -> dict[str, Any]:
    """A record without its photo bytes (for display)."""
    return {k: v for k, v in asdict(record).items() if k != "photo"}
