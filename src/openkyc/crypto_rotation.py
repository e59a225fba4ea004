"""Re-encrypting every stored secret and blob under the newest key (``openkyc encryption rotate``).

Restartable: a database value whose token already names the newest KEK is skipped without being
decrypted. Sealed JSON values (job results, their history, partner_params, callback payloads; see
``openkyc.sealed``) are re-sealed the same way, and those still in clear from before sealing
existed are sealed. Blobs are re-encrypted each run (the blob store offers no read of the raw token to
tell). Direct uploads under ``uploads/`` are the partner's zips as sent, not ours to re-encrypt.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, inspect, select, update
from sqlalchemy.orm import Session

from openkyc import audit
from openkyc.aml.models import MonitoredSubject
from openkyc.authorities.models import RegistryRecord
from openkyc.business.models import BusinessRegistryRecord
from openkyc.callbacks.models import CallbackDelivery
from openkyc.crypto import DecryptionError
from openkyc.db import Base, rows_matched, transaction
from openkyc.jobs.models import Job
from openkyc.links.models import SmileLink
from openkyc.management.models import ManagementCredential
from openkyc.partners.models import ApiKey
from openkyc.portal.models import PortalInvitation, PortalUser
from openkyc.runtime import Runtime
from openkyc.sealed import SealedJSON
from openkyc.storage import UPLOADS_PREFIX, BlobNotFound
from openkyc.users.fraud_models import FraudFlag, FraudReport
from openkyc.users.models import EnrolledUser

# Every column holding a SecretBox token (tests check no LargeBinary column is missing here).
ENCRYPTED_COLUMNS: tuple[tuple[type[Base], tuple[str, ...]], ...] = (
    (ApiKey, ("secret_encrypted",)),
    (ManagementCredential, ("secret_encrypted", "auth_token_encrypted")),
    (EnrolledUser, ("embedding_encrypted",)),
    (RegistryRecord, ("record_encrypted",)),
    (BusinessRegistryRecord, ("record_encrypted",)),
    (PortalUser, ("email_encrypted", "totp_secret_encrypted")),
    (PortalInvitation, ("email_encrypted",)),
    (FraudFlag, ("face_encrypted",)),
)
# Binary columns that hold nothing secret, so nothing encrypted (tests check every other one is
# listed above): a verification link's logo, which anyone opening the link is shown.
CLEAR_BINARY_COLUMNS: tuple[tuple[type[Base], tuple[str, ...]], ...] = ((SmileLink, ("logo_png",)),)
# Every SealedJSON column (tests check none is missing here).
SEALED_COLUMNS: tuple[tuple[type[Base], tuple[str, ...]], ...] = (
    (Job, ("partner_params", "result", "history", "v3_request")),
    (CallbackDelivery, ("payload",)),
    (SmileLink, ("partner_params",)),
    (MonitoredSubject, ("subject", "last_screening")),
    (FraudReport, ("details",)),
)
BATCH = 200


@dataclass(frozen=True)
class RotationReport:
    key_id: str  # hex id of the KEK everything is now under
    values: int  # database values re-encrypted
    values_current: int  # database values already under that KEK (skipped)
    blobs: int  # blobs re-encrypted
    blobs_skipped: int  # direct uploads, and blobs deleted while the rotation ran
    # Values and blobs no key of the keyring decrypts (a key missing from it?): left as they are.
    failed: int = 0


@dataclass
class _Counts:
    done: int = 0
    current: int = 0
    failed: int = 0


def _batches(runtime: Runtime, key: Any, selected: Sequence[Any]) -> Iterator[tuple[Session, Sequence[Any]]]:
    """Rows of (key, *selected) in key order, BATCH at a time, each batch in its own transaction
    (a long rotation holds no lock for long, and a restart resumes where it stopped)."""
    last: object = None
    while True:
        with transaction(runtime.sessions) as session:
            query = select(key, *selected).order_by(key).limit(BATCH)
            if last is not None:
                query = query.where(key > last)
            rows = session.execute(query).all()
            yield session, rows
        if len(rows) < BATCH:
            return
        last = rows[-1][0]


def _compare_and_set(
    session: Session,
    model: type[Base],
    key: Any,
    row_key: object,
    stored: Any,
    old: object,
    name: str,
    new: object,
) -> int:
    """Write ``new`` into ``name`` only if ``stored`` still reads ``old``: a value the application
    changed meanwhile is left alone (it was written under a key this run or the next one handles)."""
    changed = session.execute(
        update(model)
        .where(key == row_key, stored == old)
        .values({name: new})
        .execution_options(synchronize_session=False)
    )
    return rows_matched(changed)


def _rewrap_table(runtime: Runtime, model: type[Base], names: tuple[str, ...], counts: _Counts) -> None:
    box = runtime.box
    key = inspect(model).primary_key[0]
    columns = [getattr(model, name) for name in names]
    for session, rows in _batches(runtime, key, columns):
        for row in rows:
            for name, column, token in zip(names, columns, row[1:], strict=True):
                if token is None:
                    continue
                if box.is_current(token):
                    counts.current += 1
                    continue
                try:
                    fresh = box.encrypt(box.decrypt(token))
                except DecryptionError:
                    counts.failed += 1
                    continue
                counts.done += _compare_and_set(session, model, key, row[0], column, token, name, fresh)


def _reseal_table(runtime: Runtime, model: type[Base], names: tuple[str, ...], counts: _Counts) -> None:
    box = runtime.box
    key = inspect(model).primary_key[0]
    columns = [getattr(model, name) for name in names]
    # The stored text, not what the column type makes of it: the tokens' key ids are read from
    # it, and it is the compare-and-set value (JSON itself has no equality on PostgreSQL).
    stored_texts = [cast(column, Text) for column in columns]
    for session, rows in _batches(runtime, key, stored_texts):
        for row in rows:
            for name, column, stored_text, text in zip(names, columns, stored_texts, row[1:], strict=True):
                if text is None:
                    continue
                sealed_type = column.type
                if not isinstance(sealed_type, SealedJSON):
                    raise TypeError(f"{name} is not a sealed column")
                stored = json.loads(text)
                if not sealed_type.is_stale(box, stored):
                    counts.current += any(token is not None for token in sealed_type.tokens(stored))
                    continue
                try:
                    value = sealed_type.unseal_value(box, stored)
                except DecryptionError:
                    counts.failed += 1
                    continue
                # Written through the column type: sealed again, under the newest KEK.
                counts.done += _compare_and_set(session, model, key, row[0], stored_text, text, name, value)


def rewrap_database(runtime: Runtime) -> tuple[int, int, int]:
    """Re-encrypt every encrypted column under the newest KEK: (re-encrypted, current, failed)."""
    counts = _Counts()
    for model, names in ENCRYPTED_COLUMNS:
        _rewrap_table(runtime, model, names, counts)
    for model, names in SEALED_COLUMNS:
        _reseal_table(runtime, model, names, counts)
    return counts.done, counts.current, counts.failed


def rewrap_blobs(runtime: Runtime) -> tuple[int, int, int]:
    """Re-encrypt every blob under the newest KEK: (re-encrypted, skipped, failed)."""
    done = skipped = failed = 0
    for key in runtime.blobs.keys(""):  # every blob (keys() of a store, not of a dict)
        if key.startswith(UPLOADS_PREFIX):
            skipped += 1
            continue
        try:
            data = runtime.blobs.get(key)
        except BlobNotFound:  # purged while we listed
            skipped += 1
            continue
        except DecryptionError:
            failed += 1
            continue
        # A purge deleting this blob right now could see it written back, and its job, marked
        # purged, would not be looked at again: rotate while no purge or user deletion runs.
        runtime.blobs.put(key, data)
        done += 1
    return done, skipped, failed


def rotate(runtime: Runtime, *, actor: audit.Actor) -> RotationReport:
    """Re-encrypt the database values and blobs under the runtime's newest key; audited."""
    values, values_current, values_failed = rewrap_database(runtime)
    blobs, blobs_skipped, blobs_failed = rewrap_blobs(runtime)
    report = RotationReport(
        runtime.box.key_id.hex(), values, values_current, blobs, blobs_skipped, values_failed + blobs_failed
    )
    with transaction(runtime.sessions) as session:
        audit.record(
            session,
            actor=actor,
            action="encryption.rotated",
            target_type="keyring",
            target_id=report.key_id,
            detail={"values": values, "blobs": blobs, "failed": report.failed},
        )
    return report
