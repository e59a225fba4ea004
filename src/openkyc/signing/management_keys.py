"""Management-API (KSig1) credentials: what is stored per key, and how new ones are minted.

Following Kompliant's published shape (compatibility §13): an API key prefixed ``sb_`` (sandbox)
or ``lv_`` (live), a secret that is the base64 of 33 random bytes (the HMAC key is the decoded
bytes) and a separate auth token. All three are case-sensitive.
"""

from __future__ import annotations

import base64
import secrets
import string
from dataclasses import dataclass, field

from openkyc.signing.environment import Environment

API_KEY_PREFIXES: dict[Environment, str] = {Environment.SANDBOX: "sb_", Environment.PRODUCTION: "lv_"}
SECRET_KEY_BYTES = 33
# 22 alphanumerics, as in the published example key: ~131 bits of entropy.
_API_KEY_RANDOM_CHARS = 22
_ALPHANUMERIC = string.ascii_letters + string.digits


@dataclass(frozen=True)
class ManagementKey:
    api_key: str
    secret_key: str = field(repr=False)
    auth_token: str = field(repr=False)
    revoked: bool
    partner_id: str

    @property
    def environment(self) -> Environment:
        production = self.api_key.startswith(API_KEY_PREFIXES[Environment.PRODUCTION])
        return Environment.PRODUCTION if production else Environment.SANDBOX

    def secret_bytes(self) -> bytes:
        """The HMAC key. A stored secret that is not strict base64 raises ``ValueError``: a server
        misconfiguration, deliberately not dressed up as a client authentication error."""
        return base64.b64decode(self.secret_key, validate=True)


def generate_management_key(partner_id: str, environment: Environment) -> ManagementKey:
    """A fresh, unrevoked credential set for ``partner_id`` in ``environment``."""
    random_part = "".join(secrets.choice(_ALPHANUMERIC) for _ in range(_API_KEY_RANDOM_CHARS))
    return ManagementKey(
        api_key=API_KEY_PREFIXES[environment] + random_part,
        secret_key=base64.b64encode(secrets.token_bytes(SECRET_KEY_BYTES)).decode("ascii"),
        auth_token=secrets.token_urlsafe(32),
        revoked=False,
        partner_id=partner_id,
    )
