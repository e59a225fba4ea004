"""V3 AML jobs: One-Time AML (``POST /v3/aml``, ``/v3/aml/sync``) and AML Monitoring
(``POST /v3/aml/monitoring``), screened against the loaded lists by ``openkyc.aml``.

They are jobs like any other (job_type 10, as ``/v1/aml``'s), of ``api_version`` v3: a ``job_…``
TypeID for ``job_id``, the V3 user id, and in ``v3_request`` the request's shared parts
(``fields.Common.record``) with what was screened (``full_name``, ``aliases``, ``birth_year``,
``countries``, ``strict_match``). The screening runs within the request (the index is in memory:
milliseconds once built), and the job is stored finished with its result and, for the async
endpoints, its callback, in one transaction: an accepted job always has both.

The stored result keeps the v1 AML shape (``ResultCode`` 1030 listed / 1031 not listed, ``Actions``
``Listed``) so job_status, the portal and the metrics read it as they read ``/v1/aml``'s, plus
1015 when no list is loaded at all: a screening against nothing proves nothing, so it is an
``error`` (``service_unavailable``), never a ``clear``. :func:`payload` turns it into the V3
``OneTimeAmlCallback`` body (the sync answer, every callback and replay).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openkyc.aml import service as aml
from openkyc.aml.models import MonitoredSubject
from openkyc.api_errors import JOB_EXISTS, ApiError
from openkyc.db import transaction, utcnow
from openkyc.job_types import JobType
from openkyc.jobs import service, v3_results
from openkyc.jobs.models import ApiVersion, Job, JobState
from openkyc.jobs.submission import Submitter, publish_v3_sync_job
from openkyc.observability.context import bind_job
from openkyc.partners.models import Partner
from openkyc.runtime import Runtime
from openkyc.users.models import EnrolledUser, UserStatus

log = logging.getLogger(__name__)

ONE_TIME_AML = "one_time_aml"
AML_MONITORING = "aml_monitoring"
# The product of the callbacks monitoring sends when a monitored person's answer changes.
AML_MONITORING_UPDATE = "aml_monitoring_update"
AML_PRODUCTS = frozenset({ONE_TIME_AML, AML_MONITORING})

# The stored result's codes: /v1/aml's two, and Smile ID's "unavailable" for no list loaded.
LISTED = "1030"
NOT_LISTED = "1031"
UNAVAILABLE = "1015"

# Prior KYC records search_existing_user accepts: an enrolment's Biometric KYC or Document Verification.
_PRIOR_KYC_TYPES = (
    JobType.BIOMETRIC_KYC,
    JobType.DOCUMENT_VERIFICATION,
    JobType.ENHANCED_DOCUMENT_VERIFICATION,
)
# How long a repeated /v3/aml/sync waits for the first request of its key to finish.
_IDEMPOTENT_WAIT_S = 5.0


@dataclass(frozen=True)
class AmlSubject:
    """Who is screened, and how."""

    full_name: str
    countries: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    birth_year: int | None = None
    strict_match: bool = True

    def record(self) -> dict[str, Any]:
        return {
            "full_name": self.full_name,
            "countries": list(self.countries),
            "aliases": list(self.aliases),
            "birth_year": self.birth_year,
            "strict_match": self.strict_match,
        }

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> AmlSubject:
        birth_year = record.get("birth_year")
        return cls(
            full_name=str(record["full_name"]),
            countries=tuple(str(code) for code in record.get("countries") or ()),
            aliases=tuple(str(alias) for alias in record.get("aliases") or ()),
            birth_year=int(birth_year) if birth_year is not None else None,
            strict_match=bool(record.get("strict_match", True)),
        )


def screen(runtime: Runtime, subject: AmlSubject) -> aml.Screening:
    """Screen ``subject`` against the loaded lists (builds the index on first use: seconds, so
    call it off the event loop)."""
    return aml.screen(
        runtime.sessions,
        full_name=subject.full_name,
        aliases=list(subject.aliases),
        birth_year=subject.birth_year,
        countries=list(subject.countries),
        strict=subject.strict_match,
    )


def result_of(screening: aml.Screening, subject: AmlSubject) -> dict[str, Any]:
    """The job's stored result: /v1/aml's shape with the V3 people."""
    if not screening.lists_loaded:
        code, text, listed = UNAVAILABLE, "No sanctions or PEP list is loaded", "Unable to Determine"
    elif screening.people_v3:
        code, text, listed = LISTED, "Found on list", "Listed"
    else:
        code, text, listed = NOT_LISTED, "No match found", "Not Listed"
    people = screening.people_v3 if code == LISTED else []
    return {
        "ResultCode": code,
        "ResultText": text,
        "Actions": {"Listed": listed},
        "StrictMatch": subject.strict_match,
        "no_of_persons_found": len(people),
        "people": people,
    }


def payload(job: Job, *, product: str | None = None) -> dict[str, Any]:
    """The V3 body of an AML job's result (the spec's ``OneTimeAmlCallback``): the sync answer,
    the callback and its replays. ``product`` names another product for the same body (a
    monitoring update).

    The status, reason and message are ``jobs.v3_results``' (its table maps 1031 to clear, 1030
    to block ``aml_match_found``, 1015 to error ``service_unavailable``; a screening is not
    blocked by a fraud report: docs/v3.md), with the fields every V3 body has; then the screening's:
    ``strict_match``, ``no_of_persons_found`` and ``people``. ``kyc_receipt`` is null (a
    screening has no KYC receipt), as are ``antifraud`` and ``device_signals`` (a screening takes
    no fraud score nor device signals).
    """
    answer = v3_results.outcome(job)
    result = job.result or {}
    people = list(result.get("people") or []) if answer.terminal else []
    body = v3_results.common_fields(job, answer)
    if product is not None:
        body["product"] = product
    body["consent"] = body.get("consent") or {}
    body["strict_match"] = bool(result.get("StrictMatch", (job.v3_request or {}).get("strict_match", True)))
    body["no_of_persons_found"] = len(people)
    body["people"] = people
    return body


def _build(runtime: Runtime, job: Job) -> dict[str, Any]:
    return payload(job)


# Both AML products' bodies (a monitoring job's first result too: the same body, its own product).
v3_results.PAYLOAD_BUILDERS[ONE_TIME_AML] = _build
v3_results.PAYLOAD_BUILDERS[AML_MONITORING] = _build


@dataclass(frozen=True)
class AmlSubmission:
    """A V3 AML request, checked by the view: the job to open and what to screen."""

    job_id: str  # the job's TypeID
    user_id: str
    product: str  # ONE_TIME_AML or AML_MONITORING
    subject: AmlSubject
    v3_request: dict[str, Any]  # fields.Common.record(product) and the screening's inputs
    partner_params: dict[str, str]
    callback_url: str | None


def default_callback_url(runtime: Runtime, partner_id: str, environment: str) -> str | None:
    """The partner's default callback URL of ``environment`` (None when it has none)."""
    with transaction(runtime.sessions) as session:
        partner = session.get(Partner, partner_id)
        return partner.callback_url_for(environment) if partner is not None else None


