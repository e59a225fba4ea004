"""The cropped document: the flows keep the engine's crop of the document (upright, rectified) as a
bounded JPEG beside the job's other images, encrypted like them, and job_status's image_links stay
what the spec lists."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.db import transaction, utcnow
from openkyc.jobs.flows import CROPPED_DOCUMENT_LONG_SIDE, cropped_document_jpeg
from openkyc.jobs.models import Job
from openkyc.jobs.status import signed_image_links, stored_image_key, stored_images
from openkyc.runtime import Runtime
from openkyc.storage.keys import job_image_key
from openkyc.storage.local import LocalBlobStore
from testkit.documents import DocumentSpec, place_on_background, render_document
from tests.server import PartnerCreds, submit_and_process

# TD3 data page proportions (125 x 88 mm): the crop has them, the photo around it does not.
TD3_RATIO = 125 / 88
# A 1600 px JPEG of a document at quality 90 is a few hundred kB; a blob past this is not bounded.
MAX_CROPPED_BYTES = 1_000_000


def passport_photo(faces_dir: Path, tmp_path: Path) -> Path:
    """A phone photo of a passport data page (2200 px wide) lying tilted on a desk: the engine has
    to find, straighten and cut it out."""
    portrait = cv2.imread(
        str(faces_dir / "ageitgey+face_recognition" / "examples" / "knn_examples" / "test" / "obama1.jpg")
    )
    photo = place_on_background(
        render_document(DocumentSpec(), portrait_bgr=portrait), angle_deg=7, margin=0.12
    )
    path = tmp_path / "passport-photo.jpg"
    assert cv2.imwrite(str(path), photo, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path


def decoded(data: bytes) -> NDArray[Any]:
    assert data[:3] == b"\xff\xd8\xff", "not a JPEG"
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_a_large_crop_is_scaled_down_to_the_bound_and_a_small_one_is_kept_as_is() -> None:
    rng = np.random.default_rng(0)
    large = rng.integers(0, 256, (1700, 2400, 3), dtype=np.uint8)
    data = cropped_document_jpeg(large)
    assert data is not None
    assert decoded(data).shape == (1133, CROPPED_DOCUMENT_LONG_SIDE, 3)  # proportions kept
    small = np.full((500, 800, 3), 200, np.uint8)
    data = cropped_document_jpeg(small)
    assert data is not None and decoded(data).shape == (500, 800, 3)  # never scaled up
    assert cropped_document_jpeg(np.zeros((0, 0, 3), np.uint8)) is None


@pytest.mark.slow
@pytest.mark.parametrize(
    ("job_type", "id_info"),
    [
        (6, {"country": "US", "id_type": "PASSPORT"}),
        (11, {"country": "NG", "id_type": "PASSPORT", "id_number": "A00000001"}),  # the sandbox test number
    ],
    ids=["document-verification", "enhanced-document-verification"],
)
def test_a_document_job_stores_its_cropped_document_as_a_bounded_encrypted_jpeg(
    runtime: Runtime,
    partner: PartnerCreds,
    faces_dir: Path,
    tmp_path: Path,
    job_type: int,
    id_info: dict[str, str],
) -> None:
    photo = passport_photo(faces_dir, tmp_path)
    smile_job_id = submit_and_process(
        runtime,
        partner,
        faces_dir / "ageitgey+face_recognition" / "examples" / "obama2.jpg",
        f"cropped-{job_type}",
        job_type=job_type,
        id_card=photo,
        id_info=id_info,
    )
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        assert job is not None and job.result is not None
        session.expunge(job)
    key = stored_image_key(job, "document")
    assert key == job_image_key(smile_job_id, "document")
    assert [kind for kind, _ in stored_images(job)] == ["selfie", "id_front", "document"]

    data = runtime.blobs.get(key)
    assert len(data) < MAX_CROPPED_BYTES
    crop = decoded(data)
    height, width = crop.shape[:2]
    assert max(height, width) == CROPPED_DOCUMENT_LONG_SIDE  # the engine's crop is larger: scaled down
    # The document cut out of the photo and made upright, not the photo as sent.
    assert width / height == pytest.approx(TD3_RATIO, rel=0.05)
    sent = cv2.imread(str(photo))
    assert abs(sent.shape[1] / sent.shape[0] - TD3_RATIO) > 0.1

    # Encrypted at rest like the selfie and the document as sent.
    assert isinstance(runtime.blobs, LocalBlobStore)
    on_disk = (runtime.blobs.root / key).read_bytes()
    assert data not in on_disk and not on_disk.startswith(b"\xff\xd8")
    # job_status's image_links keep the names the spec lists: the crop is the portal's.
    links = signed_image_links(job, base_url="", links=runtime.links, expires=utcnow() + timedelta(minutes=5))
    assert set(links) == {"selfie_image", "id_card_image"}
