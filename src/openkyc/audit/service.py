"""Recording audit events (inside the caller's transaction) and reading them back."""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from openkyc.audit.models import AuditEvent
from openkyc.db import utcnow
from openkyc.observability.context import current_fields

Scalar = str | int | float | bool | None
MAX_DETAIL_TEXT = 200


class ActorType(StrEnum):
    PARTNER = "partner"
    OPERATOR = "operator"
    REVIEWER = "reviewer"
    SYSTEM = "system"
    PORTAL_USER = "portal_user"  # a partner's team member signed in to the portal, by account id


@dataclass(frozen=True)
class Actor:
    """Who did it: a partner (by id), a local operator or reviewer (by OS account), or openkyc itself."""

    type: ActorType
    id: str

    @classmethod
    def partner(cls, partner_id: str) -> Actor:
        return cls(ActorType.PARTNER, partner_id)

    @classmethod
    def portal_user(cls, user_id: int) -> Actor:
        # The account's number, never its e-mail address (personal data).
        return cls(ActorType.PORTAL_USER, str(user_id))


SYSTEM = Actor(ActorType.SYSTEM, "openkyc")


def _os_user() -> str:
    # The CLI runs on the server as some account: that account is who acted.
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return "unknown"


def operator() -> Actor:
    """The operator running this process (CLI commands, `openkyc serve`)."""
    return Actor(ActorType.OPERATOR, _os_user())


def reviewer() -> Actor:
    """A human reviewer deciding a job (today through the CLI, as the OS account running it)."""
    return Actor(ActorType.REVIEWER, _os_user())


def record(
    db_session: Session,
    *,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str,
    detail: Mapping[str, Scalar] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Append one event, committed (or rolled back) with the change it records.

    ``detail`` takes flat scalars only (ids, counts, flags), so no image or record can slip in;
    callers must never pass names, ID numbers or dates of birth.
    """
    clean = _checked(detail or {})
    event = AuditEvent(
        at=utcnow(),
        actor_type=actor.type.value,
        actor_id=actor.id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=clean,
        request_id=request_id or current_fields().get("request_id"),
    )
    db_session.add(event)
    return event


def _checked(detail: Mapping[str, Scalar]) -> dict[str, Scalar]:
    for key, value in detail.items():
        if not isinstance(value, str | int | float | bool) and value is not None:
            raise ValueError(f"audit detail {key!r} must be a scalar, not {type(value).__name__}")
        if isinstance(value, str) and len(value) > MAX_DETAIL_TEXT:
            raise ValueError(f"audit detail {key!r} is longer than {MAX_DETAIL_TEXT} characters")
    return dict(detail)


def list_events(
    db_session: Session, *, since: datetime | None = None, limit: int | None = None
) -> list[AuditEvent]:
    """Events in the order they were recorded, from ``since`` on."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if limit is not None:
        query = query.limit(limit)
    return list(db_session.scalars(query))


def describe(event: AuditEvent) -> dict[str, object]:
    """An event as plain JSON (CLI output)."""
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "detail": event.detail,
        "request_id": event.request_id,
    }