def submit(runtime: Runtime, submitter: Submitter, submission: AmlSubmission, *, call_back: bool) -> Job:
    """Screen, then store the finished job (and, with ``call_back``, its callback; for
    monitoring, the monitored person) in one transaction. Raises ``ApiError(JOB_EXISTS)`` when
    the job id is taken (an idempotency key used before: see :func:`submit_once`)."""
    screening = screen(runtime, submission.subject)
    result = result_of(screening, submission.subject)

    def monitor(session: Session, job: Job) -> None:
        session.add(
            MonitoredSubject(
                smile_job_id=job.smile_job_id,
                partner_id=job.partner_id,
                environment=job.environment,
                subject=submission.subject.record(),
                last_screening=screening_state(result, screening.entries),
                lists_version=screening.lists_version,
            )
        )

    job = publish_v3_sync_job(
        runtime,
        submitter,
        JobType.AML,
        submission,
        result,
        call_back=call_back,
        alongside=monitor if submission.product == AML_MONITORING else None,
    )
    if result["ResultCode"] == UNAVAILABLE:
        warn_unscreened(job)
    return job


def warn_unscreened(job: Job) -> None:
    """Tell the operator why a screening ended in error, and what to do."""
    with bind_job(job.smile_job_id):
        log.warning(
            "AML job %s could not be screened: no sanctions or PEP list is loaded "
            "(load one with: openkyc lists load FORMAT FILE)",
            job.smile_job_id,
        )


def screening_state(result: Mapping[str, Any], entries: list[str]) -> dict[str, Any]:
    """What monitoring compares between two screenings of a person: the outcome and who matched."""
    return {"code": str(result.get("ResultCode")), "entries": sorted(entries)}


def find_job(runtime: Runtime, *, partner_id: str, environment: str, job_id: str) -> Job | None:
    with transaction(runtime.sessions) as session:
        return service.find_job_by_partner_job_id(
            db_session=session, partner_id=partner_id, environment=environment, job_id=job_id
        )


