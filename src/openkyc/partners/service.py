"""Partners and API keys: create, list, revoke, rotate; the keys a signature is checked against."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from openkyc import audit
from openkyc.audit.service import MAX_DETAIL_TEXT
from openkyc.crypto import SecretBox, fingerprint
from openkyc.db import utcnow
from openkyc.partners.models import ApiKey, Partner
from openkyc.signing.environment import Environment

FIRST_PARTNER_ID = 1001
MAX_CALLBACK_URL = 2048  # the columns' size (partners.sandbox_callback_url, production_callback_url)


class PartnerNotFound(LookupError):
    pass


class KeyNotFound(LookupError):
    pass


class InvalidCallbackUrl(ValueError):
    """A default callback URL refused before it is stored; the message says why."""


@dataclass(frozen=True)
class IssuedKey:
    """A newly created key: the only moment its secret is shown."""

    key_id: str
    partner_id: str
    environment: Environment
    api_key: str


@dataclass(frozen=True)
class UsableKey:
    """A decrypted key a request's signature may be checked against."""

    key_id: str
    partner_id: str
    environment: Environment
    secret: str
    active: bool


def create_partner(
    *, db_session: Session, box: SecretBox, name: str, actor: audit.Actor | None = None
) -> tuple[Partner, dict[Environment, IssuedKey]]:
    """A new partner with one sandbox and one production key (production stays disabled).

    ``actor`` here and below: who is audited as doing it, the local operator unless said otherwise.
    """
    numeric_ids = [int(pid) for pid in db_session.scalars(select(Partner.id)) if pid.isdigit()]
    partner = Partner(id=str(max([FIRST_PARTNER_ID - 1, *numeric_ids]) + 1), name=name)
    db_session.add(partner)
    db_session.flush()
    audit.record(
        db_session,
        actor=actor or audit.operator(),
        action="partner.created",
        target_type="partner",
        target_id=partner.id,
    )
    keys = {
        env: create_key(db_session=db_session, box=box, partner_id=partner.id, environment=env, actor=actor)
        for env in Environment
    }
    return partner, keys


def get_partner(*, db_session: Session, partner_id: str) -> Partner:
    partner = db_session.get(Partner, partner_id)
    if partner is None:
        raise PartnerNotFound(partner_id)
    return partner


def list_partners(*, db_session: Session) -> list[Partner]:
    return list(db_session.scalars(select(Partner).order_by(Partner.created_at)))


def set_production_enabled(
    *, db_session: Session, partner_id: str, enabled: bool, actor: audit.Actor | None = None
) -> Partner:
    """Allow (or refuse again, with 2220) the partner's production keys; audited."""
    partner = get_partner(db_session=db_session, partner_id=partner_id)
    audit.record(
        db_session,
        actor=actor or audit.operator(),
        action="partner.production_enabled" if enabled else "partner.production_disabled",
        target_type="partner",
        target_id=partner_id,
        detail={"before": partner.production_enabled, "after": enabled},
    )
    partner.production_enabled = enabled
    return partner


def callback_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a default callback URL (not an http(s) URL with a host, too long,
    spaces or control characters), None when it can. Whether delivery may reach it is the SSRF
    policy's judgement, made at each attempt (callbacks.service.always_refused says it early)."""
    if len(url) > MAX_CALLBACK_URL:
        return f"the URL is longer than {MAX_CALLBACK_URL} characters"
    if any(char.isspace() or not char.isprintable() for char in url):
        return "the URL holds spaces or control characters"
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number in 0-65535 raises here
    except ValueError:
        return "the URL cannot be read (its host or port)"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "the URL must be an http(s) URL with a host"
    return None


def set_default_callback_url(
    *,
    db_session: Session,
    partner_id: str,
    environment: Environment,
    url: str | None,
    actor: audit.Actor | None = None,
) -> Partner:
    """Where results of ``environment``'s jobs sent without a callback_url go (None: nowhere);
    audited with the receiving host only, since a URL's path and query may carry the partner's
    own secret."""
    problem = None if url is None else callback_url_problem(url)
    if problem is not None:
        raise InvalidCallbackUrl(problem)
    partner = get_partner(db_session=db_session, partner_id=partner_id)
    host = urlsplit(url).hostname if url is not None else None
    audit.record(
        db_session,
        actor=actor or audit.operator(),
        action="partner.callback_url_set",
        target_type="partner",
        target_id=partner_id,
        detail={
            "host": host[:MAX_DETAIL_TEXT] if host else None,
            "environment": environment.value,
            "cleared": url is None,
            "changed": partner.callback_url_for(environment.value) != url,
        },
    )
    if environment is Environment.PRODUCTION:
        partner.production_callback_url = url
    else:
        partner.sandbox_callback_url = url
    return partner


