"""Who is calling: a request's sid_request signature checked against the partner's keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from openkyc.api_errors import PRODUCTION_NOT_ENABLED, ApiError
from openkyc.config import Settings
from openkyc.crypto import SecretBox
from openkyc.db import transaction, utcnow
from openkyc.observability.context import set_partner
from openkyc.partners.key_cache import KeyCache, PartnerKeys
from openkyc.partners.models import Partner
from openkyc.partners.service import usable_keys
from openkyc.signing import CandidateKey, credentials_from_request, verify_sid_request
from openkyc.signing.environment import Environment


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
    """Verify the body or SmileID-* header signature; raise the documented 2204/2205/2220 otherwise."""
    credentials = credentials_from_request(headers, body)
    known = runtime.key_cache.get(credentials.partner_id, lambda: _load_keys(runtime, credentials.partner_id))
    keys, production_enabled = known.keys, known.production_enabled
    candidates = [
        CandidateKey(key_id=k.key_id, secret=k.secret, environment=k.environment, active=k.active)
        for k in keys
    ]
    matched = verify_sid_request(credentials, candidates, utcnow(), runtime.settings.signature_freshness)
    if matched.environment == Environment.PRODUCTION and not production_enabled:
        raise ApiError(PRODUCTION_NOT_ENABLED)
    set_partner(credentials.partner_id)  # the rest of this request's log lines name the partner
    return Caller(
        partner_id=credentials.partner_id,
        key_id=matched.key_id,
        environment=Environment(matched.environment),
        api_key=matched.key.secret,
    )
