"""One real ``openkyc serve`` over HTTPS for the V3 SDKs' end-to-end tests (module scope): embedded
(SQLite, in-process workers), a server certificate from a development CA
(:func:`openkyc.cli.tls.make_dev_ca`, what ``openkyc tls dev-ca`` writes), and an HTTPS callback
receiver with a certificate from the same CA, which the server trusts through
``OPENKYC_CALLBACK_CA_FILE``. The SDKs refuse any base URL that is not https, so this is the only
way they can be pointed at openkyc at all.

A test module gets it from the ``v3_server`` fixture (tests/v3/conftest.py); nothing starts until
a test asks for it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import usesmileid
from smile_id_core.Signature import Signature

from openkyc.audit import Actor
from openkyc.cli.tls import DevCertificates, make_dev_ca
from openkyc.db import make_engine, make_session_factory, transaction
from openkyc.partners import service as partners
from openkyc.signing.environment import Environment
from testkit.callback_receiver import CallbackReceiver, Received
from testkit.deployment import Deployment, TlsOptions, openkyc_command, start_deployment


@dataclass
class V3Server:
    deployment: Deployment
    certificates: DevCertificates
    receiver: CallbackReceiver

    @property
    def partner_id(self) -> str:
        return self.deployment.partner_id

    @property
    def api_key(self) -> str:
        return self.deployment.sandbox_key

    def client(self, http_client: httpx.Client | None = None) -> usesmileid.Client:
        return usesmileid.Client(
            partner_id=self.partner_id,
            api_key=self.api_key,
            base_url=self.deployment.base_url,
            default_callback_url=self.receiver.url,
            http_client=http_client,
        )

    def callback(self, job_id: str, after: int = 0, timeout: float = 60.0) -> Received:
        """The ``after``-th callback (from 0) the receiver got for ``job_id``."""
        seen: list[Received] = []

        def matches(received: Received) -> bool:
            if received.body.get("job_id") == job_id and received not in seen:
                seen.append(received)
            return len(seen) > after

        self.receiver.wait_for(matches, timeout=timeout)
        return seen[after]


def set_default_callback(deployment: Deployment, url: str) -> None:
    """The deployment's partner's sandbox default callback URL, written to its database."""
    engine = make_engine(deployment.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            partners.set_default_callback_url(
                db_session=session,
                partner_id=deployment.partner_id,
                environment=Environment.SANDBOX,
                url=url,
                actor=Actor.partner(deployment.partner_id),
            )
    finally:
        engine.dispose()


def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[V3Server]:
    """The deployment and its receiver, stopped when the generator is closed (the ``v3_server``
    fixture of tests/v3/conftest.py, module scope)."""
    directory = tmp_path_factory.mktemp("v3-e2e")
    certificates = make_dev_ca(directory / "tls")
    receiver = CallbackReceiver(certfile=certificates.server_cert, keyfile=certificates.server_key)
    receiver.start()
    try:
        deployment = start_deployment(
            "embedded",
            directory / "data",
            tls=TlsOptions(
                cert=certificates.server_cert, key=certificates.server_key, ca=certificates.ca_cert
            ),
            extra_env={"OPENKYC_CALLBACK_CA_FILE": str(certificates.ca_cert)},
        )
        try:
            # As a partner sets it in the portal: the SDK's own test sends no callback_url, and a
            # submission without one needs the partner's default (else the spec's 400).
            set_default_callback(deployment, receiver.url)
            yield V3Server(deployment, certificates, receiver)
        finally:
            deployment.stop()
    finally:
        receiver.stop()


def verify_signature(v3_server: V3Server, received: Received, api_key: str | None = None) -> None:
    """Response-Signature is base64 HMAC-SHA256(api_key, timestamp + partner_id + "sid_request"),
    checked with the v1 Python SDK's own implementation of that formula; ``api_key``: the key of
    the job's environment (default: the sandbox key)."""
    timestamp = received.headers["response-timestamp"]
    signature = received.headers["response-signature"]
    key = api_key or v3_server.api_key
    assert Signature(v3_server.partner_id, key).confirm_signature(timestamp, signature)


def enable_production(deployment: Deployment) -> None:
    """``openkyc partners enable-production`` for the deployment's partner, as an operator runs it."""
    subprocess.run(
        openkyc_command("partners", "enable-production", "--partner-id", deployment.partner_id),
        env=deployment.env,
        check=True,
        capture_output=True,
    )