def submit_once(runtime: Runtime, submitter: Submitter, submission: AmlSubmission) -> Job:
    """``/v3/aml/sync`` with an idempotency key (``submission.job_id`` derived from it): the job
    of an earlier request with the key as it is (nothing screened again), else a new one.

    A job of the key that ended in error (no list loaded) screened nothing and is screened again
    in place: the key guarantees one finished screening, not one failure. Unless it was purged
    meanwhile: it kept nothing to screen, and a purged job takes no personal data back in.
    """
    who = {"partner_id": submitter.partner_id, "environment": submitter.environment.value}
    existing = find_job(runtime, **who, job_id=submission.job_id)
    if existing is None:
        try:
            return submit(runtime, submitter, submission, call_back=False)
        except ApiError as error:
            if error.spec is not JOB_EXISTS:
                raise
        # A concurrent request of the same key stored it first (its transaction has committed:
        # the unique constraint held this one until then).
        existing = _wait_finished(runtime, submitter, submission.job_id)
    if (existing.result or {}).get("ResultCode") != UNAVAILABLE or existing.purged_at is not None:
        return existing
    if (
        existing.api_version != ApiVersion.V3
        or (existing.v3_request or {}).get("product") not in AML_PRODUCTS
    ):
        raise ApiError(JOB_EXISTS)
    subject = AmlSubject.of(existing.v3_request or {})
    result = result_of(screen(runtime, subject), subject)
    with transaction(runtime.sessions) as session:
        job = service.get_job(db_session=session, smile_job_id=existing.smile_job_id)
        service.record_result(db_session=session, job=job, result=result, final=True)
    if result["ResultCode"] == UNAVAILABLE:
        warn_unscreened(job)
    return job


def _wait_finished(runtime: Runtime, submitter: Submitter, job_id: str) -> Job:
    deadline = time.monotonic() + _IDEMPOTENT_WAIT_S
    while True:
        job = find_job(
            runtime, partner_id=submitter.partner_id, environment=submitter.environment.value, job_id=job_id
        )
        if job is not None and job.state in service.FINISHED_STATES:
            return job
        if time.monotonic() > deadline:
            raise ApiError(JOB_EXISTS)
        time.sleep(0.1)


@dataclass(frozen=True)
class PriorRecord:
    """A user's earlier KYC record search_existing_user relies on."""

    full_name: str
    country: str
    birth_year: int | None


class NoEnrolledUser(LookupError):
    """search_existing_user named a user this partner has not enrolled."""


class NoPriorRecord(LookupError):
    """The enrolled user has no finished KYC job with a usable name and country."""


def prior_record(runtime: Runtime, *, partner_id: str, environment: str, user_id: str) -> PriorRecord:
    """The user's latest Biometric KYC or Document Verification record with a name and a country.

    Raises NoEnrolledUser (no enrolment, or a deleted one) or NoPriorRecord."""
    with transaction(runtime.sessions) as session:
        user = session.scalar(
            select(EnrolledUser).where(
                EnrolledUser.partner_id == partner_id,
                EnrolledUser.environment == environment,
                EnrolledUser.user_id == user_id,
            )
        )
        if user is None or user.status == UserStatus.DELETED:
            raise NoEnrolledUser(user_id)
        jobs = session.scalars(
            select(Job)
            .where(
                Job.partner_id == partner_id,
                Job.environment == environment,
                Job.user_id == user_id,
                Job.job_type.in_([int(kind) for kind in _PRIOR_KYC_TYPES]),
                Job.state == JobState.COMPLETE,
                Job.purged_at.is_(None),
            )
            .order_by(Job.completed_at.desc())
            .limit(20)
        ).all()
        for job in jobs:
            found = _usable(job.result or {})
            if found is not None:
                return found
    raise NoPriorRecord(user_id)


def _usable(result: Mapping[str, Any]) -> PriorRecord | None:
    name, country = result.get("FullName"), result.get("Country")
    if not isinstance(name, str) or not name.strip() or name.strip().lower() in ("not available", "none"):
        return None
    if not isinstance(country, str) or len(country.strip()) != 2:
        return None
    dob = result.get("DOB")
    year = dob.strip()[:4] if isinstance(dob, str) else ""
    birth_year = int(year) if year.isdigit() and 1000 <= int(year) <= utcnow().year else None
    return PriorRecord(full_name=name.strip(), country=country.strip().upper(), birth_year=birth_year)
