from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from openkyc.callbacks.client import (
    PRIVATE_HINT,
    SSRF_POLICY,
    CallbackRefused,
    is_public_address,
    post_json,
    receiving_host,
    refusal_without_dns,
    resolve_public_address,
)


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[Any]]]:
    got: list[Any] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(
                (self.headers.get("Host"), json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            )
            self.send_response(200 if self.path == "/ok" else 500)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}", got
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/cb",
        "http://localhost:8080/cb",
        "http://10.0.0.5/cb",
        "http://169.254.169.254/latest/meta-data",  # cloud metadata
        "http://[::1]/cb",
        "http://192.168.1.1/cb",
    ],
)
def test_private_and_loopback_addresses_are_refused(url: str) -> None:
    with pytest.raises(CallbackRefused):
        resolve_public_address(url, allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::7f00:1]/cb",  # NAT64 (well-known prefix) of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",  # NAT64 of 169.254.169.254
        "http://[64:ff9b:1:7f00:0:100::]/cb",  # local-use NAT64 /48 of 127.0.0.1
        "http://[64:ff9b:1::7f00:1]/cb",  # local-use NAT64 /96 of 127.0.0.1
    ],
)
def test_nat64_loopback_callback_refused(url: str) -> None:
    with pytest.raises(CallbackRefused):
        resolve_public_address(url, allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://[2002:7f00:1::1]/cb",  # 6to4 of 127.0.0.1
        "http://[2002:a00:5::1]/cb",  # 6to4 of 10.0.0.5
        "http://[::127.0.0.1]/cb",  # IPv4-compatible
        "http://[::a00:5]/cb",
        "http://[::ffff:127.0.0.1]/cb",  # IPv4-mapped
        "http://[::ffff:c0a8:101]/cb",
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/cb",  # Teredo, client 127.0.0.1
    ],
)
def test_ipv6_forms_embedding_a_private_ipv4_are_refused(url: str) -> None:
    with pytest.raises(CallbackRefused):
        resolve_public_address(url, allow_private=False)


@pytest.mark.parametrize(
    "address", ["64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "2001:4860:4860::8888", "8.8.8.8"]
)
def test_ipv6_forms_embedding_a_public_ipv4_stay_deliverable(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url", ["ftp://example.com/cb", "file:///etc/passwd", "http://user:pw@example.com/cb", "http:///nohost"]
)
def test_non_http_urls_and_credentials_are_refused(url: str) -> None:
    with pytest.raises(CallbackRefused):
        resolve_public_address(url, allow_private=True)


def test_refused_url_is_a_failed_delivery_not_an_exception() -> None:
    outcome = post_json("http://127.0.0.1:1/cb", {"a": 1}, allow_private=False, timeout_s=1)
    assert not outcome.delivered
    assert outcome.error == f"{SSRF_POLICY}: loopback address 127.0.0.1"
    assert outcome.hint == PRIVATE_HINT and "OPENKYC_ALLOW_PRIVATE_CALLBACKS" in outcome.hint


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8080/cb?token=abc", "loopback address 127.0.0.1"),
        ("http://localhost:8080/cb", "loopback address (localhost)"),
        ("http://receiver.localhost/cb", "loopback address (receiver.localhost)"),
        ("http://[::1]/cb", "loopback address ::1"),
        ("http://10.0.0.5/cb", "private address 10.0.0.5"),
        ("http://192.168.1.20:3000/cb", "private address 192.168.1.20"),
        ("http://169.254.169.254/latest/meta-data", "link-local address 169.254.169.254"),
        ("http://[::ffff:127.0.0.1]/cb", "loopback (embedded IPv4 127.0.0.1) address ::ffff:7f00:1"),
        ("http://[2002:a00:5::1]/cb", "private (embedded IPv4 10.0.0.5) address 2002:a00:5::1"),
    ],
)
def test_a_private_target_is_judged_without_dns_with_its_kind(url: str, reason: str) -> None:
    refusal = refusal_without_dns(url)
    assert refusal is not None and refusal.reason == f"{SSRF_POLICY}: {reason}"
    assert refusal.hint == PRIVATE_HINT  # the setting would lift it
    assert "token" not in refusal.reason and "/cb" not in refusal.reason
    with pytest.raises(CallbackRefused):  # and delivery refuses it too (or finds no address)
        resolve_public_address(url, allow_private=False)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/cb", "not an http(s) URL with a host"),
        ("http://user:pw@example.com/cb", "credentials in the URL"),
        ("http://example.com:port/cb", "the URL's port is not a number"),
    ],
)
def test_urls_the_policy_refuses_whatever_the_setting(url: str, reason: str) -> None:
    refusal = refusal_without_dns(url)
    assert refusal is not None and refusal.reason == f"{SSRF_POLICY}: {reason}" and refusal.hint is None
    outcome = post_json(url, {}, allow_private=True, timeout_s=1)
    assert not outcome.delivered and outcome.error == refusal.reason
    assert "pw" not in refusal.reason and "/cb" not in refusal.reason


