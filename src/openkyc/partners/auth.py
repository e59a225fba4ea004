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

import functools
import hmac
import json
import logging
from collections.abc import Callable, Mapping
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
from openkyc.partners.service import UsableKey, usable_keys
from openkyc.signing import (
    BadTimestampFormat,
    CandidateKey,
    MatchedKey,
    MissingCredential,
    SidRequestError,
    SignatureMismatch,
    SignedCredentials,
    StaleRequest,
    UnknownPartner,
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
    load = functools.partial(_load_keys, runtime, credentials.partner_id)
    known = runtime.key_cache.get(credentials.partner_id, load)
    try:
        matched = _verify(runtime, credentials, known)
    except (SignatureMismatch, UnknownPartner):
        # Perhaps a key (or partner) made moments ago by another process (a rotation in the portal, the CLI):
        # read the keys again before refusing. A good signature never gets here.
        known = runtime.key_cache.fresh(credentials.partner_id, load)
        try:
            matched = _verify(runtime, credentials, known)
        except SidRequestError as error:
            _log_refusal(credentials.partner_id, known, error)
            raise
    except SidRequestError as error:
        _log_refusal(credentials.partner_id, known, error)
        raise
    production_enabled = known.production_enabled
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


def _verify(
    runtime: AuthDeps, credentials: SignedCredentials, known: PartnerKeys
) -> MatchedKey[CandidateKey]:
    candidates = [
        CandidateKey(key_id=k.key_id, secret=k.secret, environment=k.environment, active=k.active)
        for k in known.keys
    ]
    return verify_sid_request(credentials, candidates, utcnow(), runtime.settings.signature_freshness)


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


def _known_keys(
    runtime: AuthDeps, partner_id: str, wanted: Callable[[UsableKey], bool]
) -> tuple[PartnerKeys, UsableKey | None]:
    """The partner's keys and the active one ``wanted`` picks, read again (throttled, as for a
    refused signature) when the cached keys have none: a key made a moment ago elsewhere works."""
    load = functools.partial(_load_keys, runtime, partner_id)
    known = runtime.key_cache.get(partner_id, load)
    found = next((key for key in known.keys if key.active and wanted(key)), None)
    if found is None:
        known = runtime.key_cache.fresh(partner_id, load)
        found = next((key for key in known.keys if key.active and wanted(key)), None)
    return known, found


def caller_with_api_key(runtime: AuthDeps, *, partner_id: str, api_key: str) -> Caller | None:
    """The V3 API's token request: the partner whose active key ``api_key`` is (compared in
    constant time), None when there is none. Refusals are logged with a reason category only."""
    given = api_key.encode("utf-8", "surrogatepass")
    known, key = _known_keys(
        runtime, partner_id, lambda key: hmac.compare_digest(key.secret.encode("utf-8"), given)
    )
    if key is None:
        with bind_partner(partner_id[:MAX_LOGGED_PARTNER_ID]):
            log.warning(
                "V3 token refused for partner %s: %s",
                partner_id[:MAX_LOGGED_PARTNER_ID],
                "unknown partner" if not known.exists else "no active key matches the API key",
            )
        return None
    set_partner(partner_id)
    return Caller(partner_id=partner_id, key_id=key.key_id, environment=key.environment, api_key=key.secret)


def caller_with_key_id(runtime: AuthDeps, *, partner_id: str, key_id: str) -> tuple[Caller, bool] | None:
    """The V3 API's token check: the partner's key ``key_id`` if it is still active (a rotated or
    revoked key ends its tokens), with whether production is enabled for the partner."""
    known, key = _known_keys(runtime, partner_id, lambda key: key.key_id == key_id)
    if key is None:
        return None
    set_partner(partner_id)
    caller = Caller(partner_id=partner_id, key_id=key.key_id, environment=key.environment, api_key=key.secret)
    return caller, known.production_enabled
