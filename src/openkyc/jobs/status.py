"""The body of a job_status answer (compatibility §4.3), before signing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from openkyc.api_errors import STATUS_SUCCESS_CODE
from openkyc.jobs.models import Job, JobState
from openkyc.storage.links import RECEIPT_RESULT_KEY, LinkSigner, has_receipt, receipt_link

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
    if complete and has_receipt(job.job_type, job.result):
        # Signed now, for this answer, with the image links' expiry: the result as stored holds no
        # link (a stored one would expire).
        receipt = receipt_link(links, base_url=base_url, smile_job_id=job.smile_job_id, expires=link_expires)
        body["result"][RECEIPT_RESULT_KEY] = receipt
        body["kyc_receipt"] = receipt  # where the Java SDK's JobStatusResponse reads it
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
            answer[wire_name] = image_url(
                job.smile_job_id, kind, base_url=base_url, links=links, expires=expires
            )
    if not answer:
        answer["error"] = "No images were stored for this job"
    return answer


# The kinds of a job's images, in the order a reviewer reads them; liveness frames are
# "liveness-<n>" (stored as a list under "liveness"). A visa (V3 residency jobs) is kept beside the
# zip's images, under the job input ``extra_images``.
IMAGE_ORDER = ("selfie", "liveness", "id_front", "id_back", "document", "comparison", "visa")
LIVENESS_KIND = "liveness-"
# The job input naming images kept beside the zip's (kind -> blob key): no SDK zip carries a visa.
EXTRA_IMAGES = "extra_images"


def stored_images(job: Job) -> list[tuple[str, str]]:
    """Every image stored for ``job`` as (kind, blob key): the selfie, each liveness frame
    ("liveness-0", ...), the document's front and back, its cropped image, a comparison image,
    a visa."""
    inputs = job.inputs or {}
    stored, extra = inputs.get("images", {}), inputs.get(EXTRA_IMAGES, {})
    if not isinstance(stored, dict):
        return []
    if isinstance(extra, dict):
        stored = {**extra, **stored}
    found: list[tuple[str, str]] = []
    for kind in IMAGE_ORDER:
        value = stored.get(kind)
        if isinstance(value, str):
            found.append((kind, value))
        elif kind == "liveness" and isinstance(value, list):
            found += [(f"{LIVENESS_KIND}{n}", key) for n, key in enumerate(value) if isinstance(key, str)]
    return found


def stored_image_key(job: Job, kind: str) -> str | None:
    """The blob key of ``job``'s image ``kind`` (as :func:`stored_images` names it), if stored."""
    return dict(stored_images(job)).get(kind)


def image_url(smile_job_id: str, kind: str, *, base_url: str, links: LinkSigner, expires: datetime) -> str:
    """The expiring signed link to one image, served by ``GET /v1/images/<smile_job_id>/<kind>``."""
    resource = f"{smile_job_id}/{kind}"
    expiry, signature = links.sign(resource, expires)
    return f"{base_url}/v1/images/{resource}?expires={expiry}&sig={signature}"
