"""A link's visits: the web token a visitor gets on consenting, and its one job.

Opening the page needs only the link (its URL is the invitation). Consenting and choosing an ID
type starts a visit: a hosted-web token (``links.service``) bound to the link, its environment,
the visitor's user id and a new job id, the chosen ID type and the link's callback. The page then
holds the token (an HttpOnly cookie) instead of any signature. A token submits one job: it is
claimed (compare-and-set on ``submitted_at``) before the job is opened and released again if the
job is refused, so a double tap or a replay cannot open two; a single-use link is spent the same
way, in the same transaction, so two visitors racing on one link get one job between them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from openkyc.db import rows_matched
from openkyc.links import manage, service
from openkyc.links.manage import LinkIdType, LinkState
from openkyc.links.models import SmileLink, VerificationMethod, WebProduct, WebToken
from openkyc.partners.models import Partner
from openkyc.signing.environment import Environment

VISIT_TTL = timedelta(hours=1)
# Job ids of link jobs start with this, so they stand out in lists and job_status.
JOB_ID_PREFIX = "link-"


class LinkClosed(Exception):
    """The link cannot be used now: unknown, disabled, expired or (single use) used."""

    def __init__(self, state: LinkState | None) -> None:
        super().__init__(state.value if state else "unknown")
        self.state = state


class VisitRefused(Exception):
    """No usable visit behind the request's token (none, expired, or its job already sent)."""


@dataclass(frozen=True)
class Visit:
    token_hash: str
    link: SmileLink
    id_type: LinkIdType
    user_id: str
    job_id: str
    submitted: bool


def new_job_id() -> str:
    return f"{JOB_ID_PREFIX}{secrets.token_hex(10)}"


def open_link(db_session: Session, slug: str, now: datetime) -> SmileLink:
    link = manage.link_by_slug(db_session, slug)
    if link is None:
        raise LinkClosed(None)
    state = _state(db_session, link, now)
    if state is not LinkState.ACTIVE:
        raise LinkClosed(state)
    return link


def _state(db_session: Session, link: SmileLink, now: datetime) -> LinkState:
    """The link's state, a production link counting as disabled while its partner's production is
    (switched off after the link was made: nobody may then start production jobs through it)."""
    state = manage.state_of(link, now)
    if state is LinkState.ACTIVE and link.environment == Environment.PRODUCTION.value:
        partner = db_session.get(Partner, link.partner_id)
        if partner is None or not partner.production_enabled:
            return LinkState.DISABLED
    return state


def choices(link: SmileLink) -> list[LinkIdType]:
    """The link's ID types, in its order (each checked when the link was made)."""
    return [
        LinkIdType(entry["country"], entry["id_type"], VerificationMethod(entry["verification_method"]))
        for entry in link.id_types
    ]


def start_visit(db_session: Session, link: SmileLink, choice: int, now: datetime) -> service.IssuedToken:
    """A new visit of ``link`` for its ``choice``-th ID type; IndexError for a choice it lacks."""
    offered = choices(link)
    if not 0 <= choice < len(offered):
        raise IndexError(choice)
    chosen = offered[choice]
    ttl = VISIT_TTL
    if link.expires_at is not None:
        ttl = max(min(ttl, link.expires_at - now), timedelta(seconds=1))
    issued = service.issue_token(
        db_session=db_session,
        partner_id=link.partner_id,
        environment=link.environment,
        api_key_id=manage.source_key(link.ref_id),
        user_id=link.user_id if link.is_single_use and link.user_id else manage.new_user_id(),
        job_id=new_job_id(),
        product=WebProduct(chosen.verification_method.value),
        callback_url=link.callback_url,
        now=now,
        ttl=ttl,
    )
    grant = db_session.get(WebToken, service.token_hash(issued.token))
    if grant is None:  # issue_token flushed it in this very transaction
        raise RuntimeError("the visit's token was not stored")
    grant.link_ref_id, grant.country, grant.id_type = link.ref_id, chosen.country, chosen.id_type
    return issued


def visit_of(db_session: Session, token: str | None, now: datetime) -> Visit:
    """The visit behind ``token``, its link still open; VisitRefused or LinkClosed otherwise."""
    grant = service.lookup_token(db_session=db_session, token=token or "", now=now)
    if grant is None or grant.link_ref_id is None:
        raise VisitRefused()
    link = db_session.get(SmileLink, grant.link_ref_id)
    if link is None:
        raise LinkClosed(None)
    state = _state(db_session, link, now)
    if state is not LinkState.ACTIVE and not (state is LinkState.USED and grant.submitted_at is not None):
        raise LinkClosed(state)
    return Visit(
        token_hash=grant.token_hash,
        link=link,
        id_type=LinkIdType(grant.country or "", grant.id_type or "", VerificationMethod(grant.product)),
        user_id=grant.user_id,
        job_id=grant.job_id,
        submitted=grant.submitted_at is not None,
    )


class AlreadySubmitted(VisitRefused):
    """The visit's job, or a single-use link's, was sent already."""


def claim(db_session: Session, visit: Visit, now: datetime) -> None:
    """Take the visit's one submission (and a single-use link's one job); AlreadySubmitted if
    either is taken, which rolls the caller's transaction back (nothing half-claimed)."""
    taken = rows_matched(
        db_session.execute(
            update(WebToken)
            .where(WebToken.token_hash == visit.token_hash, WebToken.submitted_at.is_(None))
            .values(submitted_at=now)
        )
    )
    if not taken:
        raise AlreadySubmitted()
    if visit.link.is_single_use:
        spent = rows_matched(
            db_session.execute(
                update(SmileLink)
                .where(SmileLink.ref_id == visit.link.ref_id, SmileLink.spent_at.is_(None))
                .values(spent_at=now)
            )
        )
        if not spent:
            raise AlreadySubmitted()


def release(db_session: Session, visit: Visit) -> None:
    """Give a refused submission back: the visitor may correct it and send again, under a new
    job id (the refused one may have opened a job that awaits its files forever)."""
    db_session.execute(
        update(WebToken)
        .where(WebToken.token_hash == visit.token_hash)
        .values(submitted_at=None, job_id=new_job_id())
    )
    if visit.link.is_single_use:
        db_session.execute(
            update(SmileLink).where(SmileLink.ref_id == visit.link.ref_id).values(spent_at=None)
        )


def record_job(db_session: Session, visit: Visit, smile_job_id: str) -> None:
    db_session.execute(
        update(WebToken).where(WebToken.token_hash == visit.token_hash).values(smile_job_id=smile_job_id)
    )