def create_key(
    *,
    db_session: Session,
    box: SecretBox,
    partner_id: str,
    environment: Environment,
    actor: audit.Actor | None = None,
) -> IssuedKey:
    """A new active key; a partner may hold several at once (one per integration)."""
    get_partner(db_session=db_session, partner_id=partner_id)
    secret = str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))
    key = ApiKey(
        id=f"key_{secrets.token_hex(8)}",
        partner_id=partner_id,
        environment=environment,
        secret_encrypted=box.encrypt_text(secret),
        fingerprint=fingerprint(secret),
    )
    db_session.add(key)
    db_session.flush()
    audit.record(
        db_session,
        actor=actor or audit.operator(),
        action="api_key.created",
        target_type="api_key",
        target_id=key.id,
        detail={"partner_id": partner_id, "environment": environment.value},
    )
    return IssuedKey(key_id=key.id, partner_id=partner_id, environment=environment, api_key=secret)


def list_keys(
    *, db_session: Session, partner_id: str, environment: Environment | None = None
) -> list[ApiKey]:
    query = select(ApiKey).where(ApiKey.partner_id == partner_id)
    if environment is not None:
        query = query.where(ApiKey.environment == environment)
    return list(db_session.scalars(query.order_by(ApiKey.created_at)))


def newest_active_key(*, db_session: Session, partner_id: str, environment: Environment) -> ApiKey | None:
    """The partner's most recently created active key of ``environment``: the one an integration
    was most likely just given, which signs what no particular key asked for."""
    active = [
        key
        for key in list_keys(db_session=db_session, partner_id=partner_id, environment=environment)
        if key.active
    ]
    return active[-1] if active else None


def describe_key(key: ApiKey) -> dict[str, object]:
    """A key as listings show it: never its secret, only a fingerprint."""
    return {
        "key_id": key.id,
        "environment": key.environment,
        "fingerprint": key.fingerprint,
        "active": key.active,
        "created_at": key.created_at.isoformat(),
    }


def revoke_key(
    *, db_session: Session, partner_id: str, key_id: str, actor: audit.Actor | None = None
) -> ApiKey:
    key = db_session.get(ApiKey, key_id)
    if key is None or key.partner_id != partner_id:
        raise KeyNotFound(key_id)
    audit.record(
        db_session,
        actor=actor or audit.operator(),
        action="api_key.revoked",
        target_type="api_key",
        target_id=key_id,
        detail={"partner_id": partner_id, "was_active": key.active},
    )
    if key.active:
        key.active = False
        key.revoked_at = utcnow()
    return key


def rotate_key(
    *, db_session: Session, box: SecretBox, partner_id: str, key_id: str, actor: audit.Actor | None = None
) -> IssuedKey:
    """A new key for the same environment; the old one stops working at once."""
    old = revoke_key(db_session=db_session, partner_id=partner_id, key_id=key_id, actor=actor)
    new = create_key(
        db_session=db_session,
        box=box,
        partner_id=partner_id,
        environment=Environment(old.environment),
        actor=actor,
    )
    audit.record(
        db_session,
        actor=actor or audit.operator(),
        action="api_key.rotated",
        target_type="api_key",
        target_id=key_id,
        detail={"partner_id": partner_id, "new_key_id": new.key_id},
    )
    return new


def usable_keys(*, db_session: Session, box: SecretBox, partner_id: str) -> list[UsableKey]:
    """Every key of the partner, decrypted, for signature checks (revoked ones marked inactive)."""
    return [
        UsableKey(
            key_id=key.id,
            partner_id=key.partner_id,
            environment=Environment(key.environment),
            secret=box.decrypt_text(key.secret_encrypted),
            active=key.active,
        )
        for key in list_keys(db_session=db_session, partner_id=partner_id)
    ]


def key_secret(*, db_session: Session, box: SecretBox, key_id: str) -> str:
    """The secret of one key (responses and callbacks are signed with the job's originating key)."""
    key = db_session.get(ApiKey, key_id)
    if key is None:
        raise KeyNotFound(key_id)
    return box.decrypt_text(key.secret_encrypted)
