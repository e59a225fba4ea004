"""The per-ID-number rate limit (docs "Rate Limits", compatibility §4.10).

The docs: "a total of 30 requests, where each request comes within 3 days of each other. 3 days
after a request comes in, the limit for that unique ID number will be reset." Precisely, per
(partner, environment, country, id_type, ID number):

* requests form a *streak* while each comes less than ``WINDOW`` (3 days) after the previous one;
  a request ``WINDOW`` or more after the previous one starts a new streak at 1;
* the first ``LIMIT`` (30) requests of a streak are allowed; the 31st and later are blocked
  (HTTP 429, code 2222);
* blocked requests still count as requests that "come in", so they keep the streak alive: a client
  that keeps retrying stays blocked until it pauses for 3 days or the partner calls the reset
  endpoint — which is what the docs tell partners to do;
* a reset forgets the streak at once.

ID numbers are compared after trimming and upper-casing (authorities treat "a0000000" and
"A0000000" alike) and stored only as an HMAC-SHA256 under a key derived from the master key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openkyc.api_errors import RATE_LIMITED, ApiError
from openkyc.blind_index import RATE_LIMIT, index_key, number_digest
from openkyc.crypto import SecretBox
from openkyc.db import rows_matched, transaction, utcnow
from openkyc.ratelimit.models import IdNumberRequests
from openkyc.runtime import Runtime

LIMIT = 30
WINDOW = timedelta(days=3)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int  # requests in the current streak, this one included


def digest_key(box: SecretBox) -> bytes:
    """The HMAC key for ID numbers: stable per installation so counts survive restarts."""
    return index_key(box, RATE_LIMIT)


def record_request(
    *,
    db_session: Session,
    key: bytes,
    partner_id: str,
    environment: str,
    country: str,
    id_type: str,
    id_number: str,
    now: datetime,
) -> Decision:
    """Count one request for this ID number and say whether it is within the limit (no commit)."""
    where = {
        "partner_id": partner_id,
        "environment": environment,
        "country": country.strip().upper(),
        "id_type": id_type.strip().upper(),
        "id_number_digest": number_digest(key, id_number),
    }
    row = _get_or_create(db_session, where, now)
    if now - row.last_request_at >= WINDOW:
        row.count = 0
        row.streak_started_at = now
    row.count += 1
    row.last_request_at = max(row.last_request_at, now)
    db_session.flush()
    return Decision(allowed=row.count <= LIMIT, count=row.count)


def _get_or_create(db_session: Session, where: dict[str, str], now: datetime) -> IdNumberRequests:
    query = select(IdNumberRequests).filter_by(**where).with_for_update()
    row = db_session.scalars(query).one_or_none()
    if row is not None:
        return row
    try:
        # A savepoint, so that losing the insert race to a concurrent request rolls back only this.
        with db_session.begin_nested():
            row = IdNumberRequests(**where, count=0, streak_started_at=now, last_request_at=now)
            db_session.add(row)
        return row
    except IntegrityError:
        return db_session.scalars(query).one()


def reset(
    *,
    db_session: Session,
    key: bytes,
    partner_id: str,
    environment: str,
    id_type: str,
    id_number: str,
    country: str | None = None,
) -> int:
    """Forget the streak of this ID number (in every country when none is given); rows removed."""
    statement = delete(IdNumberRequests).where(
        IdNumberRequests.partner_id == partner_id,
        IdNumberRequests.environment == environment,
        IdNumberRequests.id_type == id_type.strip().upper(),
        IdNumberRequests.id_number_digest == number_digest(key, id_number),
    )
    if country:
        statement = statement.where(IdNumberRequests.country == country.strip().upper())
    result = db_session.execute(statement)
    return rows_matched(result)


def check_and_record(
    runtime: Runtime,
    *,
    partner_id: str,
    environment: str,
    country: str,
    id_type: str,
    id_number: str,
    now: datetime | None = None,
) -> Decision:
    """What an ID look-up product calls first: records the request, raises 2222/429 past the limit.

    Commits in its own transaction before raising, so that a blocked request is counted even
    though the caller's work is abandoned.
    """
    with transaction(runtime.sessions) as session:
        decision = record_request(
            db_session=session,
            key=digest_key(runtime.box),
            partner_id=partner_id,
            environment=environment,
            country=country,
            id_type=id_type,
            id_number=id_number,
            now=now or utcnow(),
        )
    if not decision.allowed:
        raise ApiError(RATE_LIMITED)
    return decision


def release(
    runtime: Runtime,
    *,
    partner_id: str,
    environment: str,
    country: str,
    id_type: str,
    id_number: str,
) -> None:
    """Take back one counted request: the authority was unavailable, so no look-up was made and
    the partner, who is not at fault, may retry without nearing the limit."""
    with transaction(runtime.sessions) as session:
        row = session.scalars(
            select(IdNumberRequests)
            .filter_by(
                partner_id=partner_id,
                environment=environment,
                country=country.strip().upper(),
                id_type=id_type.strip().upper(),
                id_number_digest=number_digest(digest_key(runtime.box), id_number),
            )
            .with_for_update()
        ).one_or_none()
        if row is not None and row.count > 0:
            row.count -= 1
