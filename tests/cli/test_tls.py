"""`openkyc tls dev-ca`: a CA and a server certificate that Python's ssl accepts for the local names."""

from __future__ import annotations

import socket
import ssl
import stat
import threading
from pathlib import Path

import pytest
from cryptography import x509
from typer.testing import CliRunner

from openkyc.cli import app
from openkyc.cli.tls import make_dev_ca

runner = CliRunner()


def handshake(ca: Path, cert: Path, key: Path, server_hostname: str, address: str = "127.0.0.1") -> str:
    """A TLS handshake with a server using ``cert``, checked by a client that trusts only ``ca``
    and asks for ``server_hostname``; the version agreed on."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family) as listener:
        listener.bind((address, 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        def serve() -> None:
            connection, _ = listener.accept()
            try:
                with server_context.wrap_socket(connection, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass  # the client refused the certificate: the client's side says why

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        client_context = ssl.create_default_context(cafile=str(ca))
        try:
            with (
                socket.create_connection((address, port), timeout=5) as raw,
                client_context.wrap_socket(raw, server_hostname=server_hostname) as tls,
            ):
                version = tls.version() or ""
                tls.sendall(b"x")
        finally:
            thread.join(5)
    return version


def test_dev_ca_prints_the_serve_line_and_the_trust_settings(tmp_path: Path) -> None:
    out = tmp_path / "tls"
    result = runner.invoke(app, ["tls", "dev-ca", "--dir", str(out), "--host", "kyc.dev.test"])

    assert result.exit_code == 0, result.output
    ca, cert, key = ((out / name).resolve() for name in ("ca.pem", "server.pem", "server-key.pem"))
    assert f"openkyc serve --tls-cert {cert} --tls-key {key}" in result.output
    assert f"SSL_CERT_FILE={ca}" in result.output
    assert f"NODE_EXTRA_CA_CERTS={ca}" in result.output
    assert f"OPENKYC_CALLBACK_CA_FILE={ca}" in result.output
    # Private keys: the owner's alone.
    for private in ("ca-key.pem", "server-key.pem"):
        assert stat.S_IMODE((out / private).stat().st_mode) == 0o600
    names = x509.load_pem_x509_certificate(cert.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert set(map(str, names.value.get_values_for_type(x509.IPAddress))) == {"127.0.0.1", "::1"}
    assert set(names.value.get_values_for_type(x509.DNSName)) == {"localhost", "kyc.dev.test"}


@pytest.mark.parametrize("server_hostname", ["localhost", "127.0.0.1"])
def test_the_server_certificate_verifies_against_the_ca(tmp_path: Path, server_hostname: str) -> None:
    made = make_dev_ca(tmp_path)
    assert handshake(made.ca_cert, made.server_cert, made.server_key, server_hostname).startswith("TLS")


def test_the_server_certificate_is_refused_for_a_name_it_does_not_carry(tmp_path: Path) -> None:
    made = make_dev_ca(tmp_path)
    with pytest.raises(ssl.SSLCertVerificationError, match="match"):
        handshake(made.ca_cert, made.server_cert, made.server_key, "kyc.elsewhere.test")


def test_another_ca_does_not_vouch_for_it(tmp_path: Path) -> None:
    made = make_dev_ca(tmp_path / "one")
    other = make_dev_ca(tmp_path / "two")
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(other.ca_cert, made.server_cert, made.server_key, "localhost")


def test_running_again_keeps_the_ca_and_issues_a_new_server_certificate(tmp_path: Path) -> None:
    first = make_dev_ca(tmp_path)
    ca_before, cert_before = first.ca_cert.read_bytes(), first.server_cert.read_bytes()
    second = make_dev_ca(tmp_path, ["10.1.2.3"])

    assert second.ca_reused and second.ca_cert.read_bytes() == ca_before
    assert second.server_cert.read_bytes() != cert_before
    assert "10.1.2.3" in second.hosts
    # The new certificate chains to the CA clients already trust.
    assert handshake(first.ca_cert, second.server_cert, second.server_key, "127.0.0.1")


def test_a_ca_key_that_is_not_the_certificates_is_refused(tmp_path: Path) -> None:
    make_dev_ca(tmp_path / "one")
    make_dev_ca(tmp_path / "two")
    (tmp_path / "one" / "ca-key.pem").write_bytes((tmp_path / "two" / "ca-key.pem").read_bytes())

    result = runner.invoke(app, ["tls", "dev-ca", "--dir", str(tmp_path / "one")])

    assert result.exit_code != 0
    assert "is not the private key of" in result.output


def test_a_host_that_is_no_name_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tls", "dev-ca", "--dir", str(tmp_path), "--host", "https://x.test/"])
    assert result.exit_code != 0
    assert "not a host name" in result.output
