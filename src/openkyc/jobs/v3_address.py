"""V3 address verification jobs (``POST /v3/address``), decided by ``openkyc.address``.

A job like any other: job_type 12 (Address Verification), ``api_version`` v3, a ``job_…`` TypeID
for ``job_id``, the V3 user id, and in ``v3_request`` the request's shared parts
(``fields.Common.record``) with the address inputs. The provider is asked within the request, before
the job is stored; the job is then stored finished, with its result and its callback, in one
transaction, so an accepted job always has both (as the v1 async look-ups do), and a request cut
short leaves no job behind that nobody will answer.

The callback body (:func:`payload`, registered in ``jobs.v3_results.PAYLOAD_BUILDERS``) is the
common V3 fields and ``address_check``: the submitted address and country, the distance to the
closest address on record (metres), when that record was made, and how the name compared. The
identifier, the provider's addresses and the name on record are never sent back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openkyc.address import select
from openkyc.address.base import AddressQuery
from openkyc.address.verify import verify
from openkyc.db import utcnow
from openkyc.job_types import JobType
from openkyc.jobs import v3_results
from openkyc.jobs.models import Job
from openkyc.jobs.submission import Submitter, publish_v3_sync_job
from openkyc.observability.context import bind_job
from openkyc.runtime import Runtime

log = logging.getLogger(__name__)

ADDRESS_VERIFICATION = "address_verification"


@dataclass(frozen=True)
class AddressSubmission:
    """A V3 address request, checked by the view: the job to open and what to verify."""

    job_id: str  # the job's TypeID
    user_id: str
    query: AddressQuery
    given_names: str
    last_name: str
    v3_request: dict[str, Any]  # fields.Common.record(product) and the address inputs
    partner_params: dict[str, str]
    callback_url: str | None


def request_record(query: AddressQuery) -> dict[str, Any]:
    """The address inputs kept in the job's (sealed) ``v3_request``."""
    return {
        "address": query.address,
        "country": query.country,
        "id_number": query.id_number,
        "utility_number": query.utility_number,
        "utility_provider": query.utility_provider,
        "utility_type": query.utility_type,
    }


def submit(runtime: Runtime, submitter: Submitter, submission: AddressSubmission) -> Job:
    """Verify, then store the finished job and its callback in one transaction."""
    provider = select.provider_for(runtime, submitter.environment.value)
    verdict = verify(
        provider,
        submission.query,
        given_names=submission.given_names,
        last_name=submission.last_name,
        today=utcnow().date(),
    )
    job = publish_v3_sync_job(runtime, submitter, JobType.ADDRESS_VERIFICATION, submission, verdict.result())
    if provider is None:
        _warn_no_provider(job)
    return job


def _warn_no_provider(job: Job) -> None:
    """Tell the operator why a production address job ended in error, and what to do."""
    with bind_job(job.smile_job_id):
        log.warning(
            "address job %s ended service_unavailable: no address provider is configured for %s keys "
            "(set OPENKYC_ADDRESS_PROVIDER to an adapter; see docs/v3.md, Address verification)",
            job.smile_job_id,
            job.environment,
        )


def address_check(job: Job) -> dict[str, Any]:
    """What the decision rests on, without the identifier or anything from the provider's record."""
    request = job.v3_request or {}
    result = job.result or {}
    stored = result.get("_address")
    found = stored if isinstance(stored, Mapping) else {}
    actions = result.get("Actions")
    return {
        "address": request.get("address"),
        "country": request.get("country"),
        "distance_m": found.get("distance_m"),
        "record_date": found.get("recorded_on"),
        "name_match": actions.get("Names") if isinstance(actions, Mapping) else None,
    }


def payload(runtime: Runtime, job: Job) -> dict[str, Any]:
    """The address job's V3 callback body (also replay's)."""
    body = v3_results.common_fields(job)
    body["address_check"] = address_check(job)
    body["evidence"] = v3_results.evidence(job.result or {})
    return body


v3_results.PAYLOAD_BUILDERS[ADDRESS_VERIFICATION] = payload
