"""`openkyc tls dev-ca`: a local certificate authority and a server certificate, for HTTPS in development.

The V3 API is an https API: Smile ID's V3 SDKs refuse a ``base_url`` that is not https, and V3
callbacks go to https URLs only. On a developer's machine that needs a certificate that clients
trust for ``localhost``: this command makes a development CA and a server certificate it signs
(``localhost``, ``127.0.0.1``, ``::1`` and any ``--host``), writes them as PEM files (private keys
readable by their owner only) and prints how to serve with them and how to make each client trust
the CA. Run again, it keeps the CA it finds in the directory (clients that trust it go on doing
so) and issues a new server certificate.

The CA is for development only: its key sits beside the certificates, unencrypted. It is limited
to signing server certificates (``path_length=0``) and expires after :data:`CA_DAYS` days.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

tls_app = typer.Typer(no_args_is_help=True)  # its help: openkyc.cli.COMMANDS

CA_DAYS = 3650
# At most 398 days: browsers refuse server certificates valid for longer (CA/Browser Forum).
SERVER_DAYS = 397
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
CA_NAME = "openkyc development CA"


@dataclass(frozen=True)
class DevCertificates:
    """Where :func:`make_dev_ca` wrote its files, and what the server certificate names."""

    directory: Path
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    hosts: tuple[str, ...]
    ca_reused: bool
    server_expires: dt.datetime


def _write(path: Path, data: bytes, *, private: bool) -> None:
    """Write ``data``; a private key is created readable by its owner only (never, even for a
    moment, with wider permissions)."""
    if private:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        path.chmod(0o600)  # a file that was there before keeps its mode through O_TRUNC
    else:
        path.write_bytes(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _subject_names(hosts: Sequence[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def _host_list(extra: Sequence[str]) -> tuple[str, ...]:
    """The default names and ``extra`` (stripped, lower-case names, brackets off IPv6), no repeats."""
    hosts: list[str] = []
    for host in (*DEFAULT_HOSTS, *extra):
        name = host.strip().strip("[]")
        try:
            name = str(ipaddress.ip_address(name))
        except ValueError:
            name = name.lower().rstrip(".")
            if not name or any(char.isspace() or char in "/:@" for char in name):
                raise ValueError(f"not a host name or IP address: {host!r}") from None
        if name not in hosts:
            hosts.append(name)
    return tuple(hosts)


def _new_ca(now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _existing_ca(
    cert_path: Path, key_path: Path
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None:
    """The CA already in the directory, when both its files are there and belong together."""
    if not (cert_path.is_file() and key_path.is_file()):
        return None
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != cert.public_key():
        raise ValueError(f"{key_path} is not the private key of {cert_path}")
    return key, cert


def make_dev_ca(
    directory: Path, hosts: Sequence[str] = (), *, now: dt.datetime | None = None
) -> DevCertificates:
    """Write a development CA (kept when ``directory`` has one) and a fresh server certificate it
    signs for localhost, 127.0.0.1, ::1 and ``hosts``; private keys are mode 0600."""
    moment = now or dt.datetime.now(dt.UTC)
    names = _host_list(hosts)
    directory.mkdir(parents=True, exist_ok=True)
    files = DevCertificates(
        directory=directory,
        ca_cert=directory / "ca.pem",
        ca_key=directory / "ca-key.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server-key.pem",
        hosts=names,
        ca_reused=False,
        server_expires=moment + dt.timedelta(days=SERVER_DAYS),
    )
    existing = _existing_ca(files.ca_cert, files.ca_key)
    if existing is None:
        ca_key, ca_cert = _new_ca(moment)
        _write(files.ca_key, _key_pem(ca_key), private=True)
        _write(files.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM), private=False)
    else:
        ca_key, ca_cert = existing
        files = replace(files, ca_reused=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - dt.timedelta(minutes=5))
        .not_valid_after(min(files.server_expires, ca_cert.not_valid_after_utc))
        .add_extension(x509.SubjectAlternativeName(_subject_names(names)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write(files.server_key, _key_pem(server_key), private=True)
    _write(files.server_cert, server_cert.public_bytes(serialization.Encoding.PEM), private=False)
    return replace(files, server_expires=server_cert.not_valid_after_utc)


@tls_app.command("dev-ca")
def dev_ca(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where to write ca.pem, ca-key.pem, server.pem, server-key.pem.")
    ] = Path("openkyc-tls"),
    host: Annotated[
        list[str] | None,
        typer.Option(
            "--host",
            help="Another name or IP address for the server certificate (repeatable); "
            "localhost, 127.0.0.1 and ::1 are always in it.",
        ),
    ] = None,
) -> None:
    """Make a development CA and a server certificate it signs, for `openkyc serve` over HTTPS.

    Not for production: the CA's key is stored unencrypted next to the certificates.
    """
    try:
        made = make_dev_ca(directory, host or ())
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    ca = made.ca_cert.resolve()
    if made.ca_reused:
        typer.echo(f"Kept the development CA already in {made.directory.resolve()} ({ca.name}).")
    else:
        typer.echo(f"New development CA: {ca} (its key: {made.ca_key.resolve()}, mode 0600).")
    typer.echo(
        f"Server certificate for {', '.join(made.hosts)}, valid until {made.server_expires:%Y-%m-%d}: "
        f"{made.server_cert.resolve()} (its key: {made.server_key.resolve()}, mode 0600)."
    )
    typer.echo("")
    typer.echo("Serve HTTPS with it:")
    typer.echo(
        f"  openkyc serve --tls-cert {made.server_cert.resolve()} --tls-key {made.server_key.resolve()}"
    )
    typer.echo("")
    typer.echo("Make clients trust the CA (only where the development server is called):")
    typer.echo(f"  Python (usesmileid, httpx) and Go: SSL_CERT_FILE={ca}")
    typer.echo("    (the CA is then the only one that process trusts)")
    typer.echo(f"  Python requests: REQUESTS_CA_BUNDLE={ca}")
    typer.echo(f"  Node: NODE_EXTRA_CA_CERTS={ca}")
    typer.echo(f"  curl: curl --cacert {ca} https://localhost:8080/v1/...")
    typer.echo("")
    typer.echo("Deliver callbacks to a receiver serving a certificate from this CA:")
    typer.echo(f"  OPENKYC_CALLBACK_CA_FILE={ca}")
    typer.echo("  (and OPENKYC_ALLOW_PRIVATE_CALLBACKS=true for a receiver on this machine)")
    typer.echo("")
    typer.echo("For development only: anyone with ca-key.pem can make certificates your clients trust.")
