"""TcpProxy forwards bytes both ways, drops every connection on stop and comes back on its port."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from testkit.tcp_proxy import TcpProxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.request.sendall(data)


@pytest.fixture
def echo_port() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def _roundtrip(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(payload)
        received = b""
        while len(received) < len(payload):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


def _wait_for(condition: object, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.02)
    return False


def test_forwards_both_ways(echo_port: int) -> None:
    with TcpProxy("127.0.0.1", echo_port) as proxy:
        assert proxy.port != echo_port
        payload = bytes(range(256)) * 1000  # larger than one chunk
        assert _roundtrip(proxy.port, payload) == payload


def test_stop_drops_open_connections_and_refuses_new_ones(echo_port: int) -> None:
    proxy = TcpProxy("127.0.0.1", echo_port)
    proxy.start()
    client = socket.create_connection(("127.0.0.1", proxy.port), timeout=3)
    client.sendall(b"ping")
    assert client.recv(4) == b"ping"
    assert _wait_for(lambda: proxy.open_connections == 1)

    proxy.stop()

    assert not proxy.running and proxy.open_connections == 0
    try:
        dropped = client.recv(4) == b""
    except ConnectionResetError:
        dropped = True
    assert dropped
    client.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=3)


def test_restarts_on_the_same_port(echo_port: int) -> None:
    proxy = TcpProxy("127.0.0.1", echo_port)
    proxy.start()
    port = proxy.port
    assert _roundtrip(port, b"before") == b"before"
    proxy.stop()
    proxy.start()
    try:
        assert proxy.port == port
        assert _roundtrip(port, b"after") == b"after"
    finally:
        proxy.stop()


def test_a_target_that_is_down_closes_the_client(echo_port: int) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    with (
        TcpProxy("127.0.0.1", closed_port) as proxy,
        socket.create_connection(("127.0.0.1", proxy.port), timeout=3) as client,
        contextlib.suppress(ConnectionResetError),
    ):
        assert client.recv(1) == b""


def test_port_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        _ = TcpProxy("127.0.0.1", 1).port
