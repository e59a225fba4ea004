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

import errno
import functools
import ipaddress
import socket
import ssl
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

# How much of a receiver's answer is read (its status is all that counts).
MAX_ANSWER_BYTES = 64 * 1024

# getaddrinfo takes no timeout: a resolver that does not answer holds the calling thread for as
# long as resolv.conf's timeouts and attempts add up to (half a minute or more). Look-ups run on
# these threads instead, and the delivery waits for one no longer than its own timeout; a
# look-up still hanging then finishes on its thread, unseen. Few threads: a resolver that hangs
# for everyone makes look-ups queue here and time out, never more threads.
_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="callback-dns")


# The start of every refusal's reason, so that one log search finds them all.
SSRF_POLICY = "refused by the SSRF policy"
# What an operator who means to deliver to a private network (a test receiver, an internal
# service) changes; said next to every refusal for the address range.
PRIVATE_HINT = "set OPENKYC_ALLOW_PRIVATE_CALLBACKS to true to allow private and loopback receivers"


class CallbackRefused(Exception):
    """The URL may not be called (scheme, address range, credentials in the URL...) or its host
    does not resolve. The message is a reason category that never repeats the URL (host at most).

    ``hint``: what would lift the refusal, for the operator (the private-address setting).
    """

    def __init__(self, reason: str, *, hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


# What an operator whose receiver has a certificate from a private CA does; said next to a TLS
# error that is a failed certificate check.
CA_HINT = "a receiver certificate from a private CA is trusted once OPENKYC_CALLBACK_CA_FILE names that CA"
# Why a V3 callback to a URL that is not https is refused (the V3 API takes https callback URLs
# only, and its receivers check the signature headers over TLS).
HTTPS_ONLY = "refused: a V3 callback goes to an https URL only"


@dataclass(frozen=True)
class DeliveryOutcome:
    delivered: bool
    status_code: int | None
    # A reason category (connection refused, timeout, HTTP 500, refused by the SSRF policy...).
    error: str | None
    duration_ms: float
    hint: str | None = None
    # No later attempt at this URL can succeed either (a V3 callback to a non-https URL).
    permanent: bool = False


def receiving_host(url: str) -> str:
    """The host ``url`` names (no scheme, credentials, path or query: those may carry secrets),
    for log lines; ``?`` when it names none."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    return host or "?"


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a callback URL the policy may call, judged before any DNS look-up."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise CallbackRefused(f"{SSRF_POLICY}: the URL's port is not a number") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackRefused(f"{SSRF_POLICY}: not an http(s) URL with a host")
    if parts.username or parts.password:
        raise CallbackRefused(f"{SSRF_POLICY}: credentials in the URL")
    return parts.scheme, parts.hostname, port


def resolve_public_address(
    url: str, *, allow_private: bool, timeout_s: float | None = None
) -> tuple[str, str, int, str]:
    """(scheme, host, port, ip) for ``url``, refusing non-HTTP schemes and non-public addresses;
    with ``timeout_s``, a host that does not resolve within it is refused too."""
    scheme, host, port = check_url(url)
    lookup = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = lookup.result(timeout=timeout_s)
    except FutureTimeout:
        lookup.cancel()  # if it has not started yet
        raise CallbackRefused(f"DNS failure: {host} did not resolve within {timeout_s:g} s") from None
    except socket.gaierror as error:
        raise CallbackRefused(f"DNS failure: {host} does not resolve ({error.strerror})") from error
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise _private_refusal(address)
    return scheme, host, port, str(addresses[0])


def refusal_without_dns(url: str) -> CallbackRefused | None:
    """The refusal every attempt at ``url`` meets while private receivers are not allowed, as far
    as it shows without a DNS look-up: a URL the policy refuses, a literal non-public address, or
    a name that means this machine everywhere (RFC 6761 §6.3). None when only delivery can tell."""
    try:
        _, host, _ = check_url(url)
    except CallbackRefused as refusal:
        return refusal
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return CallbackRefused(f"{SSRF_POLICY}: loopback address ({name})", hint=PRIVATE_HINT)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return None
    return None if is_public_address(literal) else _private_refusal(literal)


def _private_refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> CallbackRefused:
    return CallbackRefused(f"{SSRF_POLICY}: {address_kind(address)} address {address}", hint=PRIVATE_HINT)


def address_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why the policy refuses ``address``, in a word: loopback, private, link-local..."""
    own = _special_kind(address)
    if own is not None:
        return own
    # Then an embedded IPv4 address: it is where the packets go (::ffff:127.0.0.1 is loopback,
    # though ipaddress files the whole IPv4-mapped range as private).
    if isinstance(address, ipaddress.IPv6Address):
        for ipv4 in embedded_ipv4(address):
            kind = _special_kind(ipv4) or ("private" if ipv4.is_private else None)
            if kind is not None:
                return f"{kind} (embedded IPv4 {ipv4})"
    return "private" if address.is_private else "reserved"


def _special_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    for kind, found in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
    ):
        if found:
            return kind
    return None


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


