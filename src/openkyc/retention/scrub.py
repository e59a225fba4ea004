"""What of a job survives a purge: explicit allow-lists, and the blobs that go.

Allow-lists, never deny-lists: a field added to results later (a new ID authority's answer, a
partner's custom partner_params) is dropped by default rather than kept by accident.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openkyc.jobs.models import Job
from openkyc.sealed import CLEAR_PARTNER_PARAMS_KEYS, CLEAR_RESULT_KEYS
from openkyc.storage import BlobStore
from openkyc.storage.keys import direct_upload_key, job_prefix

# Result (job_status ``result``, history entries, callback payloads) keys kept after a purge:
# what was decided and how, never whom about, which is what the database keeps readable anyway
# (:data:`openkyc.sealed.CLEAR_RESULT_KEYS`), plus the PartnerParams (cut to the ids below) and the
# reviewers' record (itself filtered below), which are sealed while the job is live. ``_reasons``:
# the reason codes of a result no product decides (codes, never whom about), which a V3 job's
# status is read from (openkyc.jobs.v3_results) as long as the job is kept.
KEPT_RESULT_KEYS = CLEAR_RESULT_KEYS | {"PartnerParams", "_decision", "_reasons"}
# partner_params: only the ids the job is looked up by. Anything else a partner sent is theirs to
# define and may be personal (names, phone numbers, a custom Photo in the sandbox).
KEPT_PARTNER_PARAMS = CLEAR_PARTNER_PARAMS_KEYS
# The stored decision (ProductResult.to_record) without id_fields (names, numbers, dates read).
KEPT_DECISION_KEYS = frozenset(
    {
        "product",
        "result_code",
        "result_text",
        "result_type",
        "actions",
        "outcome",
        "is_final",
        "is_machine_result",
        "confidence_value",
        "enrols_selfie",
        "reasons",
    }
)
# Job inputs: bookkeeping flags only; id_info, blob keys and the payload go.
KEPT_INPUT_KEYS = frozenset({"comparison_image_type", "lookup_counted"})
# A V3 job's request: what it asked for (its V3 product names its result), never whom about
# (user_details, consent, metadata, a queued look-up's ID number go). ``queued``: a queued look-up
# purged before a worker made it still gets its answer (jobs.id_verification.QUEUED).
KEPT_V3_REQUEST_KEYS = frozenset({"product", "comparison_image_type", "sandbox_result", "queued"})


# A pending V3 callback body (callbacks with wire "v3"): what was decided about which job, when,
# never whom about (user_provided_info, id_fields, consent, metadata, image links, people go).
KEPT_V3_PAYLOAD_KEYS = frozenset(
    {"job_id", "user_id", "status", "reason", "message", "product", "created_at", "completed_at"}
)


def _only(mapping: Any, kept: frozenset[str]) -> dict[str, Any]:
    if not isinstance(mapping, dict):
        return {}
    return {key: value for key, value in mapping.items() if key in kept}


def _flat_text(mapping: Any) -> dict[str, str]:
    # Actions map fixed action names to fixed verdicts: anything else in there is not kept.
    if not isinstance(mapping, dict):
        return {}
    return {key: value for key, value in mapping.items() if isinstance(key, str) and isinstance(value, str)}


def scrub_result(result: Any) -> Any:
    """A result, history entry or callback payload without PII (a pending text stays as is)."""
    if not isinstance(result, dict):
        return result if isinstance(result, str) else None
    kept = _only(result, KEPT_RESULT_KEYS)
    if "PartnerParams" in kept:
        kept["PartnerParams"] = _only(kept["PartnerParams"], KEPT_PARTNER_PARAMS)
    if "Actions" in kept:
        kept["Actions"] = _flat_text(kept["Actions"])
    if "_reasons" in kept:
        codes = kept["_reasons"] if isinstance(kept["_reasons"], list) else []
        kept["_reasons"] = [code for code in codes if isinstance(code, str)]
    if "_decision" in kept:
        decision = _only(kept["_decision"], KEPT_DECISION_KEYS)
        if "actions" in decision:
            decision["actions"] = _flat_text(decision["actions"])
        kept["_decision"] = decision
    return kept


def scrub_v3_payload(payload: Any) -> dict[str, Any]:
    """A pending V3 callback body without PII: its outcome, and partner_params cut to the ids."""
    kept = _only(payload, KEPT_V3_PAYLOAD_KEYS)
    if isinstance(payload, dict) and isinstance(payload.get("partner_params"), dict):
        kept["partner_params"] = _only(payload["partner_params"], KEPT_PARTNER_PARAMS) or None
    return kept


def scrub_job(job: Job) -> None:
    """Strip the job's PII in place: inputs, partner_params, result, every history entry and a V3
    job's request."""
    job.inputs = _only(job.inputs, KEPT_INPUT_KEYS)
    job.partner_params = _only(job.partner_params, KEPT_PARTNER_PARAMS)
    job.result = scrub_result(job.result) if job.result is not None else None
    job.history = [scrub_result(entry) for entry in job.history or []]
    if job.v3_request is not None:
        job.v3_request = _only(job.v3_request, KEPT_V3_REQUEST_KEYS)


def _blob_keys(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _blob_keys(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _blob_keys(item)


def job_blob_keys(job: Job, blobs: BlobStore) -> set[str]:
    """Every blob holding the job's images or payload: those its inputs name, those stored under
    ``jobs/<id>/`` (liveness frames, comparison images...) and a leftover direct upload.

    The enrolled copy under ``users/`` is not included: it is the user's registration.
    """
    inputs = job.inputs or {}
    named = {*_blob_keys(inputs.get("images", {})), direct_upload_key(job.smile_job_id)}
    if isinstance(inputs.get("payload"), str):
        named.add(inputs["payload"])
    listed = set(blobs.keys(job_prefix(job.smile_job_id)))
    # Only keys that exist, so the count audited is what was really deleted.
    return listed | {key for key in named - listed if blobs.exists(key)}
