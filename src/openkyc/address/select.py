"""Which address provider answers a verification: the configured choice for the key's environment.

``OPENKYC_ADDRESS_PROVIDER`` names the choice (:mod:`openkyc.providers`, entry-point group
``openkyc.address_providers``). The built-in ``default``: sandbox keys get the sandbox provider
(:class:`~openkyc.address.sandbox.SandboxAddressProvider`, the documented test identifiers);
production keys get none, since no address register is reachable from an installation until an
operator plugs one in, and their jobs end ``error`` / ``service_unavailable``.

An operator's adapter (an :class:`~openkyc.address.base.AddressProvider`) plugs in with a factory
of its own, typically ``lambda settings: SandboxOr(MyRegister(...))``, registered as an entry
point of ``openkyc.address_providers`` or named by its dotted path.
"""

from __future__ import annotations

from typing import Protocol, cast, runtime_checkable

from openkyc.address.base import AddressProvider
from openkyc.address.sandbox import SandboxAddressProvider
from openkyc.config import Settings
from openkyc.providers import ADDRESS_PROVIDER
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment


@runtime_checkable
class AddressProviderChoice(Protocol):
    """Chooses the provider for a verification made with a key of ``environment`` (None: none)."""

    def provider_for(self, runtime: Runtime, environment: str) -> AddressProvider | None: ...


def provider_for(runtime: Runtime, environment: str) -> AddressProvider | None:
    choice = cast(AddressProviderChoice, runtime.providers[ADDRESS_PROVIDER])  # checked at start
    return choice.provider_for(runtime, environment)


class SandboxOr:
    """Sandbox keys get the sandbox provider, every other key ``production`` (None: no provider)."""

    def __init__(self, production: AddressProvider | None) -> None:
        self.production = production

    def provider_for(self, runtime: Runtime, environment: str) -> AddressProvider | None:
        if environment == Environment.SANDBOX.value:
            return SandboxAddressProvider()
        return self.production


def default_address_providers(settings: Settings) -> SandboxOr:
    """The ``default`` choice: the sandbox provider for sandbox keys, none for production keys."""
    del settings  # nothing to configure
    return SandboxOr(None)
