"""Which authority answers a look-up: the configured provider's choice for the signing key's environment.

``OPENKYC_ID_AUTHORITY_PROVIDER`` names the provider (:mod:`openkyc.providers`). The built-ins:

* ``default``: sandbox keys get the documented test numbers (:class:`SandboxAuthority`),
  production keys the operator's local registry (:class:`RegistryAuthority`), the only real
  records an installation holds until an HTTP adapter to a national authority is configured;
* ``http``: sandbox keys as above, production keys the JSON gateway at ``OPENKYC_ID_AUTHORITY_URL``
  (:class:`~openkyc.authorities.http.GatewayAuthority`).

An operator's own adapter (an :class:`~openkyc.authorities.http.HttpAuthority` subclass) plugs in
with a factory of its own, typically ``lambda settings: SandboxOr(MyAuthority(...))``.
"""

from __future__ import annotations

from typing import Protocol, cast, runtime_checkable

from openkyc.authorities.base import Authority
from openkyc.authorities.http import GatewayAuthority
from openkyc.authorities.registry import RegistryAuthority
from openkyc.authorities.sandbox import SandboxAuthority
from openkyc.config import Settings
from openkyc.providers import ID_AUTHORITY
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment


@runtime_checkable
class AuthorityProvider(Protocol):
    """Chooses the authority that answers a look-up signed with a key of ``environment``."""

    def authority_for(self, runtime: Runtime, environment: str) -> Authority: ...


def authority_for(runtime: Runtime, environment: str) -> Authority:
    provider = cast(AuthorityProvider, runtime.providers[ID_AUTHORITY])  # checked at start
    return provider.authority_for(runtime, environment)


class DefaultAuthorities:
    """The ``default`` provider: the sandbox authority for sandbox keys, the local registry otherwise."""

    def __init__(self, settings: Settings | None = None) -> None:
        del settings  # nothing to configure: the registry lives in the runtime's database

    def authority_for(self, runtime: Runtime, environment: str) -> Authority:
        if environment == Environment.SANDBOX.value:
            return SandboxAuthority()
        return RegistryAuthority(runtime)


class SandboxOr:
    """Sandbox keys get the sandbox authority (the documented test numbers), every other key
    ``production``: one adapter, built once, shared by every look-up (and its connection pool)."""

    def __init__(self, production: Authority) -> None:
        self.production = production

    def authority_for(self, runtime: Runtime, environment: str) -> Authority:
        if environment == Environment.SANDBOX.value:
            return SandboxAuthority()
        return self.production


def http_authorities(settings: Settings) -> SandboxOr:
    """The ``http`` provider: the JSON gateway of ``OPENKYC_ID_AUTHORITY_URL`` for production keys."""
    if not settings.id_authority_url:
        raise ValueError("OPENKYC_ID_AUTHORITY_URL is not set")
    return SandboxOr(
        GatewayAuthority(
            settings.id_authority_url,
            token=settings.id_authority_token.get_secret_value(),
            timeout_s=settings.id_authority_timeout.total_seconds(),
        )
    )
