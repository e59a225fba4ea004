"""V3 sandbox jobs: the documented test identities and ``sandbox_result`` (``openkyc.products.v3_sandbox``)
applied to a job as it goes through the usual pipeline.

A V3 sandbox job is stored, queued, processed, published and called back like any other: its
images are stored, the engine assesses them (its decision is kept as the result's evidence, and
a registering result enrols the selfie), and only the product's decision is replaced by the row
the verdict names. An ID look-up of such a job asks no authority: the verdict says what it
finds (:func:`lookup_answer`, :func:`enhanced_kyc_lookup`).

Everything here decides by itself from the job row (``api_version``, ``environment``,
``v3_request``): the entry endpoints only store the request, ``sandbox_result`` included, under
:data:`~openkyc.products.v3_sandbox.SANDBOX_RESULT_KEY` of ``v3_request``. A v1 job (sandbox
included: its ``partner_params.sandbox_result`` is :mod:`openkyc.products.sandbox`'s) and any
production job get ``None`` from :func:`verdict` and are decided by the engine as before.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from openkyc.engine.face.analyse import analyse_face
from openkyc.engine.images.decode import DecodedImage
from openkyc.idverification.lookup import LookupOutcome
from openkyc.jobs.models import ApiVersion, Job
from openkyc.products import ProductResult
from openkyc.products.authority import AuthorityRecord, LookupFailure
from openkyc.products.v3_sandbox import (
    SANDBOX_RESULT_KEY,
    Family,
    Verdict,
    forced_result,
    identity_record,
    resolve,
    sandbox_record,
)
from openkyc.signing.environment import Environment

log = logging.getLogger(__name__)

# flows.COMPARE_ENROLS: a queued SmartSelfie Compare without a user_id enrols nobody.
_COMPARE_ENROLS = "enrols_on_match"


def asks_no_authority(*, api_version: str, environment: str) -> bool:
    """Whether a job's look-up is the sandbox identities' (a V3 sandbox job): it asks no authority,
    so it is not counted against the ID number's rate limit either (the SDKs' own end-to-end tests
    send the same test number on every run)."""
    return api_version == ApiVersion.V3 and environment == Environment.SANDBOX.value


def verdict(
    *, api_version: str, environment: str, job_type: int, v3_request: Mapping[str, Any] | None
) -> Verdict | None:
    """The sandbox's verdict on a job with these fields; None unless it is a V3 sandbox job of a
    product with sandbox identities."""
    if api_version != ApiVersion.V3 or environment != Environment.SANDBOX.value or v3_request is None:
        return None
    details = v3_request.get("user_details")
    return resolve(
        int(job_type),
        details if isinstance(details, Mapping) else None,
        v3_request.get(SANDBOX_RESULT_KEY),
    )


def verdict_for(job: Job) -> Verdict | None:
    """:func:`verdict` on a stored job."""
    return verdict(
        api_version=job.api_version,
        environment=job.environment,
        job_type=job.job_type,
        v3_request=job.v3_request,
    )


def force(job: Job, decided: ProductResult, selfie: DecodedImage | None) -> ProductResult:
    """The job's result: the engine's decision ``decided``, or for a V3 sandbox job the verdict's
    row in its place (the engine's decision kept as evidence). ``selfie``: the job's selfie, whose
    face a registering verdict enrols when the engine's own decision had not approved it."""
    found = verdict_for(job)
    if found is None:
        return decided
    forced = forced_result(found, decided)
    log.info(
        "job %s: V3 sandbox answers %s (%s) in place of the engine's %s",
        job.smile_job_id,
        forced.result_code,
        found.evidence_reason,
        decided.result_code,
    )
    if not forced.enrols_selfie:
        return forced
    if found.family is Family.SMART_SELFIE_COMPARE and (job.v3_request or {}).get(_COMPARE_ENROLS) is False:
        return forced
    embedding = decided.enrolment_embedding
    if embedding is None and selfie is not None:
        embedding = analyse_face(selfie.bgr).embedding
    return forced.with_enrolment(embedding)


def lookup_answer(job: Job) -> AuthorityRecord | LookupFailure | None:
    """What a V3 sandbox job's ID look-up finds (Biometric KYC, Enhanced Document Verification):
    the verdict's failure, else a record of the person the request names; None for other jobs,
    whose look-up asks the authority."""
    found = verdict_for(job)
    if found is None:
        return None
    failure = found.lookup_failure
    if failure is not None:
        return failure
    return identity_record(found, _user_details(job.v3_request), today=datetime.now(UTC).date())


@dataclass(frozen=True)
class ForcedLookup:
    """A V3 sandbox Enhanced KYC job's look-up outcome, and what its stored result keeps beside it."""

    outcome: LookupOutcome
    # Private keys of the stored result: the reason codes the V3 mapping reads, and the evidence.
    private: dict[str, Any] = field(default_factory=dict)


def enhanced_kyc_lookup(
    *, api_version: str, environment: str, job_type: int, v3_request: Mapping[str, Any] | None
) -> ForcedLookup | None:
    """What a V3 sandbox Enhanced KYC job's look-up finds; None for any other job (it asks the
    authority)."""
    found = verdict(
        api_version=api_version, environment=environment, job_type=job_type, v3_request=v3_request
    )
    if found is None or found.family is not Family.ENHANCED_KYC:
        return None
    failure = found.lookup_failure
    outcome = (
        LookupOutcome(failure=failure)
        if failure is not None
        else LookupOutcome(
            record=identity_record(found, _user_details(v3_request), today=datetime.now(UTC).date())
        )
    )
    return ForcedLookup(outcome, {"_reasons": found.reasons, "_sandbox": sandbox_record(found)})


def _user_details(v3_request: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    details = (v3_request or {}).get("user_details")
    return details if isinstance(details, Mapping) else None
