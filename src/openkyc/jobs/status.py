"""The body of a job_status answer (compatibility §4.3), before signing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from openkyc.api_errors import STATUS_SUCCESS_CODE
from openkyc.jobs.models import Job, JobState
from openkyc.storage.links import LinkSigner

PENDING_RESULT = "Job is being processed"  # result may be a string while pending (Java, Android)
# Image names the job_status image_links use for each stored input.
IMAGE_LINK_NAMES = {"selfie": "selfie_image", "id_front": "id_card_image", "id_back": "id_card_back"}


def job_status_body(
    job: Job,
    *,
    history: bool,
    image_links: bool,
    base_url: str,
    links: LinkSigner,
    link_expires: datetime,
) -> dict[str, Any]:
    complete = job.state in (JobState.COMPLETE, JobState.FAILED)
    body: dict[str, Any] = {
        "job_complete": complete,
        "job_success": bool(complete and job.result and job.result.get("_success")),
        "code": STATUS_SUCCESS_CODE,
        "result": public_result(job.result) if job.result else PENDING_RESULT,
    }
    if history:
        body["history"] = [public_result(entry) for entry in (job.history or [])]
    if image_links:
        body["image_links"] = signed_image_links(job, base_url=base_url, links=links, expires=link_expires)
    return body


def public_result(result: dict[str, Any]) -> dict[str, Any]:
    """A stored result without our private bookkeeping keys (those start with an underscore)."""
    return {key: value for key, value in result.items() if not key.startswith("_")}


def signed_image_links(job: Job, *, base_url: str, links: LinkSigner, expires: datetime) -> dict[str, str]:
    stored = (job.inputs or {}).get("images", {})
    answer: dict[str, str] = {}
    for kind, wire_name in IMAGE_LINK_NAMES.items():
        if kind in stored:
            resource = f"{job.smile_job_id}/{kind}"
            expiry, signature = links.sign(resource, expires)
            answer[wire_name] = f"{base_url}/v1/images/{resource}?expires={expiry}&sig={signature}"
    if not answer:
        answer["error"] = "No images were stored for this job"
    return answer
