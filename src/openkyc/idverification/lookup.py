"""One ID look-up: the format check, the per-number rate limit, then the environment's authority.

The rate limit is counted before the authority is contacted (a blocked request never reaches it)
and raises HTTP 429 / 2222. A malformed number is not a look-up: it is neither counted nor sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from openkyc.authorities.base import (
    AuthorityRecord,
    AuthorityUnavailable,
    InvalidIdNumber,
    LookupFailure,
    LookupRequest,
)
from openkyc.authorities.select import authority_for
from openkyc.idverification.id_format import is_well_formed
from openkyc.idverification.request import VerificationRequest
from openkyc.ratelimit.service import check_and_record, release
from openkyc.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LookupOutcome:
    """Exactly one of ``record`` and ``failure``."""

    record: AuthorityRecord | None = None
    failure: LookupFailure | None = None


def precheck(runtime: Runtime, request: VerificationRequest, *, partner_id: str, environment: str) -> bool:
    """True when the number may be looked up; counts it against the rate limit (raises 2222/429).

    False for a malformed number, which gets the 1014 result without a look-up.
    """
    if not is_well_formed(request.id_number_type, request.country, request.id_number, environment):
        return False
    check_and_record(
        runtime,
        partner_id=partner_id,
        environment=environment,
        country=request.country,
        id_type=request.id_type,
        id_number=request.id_number,
    )
    return True


def look_up(
    runtime: Runtime, request: VerificationRequest, *, partner_id: str, environment: str
) -> LookupOutcome:
    """Ask the authority; every failure becomes a typed outcome, never an exception.

    A retryable failure (the authority unavailable) gives back the request :func:`precheck`
    counted: no look-up was made, and the partner may retry without nearing the rate limit.
    """
    authority = authority_for(runtime, environment)
    person = request.person
    try:
        record = authority.lookup(
            LookupRequest(
                country=request.country,
                id_type=request.id_type,
                id_number=request.id_number,
                environment=environment,
                first_name=person.first_name,
                middle_name=person.middle_name,
                last_name=person.last_name,
                dob=person.dob,
                gender=person.gender,
                phone_number=person.phone_number,
                partner_params=request.params.raw,
            )
        )
    except LookupFailure as failure:
        outcome = LookupOutcome(failure=failure)
    except Exception as error:
        # An adapter's bug must still give the partner an answer (1015, retryable). Logged by the
        # authority's name and the error's type only: its message may quote personal data.
        log.error("authority %s failed unexpectedly: %s", authority.name, type(error).__name__)
        outcome = LookupOutcome(failure=AuthorityUnavailable("ID authority unavailable"))
    else:
        return LookupOutcome(record=record)
    if outcome.failure is not None and outcome.failure.retryable:
        # Not the partner's doing: the request it counted is taken back (see precheck).
        release(
            runtime,
            partner_id=partner_id,
            environment=environment,
            country=request.country,
            id_type=request.id_type,
            id_number=request.id_number,
        )
    return outcome


def malformed() -> LookupOutcome:
    return LookupOutcome(failure=InvalidIdNumber("Invalid ID number format"))
