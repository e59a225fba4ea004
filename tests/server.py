"""Helpers for tests of the API server: a runtime in a temporary data dir and signed bodies."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from smile_id_core.image_upload import generate_zip_file
from smile_id_core.Signature import Signature

from openkyc.app import create_app
from openkyc.config import Settings
from openkyc.db import make_engine, transaction, upgrade_schema
from openkyc.jobs import service
from openkyc.jobs.flows import process_job
from openkyc.partners import service as partners
from openkyc.runtime import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, Runtime, build_runtime
from openkyc.signing.environment import Environment


@dataclass(frozen=True)
class PartnerCreds:
    partner_id: str
    sandbox_key: str
    production_key: str

    def signed(self, key: str | None = None, **fields: Any) -> dict[str, Any]:
        """``fields`` plus partner_id, timestamp and signature made by the official SDK."""
        signature = Signature(self.partner_id, key or self.sandbox_key).generate_signature()
        return {"partner_id": self.partner_id, **signature, **fields}


@functools.cache
def migrated_template() -> bytes:
    """An embedded (SQLite) database migrated to head, once per test process, as its file's bytes.

    Running every migration for each test's fresh data dir cost 40-240 ms a runtime; a copy of
    this file is found at head, so build_runtime's upgrade has nothing to do. The migrations
    themselves still run for real in tests/test_db.py and wherever a test builds its runtime
    without :func:`make_runtime` (tests/test_runtime.py, the CLI and server tests).
    """
    directory = Path(tempfile.mkdtemp(prefix="openkyc-template-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    database = directory / "openkyc.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade_schema(engine)
    with engine.connect() as connection:
        # Everything into the main file, so the bytes alone are the whole database.
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return database.read_bytes()


def seed_migrated_database(settings: Settings) -> None:
    """Put a copy of :func:`migrated_template` where ``settings``' embedded database will be.

    Only for the default SQLite database of a data dir that has none yet (a second runtime on the
    same data dir keeps its data; a server database is migrated as usual). The copy is made 0600
    and the data dir 0700 whatever the umask: the data files stay private, as build_runtime's own.
    """
    if settings.database_url:
        return
    database = settings.data_dir / "openkyc.db"
    if database.exists():
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    descriptor = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(migrated_template())


def make_runtime(tmp_path: Path, **overrides: Any) -> Runtime:
    """A runtime on ``tmp_path / "data"``, its embedded database copied from the migrated template."""
    settings = Settings(data_dir=tmp_path / "data", allow_private_callbacks=True, **overrides)
    seed_migrated_database(settings)
    return build_runtime(settings)


def make_partner(runtime: Runtime, name: str = "Test partner") -> PartnerCreds:
    with transaction(runtime.sessions) as session:
        partner, keys = partners.create_partner(db_session=session, box=runtime.box, name=name)
    return PartnerCreds(partner.id, keys[Environment.SANDBOX].api_key, keys[Environment.PRODUCTION].api_key)


@dataclass(frozen=True)
class Upload:
    """A job's prep-upload answer and the answer to its zip's PUT."""

    smile_job_id: str
    put_status: int
    put_body: Any


def upload_job(
    runtime: Runtime,
    partner: PartnerCreds,
    selfie: Path,
    params: dict[str, Any],
    *,
    id_card: Path | None = None,
    id_info: dict[str, Any] | None = None,
    key: str | None = None,
) -> Upload:
    """Prep-upload and PUT a selfie job's zip the way the Python SDK does (nothing processed).

    ``id_card`` and ``id_info`` go into the zip as the SDK puts them; ``key`` signs (the sandbox
    key by default).
    """
    signature = Signature(partner.partner_id, key or partner.sandbox_key).generate_signature()
    with TestClient(create_app(runtime)) as client:
        prep = client.post(
            "/v1/upload",
            json={
                "smile_client_id": partner.partner_id,
                "partner_params": params,
                "callback_url": "http://127.0.0.1:9/cb",
                **signature,
            },
        ).json()
        payload = generate_zip_file(
            partner_id=partner.partner_id,
            callback_url="http://127.0.0.1:9/cb",
            upload_url=prep["upload_url"],
            partner_params=params,
            image_params=[
                {"image_type_id": 0, "file_name": str(selfie)},
                *([{"image_type_id": 1, "file_name": str(id_card)}] if id_card else []),
            ],
            id_info_params=id_info or {},
            signature_params=signature,
        )
        put = client.put(prep["upload_url"].removeprefix("http://testserver"), content=bytes(payload))
    return Upload(prep["smile_job_id"], put.status_code, put.json() if put.content else None)


def submit_and_process(
    runtime: Runtime,
    partner: PartnerCreds,
    selfie: Path,
    job_id: str,
    *,
    job_type: int = 4,
    user_id: str | None = None,
    before_processing: Callable[[], None] | None = None,
    id_card: Path | None = None,
    id_info: dict[str, Any] | None = None,
    key: str | None = None,
    **extra: Any,
) -> str:
    """Upload a selfie job's zip (:func:`upload_job`), then run the worker step on it."""
    params = {"user_id": user_id or f"user-{job_id}", "job_id": job_id, "job_type": job_type, **extra}
    upload = upload_job(runtime, partner, selfie, params, id_card=id_card, id_info=id_info, key=key)
    assert upload.put_status == 200, upload.put_body
    if before_processing is not None:
        before_processing()
    with transaction(runtime.sessions) as session:
        claimed = service.claim_next_queued(db_session=session)
    assert claimed == upload.smile_job_id
    process_job(runtime, claimed)
    return claimed
