"""One ID look-up: the format check, then the look-up-with-limit flow (openkyc.ratelimit.lookup)
with the environment's authority.

The rate limit is counted before the authority is contacted (a blocked request never reaches it)
and raises HTTP 429 / 2222. A malformed number is not a look-up: it is neither counted nor sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from openkyc.authorities.base import LookupRequest
from openkyc.authorities.select import authority_for
from openkyc.idverification.id_format import is_well_formed
from openkyc.idverification.request import VerificationRequest
from openkyc.products.authority import AuthorityRecord, InvalidIdNumber, LookupFailure
from openkyc.ratelimit.lookup import LimitedLookup
from openkyc.runtime import Runtime


@dataclass(frozen=True)
class LookupOutcome:
    """Exactly one of ``record`` and ``failure``."""

    record: AuthorityRecord | None = None
    failure: LookupFailure | None = None


def _limited(request: VerificationRequest, *, partner_id: str, environment: str) -> LimitedLookup:
    return LimitedLookup(
        partner_id=partner_id,
        environment=environment,
        country=request.country,
        id_type=request.id_type,
        id_number=request.id_number,
    )


def precheck(runtime: Runtime, request: VerificationRequest, *, partner_id: str, environment: str) -> bool:
    """True when the number may be looked up; counts it against the rate limit (raises 2222/429).

    False for a malformed number, which gets the 1014 result without a look-up.
    """
    if not is_well_formed(request.id_number_type, request.country, request.id_number, environment):
        return False
    _limited(request, partner_id=partner_id, environment=environment).count(runtime)
    return True


def look_up(
    runtime: Runtime, request: VerificationRequest, *, partner_id: str, environment: str
) -> LookupOutcome:
    """Ask the authority; every failure becomes a typed outcome, never an exception.

    A retryable failure (the authority unavailable) gives back the request :func:`precheck`
    counted (:class:`~openkyc.ratelimit.lookup.LimitedLookup`).
    """
    authority = authority_for(runtime, environment)
    person = request.person
    answer = _limited(request, partner_id=partner_id, environment=environment).run(
        runtime,
        f"authority {authority.name}",
        lambda: authority.lookup(
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
        ),
    )
    if isinstance(answer, LookupFailure):
        return LookupOutcome(failure=answer)
    return LookupOutcome(record=answer)


def malformed() -> LookupOutcome:
    return LookupOutcome(failure=InvalidIdNumber("Invalid ID number format"))
