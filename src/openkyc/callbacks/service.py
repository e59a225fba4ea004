"""Scheduling callbacks, delivering due ones and logging every attempt.

Each attempt is recorded in the database (``openkyc jobs show``) and each one that fails is a
WARNING in the server log naming the job, the attempt and a reason category (connection refused,
timeout, HTTP 500, refused by the SSRF policy...), never the URL (its path and query may carry a
partner's secret): the receiving host at most.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Integer, String, column, or_, select, table, update
from sqlalchemy.orm import Session

from openkyc import audit
from openkyc.callbacks.client import DeliveryOutcome, post_json, receiving_host, refusal_without_dns
from openkyc.callbacks.models import CallbackAttempt, CallbackDelivery
from openkyc.crypto import SecretBox
from openkyc.db import rows_matched, transaction, utcnow
from openkyc.observability.context import bind_job, bind_partner
from openkyc.partners.models import Partner
from openkyc.partners.service import KeyNotFound, key_secret, newest_active_key
from openkyc.runtime import Runtime
from openkyc.sealed import CLEAR_RESULT_KEYS, SealedJSON
from openkyc.signing import sign_response
from openkyc.signing.environment import Environment
from openkyc.signing.errors import describe_duration
from openkyc.signing.sid_request import compute_signature, format_js_iso
from openkyc.storage.links import RECEIPT_RESULT_KEY, has_receipt, receipt_link

log = logging.getLogger(__name__)

# How a delivery goes on the wire (callback_deliveries.wire): a v1 result signed with
# ``signature``/``timestamp`` fields in its body, or a V3 payload signed in the Response-Signature
# and Response-Timestamp headers.
WIRE_V1 = "v1"
WIRE_V3 = "v3"
WIRES = frozenset({WIRE_V1, WIRE_V3})

MAX_BACKOFF = timedelta(hours=1)
CLAIM_FOR = timedelta(minutes=2)

# The columns of a job that deliveries read (whose key signs, which partner, whether it has a KYC
# receipt), declared as a plain table rather than imported as the Job model: callbacks sit below
# jobs/ (docs/architecture.md).
_jobs = table(
    "jobs",
    column("smile_job_id", String),
    column("partner_id", String),
    column("api_key_id", String),
    column("job_type", Integer),
    column("environment", String),
    column("state", String),
    column("result", SealedJSON(CLEAR_RESULT_KEYS)),
)
# The job states (jobs.models.JobState) whose result no longer changes: a receipt is given only then.
_FINISHED = frozenset({"complete", "failed"})

# A V3 callback's signature headers and its receipt link's key.
V3_TIMESTAMP_HEADER = "Response-Timestamp"
V3_SIGNATURE_HEADER = "Response-Signature"
V3_RECEIPT_KEY = "kyc_receipt"


class CallbackJob(Protocol):
    """What scheduling reads of a job (jobs/ passes its Job rows)."""

    @property
    def smile_job_id(self) -> str: ...

    @property
    def partner_id(self) -> str: ...

    @property
    def callback_url(self) -> str | None: ...

    @property
    def environment(self) -> str: ...  # whose default callback URL applies


def schedule(
    *,
    db_session: Session,
    job: CallbackJob,
    payload: dict[str, Any],
    url: str,
    horizon: timedelta,
    wire: str = WIRE_V1,
) -> CallbackDelivery:
    """Queue ``payload`` for delivery to ``url`` now, retried until ``horizon`` has passed.

    ``wire``: how it is sent (:data:`WIRE_V1` signs the body, :data:`WIRE_V3` signs in headers and
    goes to https URLs only; see :func:`deliver`)."""
    if wire not in WIRES:
        raise ValueError(f"unknown callback wire format {wire!r}")
    now = utcnow()
    delivery = CallbackDelivery(
        smile_job_id=job.smile_job_id,
        url=url,
        payload=payload,
        next_attempt_at=now,
        give_up_at=now + horizon,
        wire=wire,
    )
    db_session.add(delivery)
    db_session.flush()
    return delivery


def schedule_result(
    *, db_session: Session, job: CallbackJob, result: dict[str, Any], horizon: timedelta
) -> CallbackDelivery | None:
    """Queue a job's result for its callback URL, else the partner's default for the job's
    environment; None when neither.

    Keys starting with an underscore are our own bookkeeping and never leave the server.
    """
    partner = db_session.get(Partner, job.partner_id)
    url = job.callback_url or (partner.callback_url_for(job.environment) if partner else None)
    if not url:
        return None
    public = {key: value for key, value in result.items() if not key.startswith("_")}
    return schedule(db_session=db_session, job=job, payload=public, url=url, horizon=horizon)


def resend_result(
    *, db_session: Session, job: CallbackJob, result: dict[str, Any], horizon: timedelta, actor: audit.Actor
) -> CallbackDelivery | None:
    """Queue ``result``, the job's current one, again as a fresh delivery (a person asked: the
    portal's "Resend callback"), audited; None when there is no callback URL to send it to.
    Earlier deliveries are left as they are: their attempts stay in the log."""
    delivery = schedule_result(db_session=db_session, job=job, result=result, horizon=horizon)
    if delivery is not None:
        audit.record(
            db_session,
            actor=actor,
            action="callback.resent",
            target_type="job",
            target_id=job.smile_job_id,
            detail={"partner_id": job.partner_id, "delivery_id": delivery.id},
        )
    return delivery


def warn_at_intake(smile_job_id: str, url: str | None, *, allow_private: bool) -> bool:
    """A WARNING as a job is accepted whose ``callback_url`` every attempt will refuse (a loopback or
    private address while private receivers are not allowed, a URL the policy refuses), so that an
    integrator sees it at once rather than after a day of retries. The answer to the request stays
    the same: Smile ID's API accepts such a job too. Judged without a DNS look-up, so it never
    delays the answer; a name resolving to a private address is reported by the first attempt.
    Returns whether it warned."""
    reason = always_refused(url, allow_private=allow_private)
    if reason is None:
        return False
    with bind_job(smile_job_id):
        log.warning(
            "job %s was accepted with a callback_url that every delivery attempt will refuse: %s; "
            "its result stays available through job_status",
            smile_job_id,
            reason,
        )
    return True


def always_refused(url: str | None, *, allow_private: bool) -> str | None:
    """Why every attempt at ``url`` will be refused (with what lifts it, if anything), as far as
    shows without a DNS look-up; None when delivery may succeed (see warn_at_intake)."""
    if not url:
        return None
    refusal = refusal_without_dns(url)
    # A refusal with a hint is one of the address range, which the setting lifts.
    if refusal is None or (allow_private and refusal.hint is not None):
        return None
    return f"{refusal.reason} ({refusal.hint})" if refusal.hint else refusal.reason


def backoff(attempts: int, first: timedelta) -> timedelta:
    """Exponential: first, 2x, 4x ... capped at an hour."""
    delay: timedelta = first * (2 ** max(0, attempts - 1))
    return min(delay, MAX_BACKOFF)


class DueDelivery(NamedTuple):
    """A claimed delivery and what a dispatcher needs to share out delivery threads fairly."""

    id: int
    attempt: int
    url: str
    partner_id: str


def claim_due(runtime: Runtime, limit: int = 10) -> list[tuple[int, int]]:
    """Due deliveries as (id, attempt), claimed for a while so other sweeps leave them alone."""
    return [(due.id, due.attempt) for due in claim_due_deliveries(runtime, limit)]


def claim_due_deliveries(runtime: Runtime, limit: int = 10) -> list[DueDelivery]:
    """Due deliveries, oldest first, claimed for a while so other sweeps leave them alone."""
    now = utcnow()
    claimed: list[DueDelivery] = []
    with transaction(runtime.sessions) as session:
        due = session.execute(
            select(CallbackDelivery.id, CallbackDelivery.attempts, CallbackDelivery.url, _jobs.c.partner_id)
            # Outer: a delivery whose job is gone is still claimed, and deliver() abandons it.
            .outerjoin(_jobs, _jobs.c.smile_job_id == CallbackDelivery.smile_job_id)
            .where(
                CallbackDelivery.delivered.is_(False),
                CallbackDelivery.abandoned.is_(False),
                CallbackDelivery.next_attempt_at <= now,
                or_(CallbackDelivery.claimed_until.is_(None), CallbackDelivery.claimed_until < now),
            )
            .order_by(CallbackDelivery.next_attempt_at)
            .limit(limit)
        ).all()
        for delivery_id, attempts, url, partner_id in due:
            result = session.execute(
                update(CallbackDelivery)
                .where(
                    CallbackDelivery.id == delivery_id,
                    or_(CallbackDelivery.claimed_until.is_(None), CallbackDelivery.claimed_until < now),
                )
                .values(claimed_until=now + CLAIM_FOR)
            )
            if rows_matched(result) == 1:
                claimed.append(DueDelivery(delivery_id, attempts, url, partner_id or ""))
    return claimed


def due_delivery(runtime: Runtime, delivery_id: int, attempt: int) -> DueDelivery | None:
    """Attempt ``attempt`` of a delivery as a dispatcher takes it; None when it was made already
    (or the delivery is finished), so a duplicated task is dropped without a thread."""
    with transaction(runtime.sessions) as session:
        found = session.execute(
            select(CallbackDelivery.url, _jobs.c.partner_id)
            .outerjoin(_jobs, _jobs.c.smile_job_id == CallbackDelivery.smile_job_id)
            .where(
                CallbackDelivery.id == delivery_id,
                CallbackDelivery.attempts == attempt,
                CallbackDelivery.delivered.is_(False),
                CallbackDelivery.abandoned.is_(False),
            )
        ).first()
    return None if found is None else DueDelivery(delivery_id, attempt, found[0], found[1] or "")


def hold(runtime: Runtime, delivery_id: int, attempt: int) -> None:
    """Keep other dispatchers (the sweep) off attempt ``attempt`` for a while: it waits in this
    process for a delivery thread, or was refused one and is looked at again once the hold ends.
    The row stays undelivered until a receiver accepts it, so nothing is lost if this process dies."""
    with transaction(runtime.sessions) as session:
        session.execute(
            update(CallbackDelivery)
            .where(
                CallbackDelivery.id == delivery_id,
                CallbackDelivery.attempts == attempt,
                CallbackDelivery.delivered.is_(False),
                CallbackDelivery.abandoned.is_(False),
            )
            .values(claimed_until=utcnow() + CLAIM_FOR)
        )


def _start_attempt(session: Session, delivery_id: int, attempt: int) -> bool:
    """Count the attempt before sending it; only one holder of ``attempt`` gets to send.

    A duplicated task (a redelivered message, two sweeps) carries the same attempt number, so
    every copy but the first finds the count moved on and sends nothing.
    """
    started = session.execute(
        update(CallbackDelivery)
        .where(
            CallbackDelivery.id == delivery_id,
            CallbackDelivery.attempts == attempt,
            CallbackDelivery.delivered.is_(False),
            CallbackDelivery.abandoned.is_(False),
        )
        .values(attempts=CallbackDelivery.attempts + 1, claimed_until=utcnow() + CLAIM_FOR)
    )
    return rows_matched(started) == 1


def deliver(runtime: Runtime, delivery_id: int, attempt: int) -> bool:
    """Attempt number ``attempt``: sign afresh with the job's originating key, POST, log, and
    schedule the next try. Returns whether the receiver accepted it (False also when another
    worker already made this attempt)."""
    settings = runtime.settings
    with transaction(runtime.sessions) as session:
        delivery = session.get(CallbackDelivery, delivery_id)
        if delivery is None or delivery.delivered or delivery.abandoned:
            return False
        job = session.execute(
            select(_jobs.c.partner_id, _jobs.c.api_key_id, _jobs.c.job_type, _jobs.c.environment).where(
                _jobs.c.smile_job_id == delivery.smile_job_id
            )
        ).first()
        if job is None:
            delivery.abandoned = True
            return False
        if not _start_attempt(session, delivery_id, attempt):
            return False
        secret = signing_secret(session, runtime.box, job.partner_id, job.environment, job.api_key_id)
        if secret is None:
            delivery.abandoned = True
            log.warning(
                "callback for job %s abandoned: partner %s has no active %s API key to sign it with",
                delivery.smile_job_id,
                job.partner_id,
                job.environment,
            )
            return False
        headers: dict[str, str] = {}
        if delivery.wire == WIRE_V3:
            body = with_v3_receipt_link(
                session, runtime, delivery.smile_job_id, job.job_type, delivery.payload
            )
            headers = v3_signature_headers(secret, job.partner_id, utcnow())
        else:
            body = {
                **with_receipt_link(runtime, delivery.smile_job_id, job.job_type, delivery.payload),
                **sign_response(secret, job.partner_id, utcnow()),
            }
        url, smile_job_id, partner_id = delivery.url, delivery.smile_job_id, job.partner_id
        wire = delivery.wire
    outcome = post_json(
        url,
        body,
        allow_private=settings.allow_private_callbacks,
        timeout_s=settings.callback_timeout.total_seconds(),
        headers=headers,
        https_only=wire == WIRE_V3,
        ca_file=settings.callback_ca_file,
    )
    next_at: datetime | None = None
    with transaction(runtime.sessions) as session:
        delivery = session.get(CallbackDelivery, delivery_id)
        if delivery is None:  # claimed by this process, and deliveries are never deleted while due
            raise RuntimeError(f"callback delivery {delivery_id} vanished while it was being sent")
        session.add(
            CallbackAttempt(
                delivery_id=delivery_id,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
            )
        )
        delivery.claimed_until = None
        if outcome.delivered:
            delivery.delivered = True
        elif outcome.permanent:
            delivery.abandoned = True  # no later attempt can succeed: nothing to wait for
        else:
            next_at = utcnow() + backoff(delivery.attempts, settings.callback_first_retry)
            if next_at > delivery.give_up_at:
                delivery.abandoned = True
                next_at = None
            else:
                delivery.next_attempt_at = next_at
    with bind_job(smile_job_id), bind_partner(partner_id):
        _log_attempt(smile_job_id, attempt + 1, receiving_host(url), outcome, next_at)
    return outcome.delivered


def v3_signature_headers(api_key: str, partner_id: str, now: datetime) -> dict[str, str]:
    """The headers a V3 callback is signed with, made for each attempt: ``Response-Timestamp``
    (ISO 8601 UTC with milliseconds) and ``Response-Signature``, Smile ID's signature of that
    timestamp and the partner id keyed with the API key (it does not cover the body)."""
    timestamp = format_js_iso(now)
    return {
        V3_TIMESTAMP_HEADER: timestamp,
        V3_SIGNATURE_HEADER: compute_signature(api_key, partner_id, timestamp),
    }


def with_v3_receipt_link(
    session: Session, runtime: Runtime, smile_job_id: str, job_type: int, payload: dict[str, Any]
) -> dict[str, Any]:
    """A V3 payload with ``kyc_receipt``: the job's KYC receipt link signed for this attempt, as
    :func:`with_receipt_link` gives a v1 result one, else null (the V3 callbacks always carry the
    key). The receipt is the job's: its current result must be a final one of a receipt product
    and the job finished (what GET /v1/receipts answers), and the payload must not be an error,
    which the V3 API sends without a receipt."""
    base_url = (runtime.settings.public_base_url or runtime.served_at).rstrip("/")
    link: str | None = None
    if base_url and payload.get("status") != "error":
        found = session.execute(
            select(_jobs.c.state, _jobs.c.result).where(_jobs.c.smile_job_id == smile_job_id)
        ).first()
        if found is not None and found.state in _FINISHED and has_receipt(job_type, found.result):
            link = receipt_link(
                runtime.links,
                base_url=base_url,
                smile_job_id=smile_job_id,
                expires=utcnow() + runtime.settings.image_link_ttl,
            )
    return {**payload, V3_RECEIPT_KEY: link}


def with_receipt_link(
    runtime: Runtime, smile_job_id: str, job_type: int, payload: dict[str, Any]
) -> dict[str, Any]:
    """The payload with its KYCReceipt link signed now, for this attempt (a retry a day later still
    carries a live link), when the result has a receipt and the server's address is known: a
    worker sends callbacks outside any request, so it gives the configured public URL, else the
    address `openkyc serve` listens on (embedded), else nothing (job_status, answering a request,
    always has one)."""
    base_url = (runtime.settings.public_base_url or runtime.served_at).rstrip("/")
    if not base_url or not has_receipt(job_type, payload):
        return payload
    link = receipt_link(
        runtime.links,
        base_url=base_url,
        smile_job_id=smile_job_id,
        expires=utcnow() + runtime.settings.image_link_ttl,
    )
    return {**payload, RECEIPT_RESULT_KEY: link}


def signing_secret(
    session: Session, box: SecretBox, partner_id: str, environment: str, key_id: str
) -> str | None:
    """The key a job's callbacks are signed with: the API key that sent the job. A job no API key
    sent (run from the portal: its key id names the member) is signed with the partner's newest
    active key of the job's environment, which its receiver checks signatures with; None when the
    partner has none left."""
    try:
        return key_secret(db_session=session, box=box, key_id=key_id)
    except KeyNotFound:
        key = newest_active_key(
            db_session=session, partner_id=partner_id, environment=Environment(environment)
        )
        return box.decrypt_text(key.secret_encrypted) if key is not None else None


def _log_attempt(
    smile_job_id: str, number: int, host: str, outcome: DeliveryOutcome, next_at: datetime | None
) -> None:
    """One line per attempt: INFO when delivered, WARNING (with what happens next) otherwise."""
    if outcome.delivered:
        log.info(
            "callback for job %s delivered to %s on attempt %d (HTTP %s)",
            smile_job_id,
            host,
            number,
            outcome.status_code,
        )
        return
    if outcome.permanent:
        then = "giving up: no attempt at this URL can succeed"
    elif next_at is None:
        then = "giving up: the retry window is over"
    else:
        then = f"next attempt in {describe_duration(next_at - utcnow())}"
    hint = f" ({outcome.hint})" if outcome.hint else ""
    log.warning(
        "callback for job %s to %s failed on attempt %d: %s%s; %s",
        smile_job_id,
        host,
        number,
        outcome.error,
        hint,
        then,
    )


def delivery_log(*, db_session: Session, smile_job_id: str) -> list[dict[str, Any]]:
    """Every delivery of a job and its attempts (for the portal, the CLI and support)."""
    deliveries = db_session.scalars(
        select(CallbackDelivery)
        .where(CallbackDelivery.smile_job_id == smile_job_id)
        .order_by(CallbackDelivery.id)
    ).all()
    log: list[dict[str, Any]] = []
    for delivery in deliveries:
        attempts = db_session.scalars(
            select(CallbackAttempt)
            .where(CallbackAttempt.delivery_id == delivery.id)
            .order_by(CallbackAttempt.id)
        ).all()
        log.append(
            {
                "url": delivery.url,
                "delivered": delivery.delivered,
                "abandoned": delivery.abandoned,
                "attempts": [
                    {"at": a.attempted_at.isoformat(), "status_code": a.status_code, "error": a.error}
                    for a in attempts
                ],
            }
        )
    return log
