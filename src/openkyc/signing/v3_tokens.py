"""The V3 API's session tokens: what ``POST /v3/token`` gives out and every other V3 call carries
in ``SmileID-Token``.

A JWT (RFC 7519, HS256, PyJWT) signed with a key derived from the installation's key file
(``SecretBox.derive_key``), so any API process can check a token without a database read. Its
``kid`` header is the id of the API key that asked for it: the caller checks that key is still
usable on every call, so rotating or revoking the key ends its tokens at once. The SDKs decode
only ``exp`` (they refresh a minute before it); they never check the signature.

A token may be scoped (``user_id``, ``product``, ``partner_params``, ``payload``): later calls
take those fields from the token. The payload's personal data (names, ID number, e-mail, phone,
callback URL) is sealed inside the token (``SecretBox``; Smile ID puts opaque ``pii_…``
references there): a token handed to a phone app shows nobody the person it is for.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt

from openkyc.crypto import DecryptionError, SecretBox
from openkyc.signing.environment import Environment

ALGORITHM = "HS256"
ISSUER = "openkyc"
LIFETIME = timedelta(minutes=15)
_PURPOSE = b"openkyc v3 session tokens v1"
# Fields of a token's payload kept readable in the token (Smile ID keeps these in clear too).
CLEAR_PAYLOAD_FIELDS = ("country", "id_type", "consent")
# Fields sealed into the token: they name or reach a person.
SEALED_PAYLOAD_FIELDS = ("id_number", "given_names", "last_name", "email", "phone_number", "callback_url")
# A token a client sends may be long (scoped ones carry a sealed payload), never this long.
MAX_TOKEN_LENGTH = 8192


class InvalidToken(Exception):
    """Missing, malformed, forged, expired or not ours. The reason is for the log, never the answer."""


@dataclass(frozen=True)
class TokenScope:
    """What a token binds later calls to (each None or empty when it binds nothing)."""

    user_id: str | None = None
    product: str | None = None
    partner_params: dict[str, str] | None = None
    # The person's data the token binds (names, ID number...): never in a repr.
    payload: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class TokenClaims:
    partner_id: str
    key_id: str  # the API key that asked for the token
    environment: Environment
    issued_at: datetime
    expires_at: datetime
    token_id: str
    scope: TokenScope


def _key(box: SecretBox) -> bytes:
    return box.derive_key(_PURPOSE)


def _seal(box: SecretBox, fields: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(box.encrypt(json.dumps(fields).encode())).decode().rstrip("=")


def _unseal(box: SecretBox, text: str) -> dict[str, Any]:
    try:
        opened = json.loads(box.decrypt(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))))
    except (DecryptionError, ValueError) as error:
        raise InvalidToken("the token's sealed payload does not open") from error
    if not isinstance(opened, dict):
        raise InvalidToken("the token's sealed payload is not an object")
    return opened


def issue(
    box: SecretBox,
    *,
    partner_id: str,
    key_id: str,
    environment: Environment,
    now: datetime,
    scope: TokenScope | None = None,
    lifetime: timedelta = LIFETIME,
) -> str:
    """A signed token for ``partner_id``'s key ``key_id``, valid for ``lifetime`` from ``now``."""
    scope = scope or TokenScope()
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": partner_id,
        "env": environment.value,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": secrets.token_urlsafe(12),
        # Smile ID's tokens carry the partner's security policies as a bitmask; openkyc has none.
        "policy": 0,
    }
    if scope.user_id is not None:
        claims["user_id"] = scope.user_id
    if scope.product is not None:
        claims["product"] = scope.product
    if scope.partner_params:
        claims["partner_params"] = scope.partner_params
    if scope.payload:
        clear = {name: scope.payload[name] for name in CLEAR_PAYLOAD_FIELDS if name in scope.payload}
        sealed = {name: scope.payload[name] for name in SEALED_PAYLOAD_FIELDS if name in scope.payload}
        claims["payload"] = {**clear, **({"sealed": _seal(box, sealed)} if sealed else {})}
    return jwt.encode(claims, _key(box), algorithm=ALGORITHM, headers={"kid": key_id})


def read(box: SecretBox, token: str, *, now: datetime) -> TokenClaims:
    """The claims of a token this installation issued and that has not expired at ``now``.

    Raises InvalidToken otherwise. Whether its key is still usable is the caller's check.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("no token, or one too long")
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(
            token,
            _key(box),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "env", "jti"], "verify_exp": False},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(f"not a token of ours ({type(error).__name__})") from error
    key_id, expires = header.get("kid"), claims["exp"]
    if not isinstance(key_id, str) or not isinstance(expires, int) or not isinstance(claims["iat"], int):
        raise InvalidToken("the token's key id or times are malformed")
    # Checked here against the caller's clock rather than PyJWT's, so tests and the server agree.
    if expires <= now.timestamp():
        raise InvalidToken("the token has expired")
    try:
        environment = Environment(claims["env"])
    except ValueError as error:
        raise InvalidToken("the token names no environment") from error
    payload = claims.get("payload") or {}
    if not isinstance(payload, dict):
        raise InvalidToken("the token's payload is not an object")
    opened = {name: value for name, value in payload.items() if name != "sealed"}
    if isinstance(payload.get("sealed"), str):
        opened.update(_unseal(box, payload["sealed"]))
    return TokenClaims(
        partner_id=str(claims["sub"]),
        key_id=key_id,
        environment=environment,
        issued_at=datetime.fromtimestamp(claims["iat"], tz=now.tzinfo),
        expires_at=datetime.fromtimestamp(expires, tz=now.tzinfo),
        token_id=str(claims["jti"]),
        scope=TokenScope(
            user_id=claims.get("user_id"),
            product=claims.get("product"),
            partner_params=claims.get("partner_params") or None,
            payload=opened,
        ),
    )
