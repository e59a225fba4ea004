"""The data directory is private: files 0600, directories 0700, whatever the umask was."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from openkyc.cli import app as cli_app
from openkyc.config import Settings
from openkyc.runtime import build_runtime, sqlite_files


@pytest.fixture
def lax_umask() -> Iterator[None]:
    """The usual 022 umask, as a service manager or a shell leaves it; restored afterwards."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sqlite_files_are_private(tmp_path: Path, lax_umask: None) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    runtime = build_runtime(settings)
    runtime.blobs.put("jobs/0000000001/selfie", b"face")
    with runtime.engine.connect() as connection:  # an open connection keeps -wal and -shm around
        connection.execute(text("SELECT count(*) FROM jobs"))
        database, wal, shm = sqlite_files(settings.resolved_database_url)[:3]
        for path in (database, wal, shm, settings.master_key_file):
            assert mode(path) == 0o600, path
        for directory in (settings.data_dir, settings.blob_dir, settings.blob_dir / "jobs"):
            assert mode(directory) == 0o700, directory
        assert mode(settings.blob_dir / "jobs" / "0000000001" / "selfie") == 0o600
    runtime.engine.dispose()


def test_existing_world_readable_data_files_are_made_private(tmp_path: Path, lax_umask: None) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    build_runtime(settings).engine.dispose()
    database = sqlite_files(settings.resolved_database_url)[0]
    wal = database.with_name(database.name + "-wal")
    wal.touch()
    # As an installation made before the umask was set left them.
    for path in (database, wal, settings.master_key_file):
        path.chmod(0o644)
    for directory in (settings.data_dir, settings.blob_dir):
        directory.chmod(0o755)
    unrelated = settings.data_dir / "README.txt"  # not ours: left alone
    unrelated.write_text("notes")
    unrelated.chmod(0o644)

    runtime = build_runtime(settings)
    assert [mode(path) for path in (database, wal, settings.master_key_file)] == [0o600] * 3
    assert [mode(path) for path in (settings.data_dir, settings.blob_dir)] == [0o700] * 2
    assert mode(unrelated) == 0o644
    runtime.engine.dispose()


def test_db_upgrade_creates_a_private_database(tmp_path: Path, lax_umask: None) -> None:
    data_dir = tmp_path / "fresh"
    result = CliRunner().invoke(cli_app, ["db", "upgrade", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert mode(data_dir) == 0o700 and mode(data_dir / "openkyc.db") == 0o600


def test_sqlite_files_of_a_server_database_are_none() -> None:
    assert sqlite_files("postgresql+psycopg://postgres@127.0.0.1/openkyc") == []
    assert sqlite_files("sqlite://") == []
