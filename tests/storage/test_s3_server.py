"""The test S3 server is reachable from other processes, as the scaled-mode end-to-end tests need."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from openkyc.storage import make_s3_client
from testkit.s3 import REGION, s3_environment

from .conftest import BUCKET

# A separate openkyc process: builds its store from OPENKYC_* settings alone, writes and reads a blob.
CHILD = """
from openkyc.config import Settings
from openkyc.crypto import SecretBox
from cryptography.fernet import Fernet
from openkyc.storage import build_blob_store
store = build_blob_store(Settings(), SecretBox([Fernet.generate_key()]))
store.check()
store.put("jobs/child/selfie", b"from the child")
print(store.get("jobs/child/selfie").decode(), sorted(store.keys("jobs/")))
"""


def test_another_process_uses_the_in_process_server(s3_endpoint: str) -> None:
    env = {**os.environ, **s3_environment(s3_endpoint, BUCKET, "child-process")}
    result = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "from the child ['jobs/child/selfie']"


def test_the_server_runs_as_its_own_process() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "testkit.s3", "--bucket", "own-process"],
        # The test kit is not installed: ``-m`` finds it from the repository root.
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        endpoint = server.stdout.readline().strip()
        assert endpoint.startswith("http://127.0.0.1:")
        client = make_s3_client(endpoint, REGION)
        client.head_bucket(Bucket="own-process")
        assert client.list_objects_v2(Bucket="own-process")["KeyCount"] == 0
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if server.stdout is not None:
            server.stdout.close()
