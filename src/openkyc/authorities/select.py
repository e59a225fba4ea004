"""Which authority answers a look-up: chosen by the environment of the key that signed the request.

Sandbox keys get the documented test numbers (:class:`SandboxAuthority`); production keys get the
operator's local registry (:class:`RegistryAuthority`), the only real records an installation
holds until an HTTP adapter to a national authority is configured.
"""

from __future__ import annotations

from openkyc.authorities.base import Authority
from openkyc.authorities.registry import RegistryAuthority
from openkyc.authorities.sandbox import SandboxAuthority
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment


def authority_for(runtime: Runtime, environment: str) -> Authority:
    if environment == Environment.SANDBOX.value:
        return SandboxAuthority()
    return RegistryAuthority(runtime)
