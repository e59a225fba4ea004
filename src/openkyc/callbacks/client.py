"""Posting a callback without letting a partner's URL reach our own network (SSRF).

The host is resolved once; every address must be public unless private delivery is allowed;
the request then goes to that exact address (no second DNS look-up an attacker could rebind),
with the original Host header and TLS server name, and redirects are not followed.

An IPv6 address that carries an IPv4 address (NAT64, 6to4, IPv4-mapped, IPv4-compatible,
Teredo) is judged by that IPv4 address too: ``ipaddress`` calls ``64:ff9b::7f00:1`` or
``2002:7f00:1::1`` global, yet a NAT64 gateway, a 6to4 relay or a dual-stack socket takes the
connection to 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

# How much of a receiver's answer is read (its status is all that counts).
MAX_ANSWER_BYTES = 64 * 1024


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
            if not is_public_address(address):
                raise CallbackRefused("callback host resolves to a private, loopback or reserved address")
    return parts.scheme, parts.hostname, port, str(addresses[0])


# RFC 6052 prefixes: the well-known NAT64 prefix (IPv4 in the last 32 bits) and the local-use one,
# under which an operator may pick any prefix length, so the IPv4 may sit at any RFC 6052 position.
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated (RFC 4291), still routed by some stacks
# Where RFC 6052 §2.2 puts the IPv4 address for each prefix length: the bit offsets of its two
# parts (bits 64-71, the "u" octet, are always skipped).
_RFC6052_POSITIONS = {48: ((48, 16), (72, 16)), 56: ((56, 8), (72, 24)), 64: ((72, 32),), 96: ((96, 32),)}


def _rfc6052_ipv4(address: ipaddress.IPv6Address, prefix_length: int) -> ipaddress.IPv4Address:
    value, ipv4 = int(address), 0
    for offset, width in _RFC6052_POSITIONS[prefix_length]:
        ipv4 = (ipv4 << width) | ((value >> (128 - offset - width)) & ((1 << width) - 1))
    return ipaddress.IPv4Address(ipv4)


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address ``address`` may deliver to through a translator, relay or tunnel."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in _NAT64_WELL_KNOWN:
        found.append(_rfc6052_ipv4(address, 96))
    if address in _NAT64_LOCAL_USE:
        found.extend(_rfc6052_ipv4(address, length) for length in sorted(_RFC6052_POSITIONS))
    if address in _IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)  # (server, client): the client is where the packets end up
    return found


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Global unicast, and so is every IPv4 address it embeds (see the module docstring)."""
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        return all(ipv4.is_global and not ipv4.is_multicast for ipv4 in embedded_ipv4(address))
    return True


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
    deadline = started + timeout_s
    try:
        with (
            httpx.Client(timeout=timeout_s, follow_redirects=False) as client,
            client.stream(
                "POST", pinned, json=body, headers=headers, extensions={"sni_hostname": host}
            ) as response,
        ):
            # Only the status matters. The answer's body is drained up to a small cap and only
            # while the deadline lasts: a receiver that streams without end (or trickles) costs
            # neither memory nor a delivery thread for longer than the timeout.
            drained = 0
            for chunk in response.iter_raw():
                drained += len(chunk)
                if drained > MAX_ANSWER_BYTES or time.perf_counter() > deadline:
                    break
    except httpx.HTTPError as error:
        return DeliveryOutcome(False, None, f"{type(error).__name__}", _ms(started))
    ok = 200 <= response.status_code < 300
    return DeliveryOutcome(
        ok, response.status_code, None if ok else f"HTTP {response.status_code}", _ms(started)
    )


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
