"""Posting a callback without letting a partner's URL reach our own network (SSRF).

The host is resolved once; every address must be public unless private delivery is allowed;
the request then goes to that exact address (no second DNS look-up an attacker could rebind),
with the original Host header and TLS server name, and redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx


class CallbackRefused(Exception):
    """The URL may not be called (scheme, address range, credentials in the URL...)."""


@dataclass(frozen=True)
class DeliveryOutcome:
    delivered: bool
    status_code: int | None
    error: str | None
    duration_ms: float


def resolve_public_address(url: str, *, allow_private: bool) -> tuple[str, str, int, str]:
    """(scheme, host, port, ip) for ``url``, refusing non-HTTP schemes and non-public addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackRefused("callback URLs must be http(s) URLs with a host")
    if parts.username or parts.password:
        raise CallbackRefused("callback URLs must not carry credentials")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise CallbackRefused(f"callback host does not resolve ({error.strerror})") from error
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not allow_private:
        for address in addresses:
            if not address.is_global or address.is_multicast:
                raise CallbackRefused("callback host resolves to a private, loopback or reserved address")
    return parts.scheme, parts.hostname, port, str(addresses[0])


def post_json(url: str, body: dict[str, Any], *, allow_private: bool, timeout_s: float) -> DeliveryOutcome:
    """POST ``body`` as JSON to ``url``; any 2xx answer counts as delivered."""
    started = time.perf_counter()
    try:
        scheme, host, port, ip = resolve_public_address(url, allow_private=allow_private)
    except CallbackRefused as error:
        return DeliveryOutcome(False, None, str(error), 0.0)
    parts = urlsplit(url)
    netloc_ip = f"[{ip}]" if ":" in ip else ip
    pinned = urlunsplit((scheme, f"{netloc_ip}:{port}", parts.path or "/", parts.query, ""))
    default_port = port == (443 if scheme == "https" else 80)
    headers = {"Host": host if default_port else f"{host}:{port}", "User-Agent": "openkyc-callbacks"}
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False) as client:
            response = client.post(pinned, json=body, headers=headers, extensions={"sni_hostname": host})
    except httpx.HTTPError as error:
        return DeliveryOutcome(False, None, f"{type(error).__name__}", _ms(started))
    ok = 200 <= response.status_code < 300
    return DeliveryOutcome(
        ok, response.status_code, None if ok else f"HTTP {response.status_code}", _ms(started)
    )


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