@functools.lru_cache(maxsize=4)
def _tls_context(ca_file: str) -> ssl.SSLContext:
    """The roots httpx trusts by default (certifi's, or SSL_CERT_FILE's) and ``ca_file``'s, built
    once per file: loading the roots takes milliseconds, and one context serves every thread."""
    context = httpx.create_ssl_context()
    context.load_verify_locations(cafile=ca_file)
    return context


def tls_verification(ca_file: str | Path | None) -> ssl.SSLContext | bool:
    """What a delivery verifies a receiver's certificate with: httpx's default roots, plus the CA
    certificates of ``ca_file`` (OPENKYC_CALLBACK_CA_FILE) when set. Raises ``OSError`` (an
    ``ssl.SSLError`` among them) when that file cannot be read as PEM certificates."""
    return True if ca_file is None else _tls_context(str(ca_file))


def post_json(
    url: str,
    body: dict[str, Any],
    *,
    allow_private: bool,
    timeout_s: float,
    headers: Mapping[str, str] | None = None,
    https_only: bool = False,
    ca_file: str | Path | None = None,
) -> DeliveryOutcome:
    """POST ``body`` as JSON to ``url`` with ``headers`` besides our own; any 2xx answer counts as
    delivered. ``https_only``: a URL of another scheme is refused for good (a V3 callback);
    ``ca_file``: CA certificates trusted besides the public roots (:func:`tls_verification`)."""
    started = time.perf_counter()
    if https_only and urlsplit(url).scheme.lower() != "https":
        return DeliveryOutcome(False, None, HTTPS_ONLY, _ms(started), permanent=True)
    try:
        verify = tls_verification(ca_file)
    except OSError as error:
        reason = f"TLS error: the callback CA file (OPENKYC_CALLBACK_CA_FILE) cannot be read ({error})"
        return DeliveryOutcome(False, None, reason, _ms(started))
    try:
        scheme, host, port, ip = resolve_public_address(url, allow_private=allow_private, timeout_s=timeout_s)
    except CallbackRefused as refusal:
        return DeliveryOutcome(False, None, refusal.reason, _ms(started), refusal.hint)
    parts = urlsplit(url)
    netloc_ip = f"[{ip}]" if ":" in ip else ip
    pinned = urlunsplit((scheme, f"{netloc_ip}:{port}", parts.path or "/", parts.query, ""))
    default_port = port == (443 if scheme == "https" else 80)
    sent_headers = {
        **(headers or {}),
        "Host": host if default_port else f"{host}:{port}",
        "User-Agent": "openkyc-callbacks",
    }
    deadline = started + timeout_s
    # The look-up's time comes out of the delivery's: the whole attempt stays within timeout_s.
    remaining = max(deadline - time.perf_counter(), 0.001)
    try:
        with (
            httpx.Client(timeout=remaining, follow_redirects=False, verify=verify) as client,
            client.stream(
                "POST", pinned, json=body, headers=sent_headers, extensions={"sni_hostname": host}
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
        hint = CA_HINT if _unverified_certificate(error) else None
        return DeliveryOutcome(False, None, failure_reason(error), _ms(started), hint)
    ok = 200 <= response.status_code < 300
    return DeliveryOutcome(
        ok, response.status_code, None if ok else f"HTTP {response.status_code}", _ms(started)
    )


# Timeouts by the phase they cut short.
_TIMEOUTS: tuple[tuple[type[httpx.TimeoutException], str], ...] = (
    (httpx.ConnectTimeout, "timeout while connecting"),
    (httpx.WriteTimeout, "timeout while sending"),
    (httpx.ReadTimeout, "timeout waiting for the answer"),
    (httpx.PoolTimeout, "timeout"),
)
# Socket errors under a ConnectError or a ReadError, by what a receiver's operator checks.
_SOCKET_ERRORS: tuple[tuple[int, str], ...] = (
    (errno.ECONNREFUSED, "connection refused"),
    (errno.ECONNRESET, "connection reset"),
    (errno.EHOSTUNREACH, "host unreachable"),
    (errno.ENETUNREACH, "network unreachable"),
)


def failure_reason(error: httpx.HTTPError) -> str:
    """A reason category for a failed POST: connection refused, timeout, TLS error..."""
    for kind, reason in _TIMEOUTS:
        if isinstance(error, kind):
            return reason
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return "TLS error"
        if isinstance(cause, OSError):
            for number, reason in _SOCKET_ERRORS:
                if cause.errno == number:
                    return reason
        cause = cause.__cause__ or cause.__context__
    text = str(error).lower()
    for needle, reason in (
        ("refused", "connection refused"),
        ("ssl", "TLS error"),
        ("reset", "connection reset"),
    ):
        if needle in text:
            return reason
    return f"connection error ({type(error).__name__})"


def _unverified_certificate(error: BaseException) -> bool:
    """Whether ``error`` comes from a receiver certificate that no trusted CA signed (or that
    names another host)."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
