"""Which business registry answers a look-up: the configured provider's choice for the key's environment.

``OPENKYC_BUSINESS_REGISTRY_PROVIDER`` names the provider (:mod:`openkyc.providers`). The built-in
``default``: sandbox keys get the documented sample business (:class:`SandboxBusinessRegistry`),
production keys the operator's local business registry (:class:`LocalBusinessRegistry`), the only
real records an installation holds until an adapter to a national registry is configured. Such an
adapter plugs in with a factory of its own returning a :class:`BusinessRegistryProvider`.
"""

from __future__ import annotations

from typing import Protocol, cast, runtime_checkable

from openkyc.business.base import BusinessRegistry
from openkyc.business.registry import LocalBusinessRegistry
from openkyc.business.sandbox import SandboxBusinessRegistry
from openkyc.config import Settings
from openkyc.providers import BUSINESS_REGISTRY
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment


@runtime_checkable
class BusinessRegistryProvider(Protocol):
    """Chooses the registry that answers a look-up signed with a key of ``environment``."""

    def registry_for(self, runtime: Runtime, environment: str) -> BusinessRegistry: ...


def registry_for(runtime: Runtime, environment: str) -> BusinessRegistry:
    provider = cast(BusinessRegistryProvider, runtime.providers[BUSINESS_REGISTRY])  # checked at start
    return provider.registry_for(runtime, environment)


class DefaultBusinessRegistries:
    """The ``default`` provider: the sandbox registry for sandbox keys, the local one otherwise."""

    def __init__(self, settings: Settings | None = None) -> None:
        del settings  # nothing to configure: the registry lives in the runtime's database

    def registry_for(self, runtime: Runtime, environment: str) -> BusinessRegistry:
        if environment == Environment.SANDBOX.value:
            return SandboxBusinessRegistry()
        return LocalBusinessRegistry(runtime)
