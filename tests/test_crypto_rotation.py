"""Key rotation: every encrypted column and blob ends under the newest key; HMAC look-ups survive."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from cryptography.fernet import Fernet
from sqlalchemy import LargeBinary, select

from openkyc import audit
from openkyc.audit.models import AuditEvent
from openkyc.authorities.base import LookupRequest
from openkyc.authorities.registry import RegistryAuthority, import_csv
from openkyc.business.base import BusinessLookup
from openkyc.business.registry import LocalBusinessRegistry, import_jsonl
from openkyc.crypto import (
    SecretBox,
    generate_key,
    prepend_key_file,
    read_key_file,
    token_key_id,
)
from openkyc.crypto_rotation import CLEAR_BINARY_COLUMNS, ENCRYPTED_COLUMNS, rotate
from openkyc.db import transaction
from openkyc.management.service import issue_credential, lookup_credential
from openkyc.models import Base
from openkyc.partners import service as partners
from openkyc.partners.models import ApiKey
from openkyc.ratelimit.service import digest_key
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment
from openkyc.storage import LocalBlobStore
from openkyc.users import service as users
from tests.server import make_partner, make_runtime

BUSINESS = {
    "country": "NG",
    "id_type": "BUSINESS_REGISTRATION",
    "id_number": "RC123456",
    "business_type": "co",
    "company_information": {"legal_name": "QUILLFEATHER HOLDINGS LIMITED", "registration_number": "RC123456"},
    "directors": [{"name": "ZEBEDEE MARCHBANKS"}],
}


def test_every_binary_column_is_rotated() -> None:
    rotated = {(model.__tablename__, name) for model, names in ENCRYPTED_COLUMNS for name in names}
    clear = {(model.__tablename__, name) for model, names in CLEAR_BINARY_COLUMNS for name in names}
    assert not rotated & clear
    binary = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, LargeBinary)
    }
    assert binary == rotated | clear


def _populate(runtime: Runtime, tmp_path: Path) -> dict[str, str]:
    creds = make_partner(runtime)
    with transaction(runtime.sessions) as session:
        credential = issue_credential(
            db_session=session, box=runtime.box, partner_id=creds.partner_id, environment=Environment.SANDBOX
        )
        users.enrol(
            db_session=session,
            box=runtime.box,
            partner_id=creds.partner_id,
            environment="sandbox",
            user_id="u1",
            embedding=np.linspace(-0.3, 0.3, 128),
            selfie_blob="users/x/0000000001/selfie",
            smile_job_id="0000000001",
        )
        # One key as an installation from before envelope encryption stored it (a Fernet token).
        legacy = session.scalars(select(ApiKey).where(ApiKey.partner_id == creds.partner_id)).first()
        assert legacy is not None
        (original,) = read_key_file(runtime.settings.master_key_file)
        legacy_secret = runtime.box.decrypt_text(legacy.secret_encrypted)
        legacy.secret_encrypted = Fernet(original.encode()).encrypt(legacy_secret.encode())
    csv = tmp_path / "records.csv"
    csv.write_text(
        "country,id_type,id_number,full_name,dob,gender,photo\nKE,NATIONAL_ID,12345678,Ada Byron,1815-12-10,F,\n",
        encoding="utf-8",
    )
    import_csv(runtime, csv)
    businesses = tmp_path / "businesses.jsonl"
    businesses.write_text(json.dumps(BUSINESS) + "\n", encoding="utf-8")
    import_jsonl(runtime, businesses)
    runtime.blobs.put("users/x/0000000001/selfie", b"\xff\xd8 the enrolled face")
    runtime.blobs.put("jobs/0000000001/selfie", b"\xff\xd8 a job selfie")
    runtime.blobs.put("jobs/0000000001/liveness/0", b"\xff\xd8 a frame")
    return {"partner_id": creds.partner_id, "management_key": credential.api_key, "secret": legacy_secret}


def _tokens(runtime: Runtime) -> list[bytes]:
    found: list[bytes] = []
    with transaction(runtime.sessions) as session:
        for model, names in ENCRYPTED_COLUMNS:
            for name in names:
                found.extend(t for t in session.scalars(select(getattr(model, name))) if t is not None)
    return found


def _blob_tokens(runtime: Runtime) -> dict[str, bytes]:
    assert isinstance(runtime.blobs, LocalBlobStore)
    return {key: (runtime.blobs.root / key).read_bytes() for key in runtime.blobs.keys("")}


def test_rotation_reencrypts_everything_and_lookups_survive(tmp_path: Path) -> None:
    before = make_runtime(tmp_path)
    ids = _populate(before, tmp_path)
    path = before.settings.master_key_file
    link_key, rate_key = before.box.derive_key(b"openkyc image links v1"), digest_key(before.box)
    # Two rotations: original -> middle -> newest; the middle key is then dropped.
    prepend_key_file(path, generate_key())
    middle = make_runtime(tmp_path)
    assert rotate(middle, actor=audit.operator()).values == 7  # 2 API keys, 2+1+1+1 others
    (_middle, original) = read_key_file(path)
    newest = generate_key()
    prepend_key_file(path, newest)
    after = make_runtime(tmp_path)
    report = rotate(after, actor=audit.operator())
    assert (report.values, report.values_current, report.blobs, report.blobs_skipped) == (7, 0, 3, 0)
    assert report.key_id == after.box.key_id.hex()
    assert all(token_key_id(token) == after.box.key_id for token in _tokens(after))
    assert all(token_key_id(token) == after.box.key_id for token in _blob_tokens(after).values())

    path.write_text(f"{newest}\n{original}\n", encoding="utf-8")  # the middle key is gone
    pruned = make_runtime(tmp_path)
    assert pruned.blobs.get("jobs/0000000001/liveness/0") == b"\xff\xd8 a frame"
    with transaction(pruned.sessions) as session:
        keys = partners.usable_keys(db_session=session, box=pruned.box, partner_id=ids["partner_id"])
        assert ids["secret"] in {key.secret for key in keys}
        assert lookup_credential(db_session=session, box=pruned.box, api_key=ids["management_key"])
        user = users.find_user(
            db_session=session, partner_id=ids["partner_id"], environment="sandbox", user_id="u1"
        )
        assert user is not None
        assert np.allclose(users.enrolled_embedding(box=pruned.box, user=user), np.linspace(-0.3, 0.3, 128))
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "encryption.rotated")).all()
        assert [event.target_id for event in events][-1] == report.key_id
    # The trap: look-ups keyed by HMACs of ID numbers still find what was imported before.
    record = RegistryAuthority(pruned).lookup(
        LookupRequest(country="KE", id_type="NATIONAL_ID", id_number="12345678")
    )
    assert record.full_name == "Ada Byron"
    company = LocalBusinessRegistry(pruned).lookup(
        BusinessLookup(country="NG", id_type="BUSINESS_REGISTRATION", id_number="RC123456")
    )
    assert company.company.legal_name == "QUILLFEATHER HOLDINGS LIMITED"
    assert pruned.box.derive_key(b"openkyc image links v1") == link_key
    assert digest_key(pruned.box) == rate_key


def test_a_second_run_skips_what_is_already_under_the_newest_key(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path)
    _populate(runtime, tmp_path)
    first = rotate(runtime, actor=audit.operator())
    assert (first.values, first.values_current) == (1, 6)  # only the legacy Fernet value was old
    tokens = _tokens(runtime)
    second = rotate(runtime, actor=audit.operator())
    assert (second.values, second.values_current) == (0, 7)
    assert _tokens(runtime) == tokens  # untouched, not re-encrypted


def test_direct_uploads_are_left_as_sent(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path)
    raw = runtime.blobs.root / "uploads" / "0000000009.zip"  # type: ignore[attr-defined]
    raw.parent.mkdir(parents=True)
    raw.write_bytes(b"PK a partner's zip")
    report = rotate(runtime, actor=audit.operator())
    assert (report.blobs, report.blobs_skipped) == (0, 1)
    assert raw.read_bytes() == b"PK a partner's zip"


def test_what_no_key_decrypts_is_counted_and_left_alone(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path)
    make_partner(runtime)
    foreign = SecretBox([generate_key()]).encrypt(b"from another installation")
    with transaction(runtime.sessions) as session:
        key = session.scalars(select(ApiKey)).first()
        assert key is not None
        key.secret_encrypted = foreign
    stray = runtime.blobs.root / "jobs" / "0000000002" / "selfie"  # type: ignore[attr-defined]
    stray.parent.mkdir(parents=True)
    stray.write_bytes(foreign)
    report = rotate(runtime, actor=audit.operator())
    assert (report.failed, report.values_current) == (2, 1)
    assert stray.read_bytes() == foreign
