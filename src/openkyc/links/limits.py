"""Rate limits of the hosted capture page: per link, per client address and per visit.

The page is public (anyone holding a multi-use link may open it) and each of its actions costs
the server something: a visit is a row, a quality check runs face detection, a submission a whole
job. Each action is counted in the database (every API process sees the same counts) over a
sliding window, under keys that are HMACs (blind_index.LINK_LIMIT): no address in clear.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from openkyc.blind_index import LINK_LIMIT, index_key
from openkyc.crypto import SecretBox
from openkyc.links.models import LinkEvent

WINDOW = timedelta(minutes=10)


class Action(StrEnum):
    VISIT = "visit"  # a visit started (consent given, an ID type chosen)
    CHECK = "check"  # an image's quality checked
    SUBMIT = "submit"  # a submission tried


@dataclass(frozen=True)
class Limit:
    per_client: int  # from one client address, whatever the link
    per_link: int  # on one link, whoever the client
    per_visit: int | None  # within one visit (its token); None: not counted per visit


# Generous for a person (a retake or ten, a reload), small against a script: a visit needs a
# dozen checks at most; a link used by a crowd (a branch's queue) starts a few visits a minute.
LIMITS = {
    Action.VISIT: Limit(per_client=20, per_link=300, per_visit=None),
    Action.CHECK: Limit(per_client=240, per_link=3000, per_visit=80),
    Action.SUBMIT: Limit(per_client=10, per_link=300, per_visit=5),
}


def _key(box: SecretBox, action: Action, scope: str, value: str) -> str:
    message = f"{action.value}\n{scope}\n{value}".encode()
    return hmac.new(index_key(box, LINK_LIMIT), message, hashlib.sha256).hexdigest()


def _count(db_session: Session, key: str, now: datetime) -> int:
    found = db_session.scalar(
        select(func.count())
        .select_from(LinkEvent)
        .where(LinkEvent.key_digest == key, LinkEvent.at > now - WINDOW)
    )
    return int(found or 0)


def allow(
    db_session: Session,
    box: SecretBox,
    action: Action,
    *,
    client: str,
    ref_id: str,
    visit: str | None = None,
    now: datetime,
) -> bool:
    """Count the action and say whether it is within its limits (a refused one counts too, so a
    script that keeps trying stays refused until it stops for a window)."""
    limit = LIMITS[action]
    keys = [
        (_key(box, action, "client", client), limit.per_client),
        (_key(box, action, "link", ref_id), limit.per_link),
    ]
    if visit is not None and limit.per_visit is not None:
        keys.append((_key(box, action, "visit", visit), limit.per_visit))
    allowed = all(_count(db_session, key, now) < most for key, most in keys)
    db_session.add_all(LinkEvent(key_digest=key, at=now) for key, _ in keys)
    # Old rows count for nothing: dropped here so the table stays the size of one window.
    db_session.execute(delete(LinkEvent).where(LinkEvent.at <= now - WINDOW))
    return allowed
