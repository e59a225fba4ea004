"""/healthz answers without dependencies; /readyz checks database, schema, blobs and broker."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from openkyc.app import create_app
from openkyc.observability.readiness import head_revisions, migration_status
from openkyc.runtime import Runtime
from tests.server import make_runtime


def test_healthz_needs_nothing(runtime: Runtime, client: TestClient) -> None:
    runtime.engine.dispose()
    shutil.rmtree(runtime.settings.data_dir)  # database and blobs gone: the process still lives
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_ok(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "blobs": "ok"},
    }


def test_readyz_503_when_migrations_are_behind(runtime: Runtime, client: TestClient) -> None:
    (head,) = head_revisions()
    previous = str(int(head) - 1).zfill(len(head))
    with runtime.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]
    assert response.json()["checks"]["migrations"] == "behind"


def test_migration_status_names_each_case() -> None:
    heads = head_revisions()
    assert migration_status(heads) == "ok"
    assert migration_status(frozenset()) == "not migrated"
    assert migration_status(frozenset({"0001"})) == "behind"
    assert migration_status(frozenset({"9999_from_the_future"})) == "unknown revision"


def test_readyz_503_when_the_database_file_is_unreadable(runtime: Runtime, client: TestClient) -> None:
    database = runtime.settings.data_dir / "openkyc.db"
    runtime.engine.dispose()
    database.unlink()
    database.mkdir()  # sqlite cannot open a directory: every connection fails
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["failing"] == ["database", "migrations"]
    assert body["checks"]["database"].startswith("error: ")


def test_readyz_503_when_the_blob_store_is_gone(runtime: Runtime, client: TestClient) -> None:
    shutil.rmtree(runtime.settings.blob_dir)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["failing"] == ["blobs"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_readyz_checks_the_broker_in_celery_mode(tmp_path: Path) -> None:
    reachable = make_runtime(tmp_path / "a", queue="celery", broker_url="memory://")
    with TestClient(create_app(reachable)) as client:
        response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["checks"]["broker"] == "ok"

    password = "s3cret-broker-password"
    url = f"redis://:{password}@127.0.0.1:{_closed_port()}/0"
    unreachable = make_runtime(tmp_path / "b", queue="celery", broker_url=url)
    with TestClient(create_app(unreachable)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["failing"] == ["broker"]
    assert password not in response.text


def test_readyz_without_celery_does_not_check_a_broker(client: TestClient) -> None:
    assert "broker" not in client.get("/readyz").json()["checks"]
