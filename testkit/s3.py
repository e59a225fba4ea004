"""An S3-compatible server on loopback (moto) for tests and demos of the scaled-out mode.

Needs the ``dev`` extra (``moto[server]``). In-process::

    endpoint, stop = start_s3_server(buckets=["openkyc-test"])
    env = {**os.environ, **s3_environment(endpoint, "openkyc-test", "blobs")}
    ...  # start API and worker processes with env; they reach the server over TCP
    stop()

Or as its own process, which prints the endpoint URL on its first stdout line and serves until
SIGTERM or Ctrl-C::

    python -m testkit.s3 --bucket openkyc-test [--port 9000]

The server checks neither signatures nor the expiry of presigned URLs, and keeps its objects in
memory: each start is empty.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from types import FrameType

import boto3
from botocore.config import Config

REGION = "us-east-1"
# Dummy credentials (moto accepts any); the config files are pointed away so that a developer's
# own AWS profile can neither break nor leak into a test.
TEST_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "openkyc-test",
    "AWS_SECRET_ACCESS_KEY": "openkyc-test-secret",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": "/nonexistent/openkyc-test/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/openkyc-test/aws-credentials",
}


def start_s3_server(
    *, buckets: Sequence[str] = (), host: str = "127.0.0.1", port: int = 0
) -> tuple[str, Callable[[], None]]:
    """Start a server thread on ``host:port`` (0: a free port) with ``buckets``; (endpoint URL, stop)."""
    # Imported here: moto is a dev dependency, only needed once a server starts.
    from moto.server import ThreadedMotoServer

    # Werkzeug would log every request to stderr.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    endpoint = f"http://{bound_host}:{bound_port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=TEST_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=TEST_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        config=Config(s3={"addressing_style": "path"}),
    )
    for bucket in buckets:
        client.create_bucket(Bucket=bucket)
    return endpoint, server.stop


def s3_environment(endpoint_url: str, bucket: str, prefix: str = "") -> dict[str, str]:
    """Environment variables pointing an openkyc process (API or worker) at the test server."""
    storage_url = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
    return {
        **TEST_ENVIRONMENT,
        "OPENKYC_STORAGE_URL": storage_url,
        "OPENKYC_S3_ENDPOINT_URL": endpoint_url,
        "OPENKYC_S3_REGION": REGION,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until SIGTERM or Ctrl-C, after printing the endpoint URL."""
    parser = argparse.ArgumentParser(prog="python -m testkit.s3", description="An S3-compatible test server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port (default)")
    parser.add_argument("--bucket", action="append", default=[], help="a bucket to create (repeatable)")
    args = parser.parse_args(argv)
    endpoint, stop = start_s3_server(buckets=args.bucket, host=args.host, port=args.port)
    done = threading.Event()

    def finish(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    print(endpoint, flush=True)
    done.wait()
    stop()


if __name__ == "__main__":
    main()
