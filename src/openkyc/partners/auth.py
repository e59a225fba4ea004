"""Who is calling: a request's sid_request signature checked against the partner's keys.

Every refusal is a WARNING in the server log with the partner id and a reason category (unknown
partner, no active key, signature mismatch, stale timestamp, production not enabled...), while
the answer stays the documented one: an unknown partner and a wrong key both get the same 2205,
so only the operator, not the caller, learns which it was. WARNING rather than INFO: in normal
operation a refusal means someone has something to fix (a client's key, clock or signing code,
an operator's production switch) or is probing, and a server run at OPENKYC_LOG_LEVEL=WARNING
must still show it. Nothing secret is logged: no signature, no key, no timestamp, and a partner
id that matches no partner is quoted, cut short and redacted like any message text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from openkyc.api_errors import PRODUCTION_NOT_ENABLED, ApiError
from openkyc.config import Settings
from openkyc.crypto import SecretBox
from openkyc.db import transaction, utcnow
from openkyc.observability.context import bind_partner, set_partner
from openkyc.partners.key_cache import KeyCache, PartnerKeys
from openkyc.partners.models import Partner
from openkyc.partners.service import usable_keys
from openkyc.signing import (
    BadTimestampFormat,
    CandidateKey,
    MissingCredential,
    SidRequestError,
    StaleRequest,
    WrongDataType,
    credentials_from_request,
    verify_sid_request,
)
from openkyc.signing.environment import Environment
from openkyc.signing.errors import describe_duration

log = logging.getLogger(__name__)

# The command that lifts a 2220, named in the log next to it (openkyc.cli.partners).
ENABLE_PRODUCTION_COMMAND = "openkyc partners enable-production --partner-id {partner_id}"
# How much of an unknown partner id a log line repeats.
MAX_LOGGED_PARTNER_ID = 32


class AuthDeps(Protocol):
    """What checking a signature needs of the runtime (openkyc.runtime.Runtime has it all); named
    here because the runtime, built above partners/, holds this package's key cache."""

    @property
    def settings(self) -> Settings: ...

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def box(self) -> SecretBox: ...

    @property
    def key_cache(self) -> KeyCache: ...


def _load_keys(runtime: AuthDeps, partner_id: str) -> PartnerKeys:
    with transaction(runtime.sessions) as session:
        partner = session.get(Partner, partner_id)
        if partner is None:
            return PartnerKeys(exists=False, production_enabled=False, keys=())
        keys = usable_keys(db_session=session, box=runtime.box, partner_id=partner.id)
        return PartnerKeys(exists=True, production_enabled=partner.production_enabled, keys=tuple(keys))


@dataclass(frozen=True)
class Caller:
    """An authenticated partner, the key that signed and that key's environment."""

    partner_id: str
    key_id: str
    environment: Environment
    api_key: str  # responses to this request are signed with the same key


def authenticate(
    runtime: AuthDeps, *, headers: Mapping[str, str], body: Mapping[str, object] | None
) -> Caller:
    """Verify the body or SmileID-* header signature; raise the documented 2204/2205/2220 otherwise
    (each refusal logged: see the module docstring)."""
    try:
        credentials = credentials_from_request(headers, body)
    except SidRequestError as error:
        log.warning("request refused (answered %s): %s", error.code, refusal_reason(error, None))
        raise
    known = runtime.key_cache.get(credentials.partner_id, lambda: _load_keys(runtime, credentials.partner_id))
    keys, production_enabled = known.keys, known.production_enabled
    candidates = [
        CandidateKey(key_id=k.key_id, secret=k.secret, environment=k.environment, active=k.active)
        for k in keys
    ]
    try:
        matched = verify_sid_request(credentials, candidates, utcnow(), runtime.settings.signature_freshness)
    except SidRequestError as error:
        _log_refusal(credentials.partner_id, known, error)
        raise
    if matched.environment == Environment.PRODUCTION and not production_enabled:
        with bind_partner(credentials.partner_id):
            log.warning(
                "partner %s signed with a production key, but production is not enabled for it "
                "(answered 2220); to enable it, run with this server's settings: %s",
                credentials.partner_id,
                ENABLE_PRODUCTION_COMMAND.format(partner_id=credentials.partner_id),
            )
        raise ApiError(PRODUCTION_NOT_ENABLED)
    set_partner(credentials.partner_id)  # the rest of this request's log lines name the partner
    return Caller(
        partner_id=credentials.partner_id,
        key_id=matched.key_id,
        environment=Environment(matched.environment),
        api_key=matched.key.secret,
    )


def refusal_reason(error: SidRequestError, known: PartnerKeys | None) -> str:
    """The reason category of a refused signature, for the log only (the caller's answer does not
    tell an unknown partner from a wrong key). ``known``: what the partner's look-up found."""
    if isinstance(error, MissingCredential):
        return f"no {error.field}"
    if isinstance(error, WrongDataType):
        return f"{error.field} of the wrong type"
    if isinstance(error, BadTimestampFormat):
        return "timestamp in an unrecognised format"
    if isinstance(error, StaleRequest):
        age, window = describe_duration(error.age), describe_duration(error.window)
        if error.in_future:
            return f"timestamp {age} in the future (more than the {window} allowed: the client's clock?)"
        return f"stale timestamp: signed {age} ago, more than the {window} allowed"
    if known is None or not known.exists:
        return "unknown partner"
    if not known.keys:
        return "the partner has no API key"
    if not any(key.active for key in known.keys):
        return "the partner has no active API key (all revoked)"
    return "signature mismatch: not made with any of the partner's active keys"


def _log_refusal(partner_id: str, known: PartnerKeys, error: SidRequestError) -> None:
    reason = refusal_reason(error, known)
    if known.exists:
        with bind_partner(partner_id):
            log.warning("request refused (answered %s) for partner %s: %s", error.code, partner_id, reason)
    else:
        # Whatever the caller sent as partner id: quoted (no line breaks), short, redacted as text.
        quoted = json.dumps(partner_id[:MAX_LOGGED_PARTNER_ID])
        log.warning("request refused (answered %s) for partner id %s: %s", error.code, quoted, reason)