@pytest.mark.parametrize(
    "url", ["https://receiver.example.com/cb", "http://8.8.8.8/cb", "http://[2001:4860::1]/"]
)
def test_a_public_or_unresolved_target_is_left_to_delivery(url: str) -> None:
    assert refusal_without_dns(url) is None


def test_the_receiving_host_is_all_a_log_line_gets_of_the_url() -> None:
    assert (
        receiving_host("https://user:secret@Hooks.Example.com:8443/p/Abc?token=xyz#f") == "hooks.example.com"
    )
    assert receiving_host("not a url") == "?"


def test_an_unresolvable_host_is_a_dns_failure() -> None:
    outcome = post_json("http://receiver.invalid/cb", {}, allow_private=False, timeout_s=2)
    assert not outcome.delivered and outcome.error is not None
    assert outcome.error.startswith("DNS failure: receiver.invalid does not resolve")


def test_delivery_goes_to_the_resolved_address_with_the_original_host(
    receiver: tuple[str, list[Any]],
) -> None:
    base, got = receiver
    outcome = post_json(f"{base}/ok", {"ResultCode": "0810"}, allow_private=True, timeout_s=5)
    assert outcome.delivered and outcome.status_code == 200
    host, body = got[0]
    assert host == base.removeprefix("http://") and body == {"ResultCode": "0810"}


def test_non_2xx_is_not_delivered(receiver: tuple[str, list[Any]]) -> None:
    base, _ = receiver
    outcome = post_json(f"{base}/fail", {}, allow_private=True, timeout_s=5)
    assert not outcome.delivered and outcome.status_code == 500 and outcome.error == "HTTP 500"


def test_unreachable_receiver_is_a_failed_delivery() -> None:
    outcome = post_json("http://127.0.0.1:1/cb", {}, allow_private=True, timeout_s=2)
    assert not outcome.delivered and outcome.status_code is None
    assert outcome.error == "connection refused"


def test_a_receiver_that_never_answers_is_a_timeout() -> None:
    # A listening socket nobody accepts from: the kernel completes the connection, no answer comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        outcome = post_json(f"http://127.0.0.1:{port}/cb", {}, allow_private=True, timeout_s=0.5)
    assert not outcome.delivered and outcome.error == "timeout waiting for the answer"


@pytest.fixture
def endless_receiver() -> Iterator[str]:
    """Answers 200 at once, then streams its body without end."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b"x" * 65536)
            except OSError:
                pass  # the client hung up, as it should

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cb"
    server.shutdown()
    server.server_close()


def test_an_endless_answer_body_costs_neither_memory_nor_time(endless_receiver: str) -> None:
    """Only the status counts: the body is drained up to a small cap, then the connection closes."""
    outcome = post_json(endless_receiver, {"a": 1}, allow_private=True, timeout_s=5.0)
    assert outcome.delivered and outcome.status_code == 200
    assert outcome.duration_ms < 2000


def test_a_resolver_that_does_not_answer_costs_no_more_than_the_delivery_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()

    def hanging_getaddrinfo(*args: object, **kwargs: object) -> list[tuple[object, ...]]:
        release.wait(30)  # a resolver whose servers never answer
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", hanging_getaddrinfo)
    started = time.perf_counter()
    try:
        outcome = post_json("https://receiver.example/cb", {"a": 1}, allow_private=False, timeout_s=0.5)
    finally:
        release.set()
    assert time.perf_counter() - started < 3
    assert not outcome.delivered and outcome.status_code is None
    assert outcome.error == "DNS failure: receiver.example did not resolve within 0.5 s"
