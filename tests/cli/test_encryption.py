"""`openkyc encryption rotate`: with a key file, and with keys in OPENKYC_SECRET_KEY."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from openkyc.cli import app
from openkyc.crypto import read_key_file, token_key_id
from openkyc.db import transaction
from openkyc.partners.models import ApiKey
from openkyc.runtime import Runtime
from tests.server import make_partner, make_runtime

runner = CliRunner()


@pytest.fixture(autouse=True)
def no_key_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENKYC_MASTER_KEY", raising=False)
    monkeypatch.delenv("OPENKYC_SECRET_KEY", raising=False)


def _key_ids(runtime: Runtime) -> set[bytes | None]:
    with transaction(runtime.sessions) as session:
        return {token_key_id(token) for token in session.scalars(select(ApiKey.secret_encrypted))}


def test_rotate_with_a_key_file(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path)
    make_partner(runtime)
    runtime.blobs.put("jobs/0000000001/selfie", b"\xff\xd8 face")
    data_dir = str(runtime.settings.data_dir)

    result = runner.invoke(app, ["encryption", "rotate", "--data-dir", data_dir])

    assert result.exit_code == 0, result.output
    keyring = read_key_file(runtime.settings.master_key_file)
    assert len(keyring) == 2
    rotated = make_runtime(tmp_path)
    assert rotated.box.key_id != runtime.box.key_id
    assert f"key {rotated.box.key_id.hex()}: 2 values re-encrypted (0 already)" in result.output
    assert "1 blobs re-encrypted" in result.output
    assert _key_ids(rotated) == {rotated.box.key_id}
    again = runner.invoke(app, ["encryption", "rotate", "--data-dir", data_dir, "--rewrap-only"])
    assert again.exit_code == 0 and "0 values re-encrypted (2 already)" in again.output
    assert len(read_key_file(runtime.settings.master_key_file)) == 2


def test_rotate_with_keys_in_the_environment(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path, secret_key="the first passphrase")
    make_partner(runtime)
    data_dir = str(runtime.settings.data_dir)
    env = {"OPENKYC_SECRET_KEY": "the first passphrase"}

    printed = runner.invoke(app, ["encryption", "rotate", "--data-dir", data_dir], env=env)

    assert printed.exit_code == 0, printed.output
    new_key = printed.output.split("new key: ")[1].split()[0]
    assert "--rewrap-only" in printed.output
    assert _key_ids(runtime) == {runtime.box.key_id}  # nothing re-encrypted yet
    assert not runtime.settings.master_key_file.exists()

    env = {"OPENKYC_SECRET_KEY": f"{new_key},the first passphrase"}
    rewrapped = runner.invoke(app, ["encryption", "rotate", "--data-dir", data_dir, "--rewrap-only"], env=env)

    assert rewrapped.exit_code == 0, rewrapped.output
    rotated = make_runtime(tmp_path, secret_key=env["OPENKYC_SECRET_KEY"])
    assert "2 values re-encrypted" in rewrapped.output
    assert _key_ids(rotated) == {rotated.box.key_id} != {runtime.box.key_id}
