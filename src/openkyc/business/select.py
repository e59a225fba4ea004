"""Which business registry answers a look-up: chosen by the environment of the key that signed it.

Sandbox keys get the documented sample business (:class:`SandboxBusinessRegistry`); production keys
get the operator's local business registry (:class:`LocalBusinessRegistry`), the only real records
an installation holds until an adapter to a national registry is configured.
"""

from __future__ import annotations

from openkyc.business.base import BusinessRegistry
from openkyc.business.registry import LocalBusinessRegistry
from openkyc.business.sandbox import SandboxBusinessRegistry
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment


def registry_for(runtime: Runtime, environment: str) -> BusinessRegistry:
    if environment == Environment.SANDBOX.value:
        return SandboxBusinessRegistry()
    return LocalBusinessRegistry(runtime)
