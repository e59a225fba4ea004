"""What the flows keep for reviewers: the engine's evidence with the decision, and the liveness
frames beside the other images."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from smile_id_core.image_upload import generate_zip_file

from openkyc.db import transaction, utcnow
from openkyc.jobs.flows import _store_images
from openkyc.jobs.intake import read_job_payload
from openkyc.jobs.models import Job
from openkyc.jobs.status import stored_images
from openkyc.portal.evidence import job_evidence
from openkyc.runtime import Runtime
from testkit.documents import DocumentSpec, render_document
from tests.server import PartnerCreds, submit_and_process


def test_liveness_frames_are_stored_with_the_other_images(
    runtime: Runtime, faces_dir: Path, tmp_path: Path
) -> None:
    selfie = faces_dir / "ageitgey+face_recognition" / "examples" / "obama2.jpg"
    frames = [tmp_path / f"frame{n}.jpg" for n in range(3)]
    for frame in frames:
        frame.write_bytes(selfie.read_bytes())
    params = {"user_id": "u", "job_id": "j", "job_type": 4}
    payload = generate_zip_file(
        partner_id="1",
        callback_url="",
        upload_url="",
        partner_params=params,
        image_params=[
            {"image_type_id": 0, "file_name": str(selfie)},
            *({"image_type_id": 4, "file_name": str(frame)} for frame in frames),
        ],
        id_info_params={},
        signature_params={"timestamp": "2026-01-01T00:00:00.000Z", "signature": "x"},
    )
    job = Job(
        smile_job_id="0000000007", partner_id="1", environment="sandbox", user_id="u", job_id="j", job_type=4
    )
    images = _store_images(runtime, job, read_job_payload(bytes(payload)))
    assert images["liveness"] == [f"jobs/0000000007/liveness/{n}" for n in range(3)]
    assert all(runtime.blobs.get(key) == selfie.read_bytes() for key in images["liveness"])
    job.inputs = {"images": images}
    assert [kind for kind, _ in stored_images(job)] == ["selfie", "liveness-0", "liveness-1", "liveness-2"]


@pytest.mark.slow
def test_a_document_verification_keeps_its_checks_and_the_fields_read(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path, tmp_path: Path
) -> None:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    passport = tmp_path / "passport.jpg"
    page = render_document(
        DocumentSpec(), portrait_bgr=cv2.imread(str(examples / "knn_examples" / "test" / "obama1.jpg"))
    )
    assert cv2.imwrite(str(passport), page, [cv2.IMWRITE_JPEG_QUALITY, 92])
    smile_job_id = submit_and_process(
        runtime,
        partner,
        examples / "obama2.jpg",
        "docv",
        job_type=6,
        id_card=passport,
        id_info={"country": "US", "id_type": "PASSPORT"},
    )
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        assert job is not None and job.result is not None
        record = job.result["_decision"]["evidence"]
        evidence = job_evidence(job, links=runtime.links, base_url="", expires=utcnow())
    paths = [check["check"] for check in record["checks"]]
    assert "document.portrait.match" in paths and all(
        path.startswith(("selfie", "document")) for path in paths
    )
    assert record["mrz"]["fields"]["surname"] == "ERIKSSON" and record["mrz"]["valid"] is True
    assert "callback" not in str(record)  # nothing of the request, only the engine's findings
    compare = {action.name: action for action in evidence.actions}["Selfie_To_ID_Card_Compare"]
    similarity = [
        signal for check in compare.checks for signal in check.signals if signal.name == "face_similarity"
    ]
    assert similarity and 0.0 <= similarity[0].score <= 1.0 and similarity[0].threshold > 0
    assert [image.kind for image in evidence.images] == ["selfie", "id_front", "document"]
    assert ("surname", "ERIKSSON") in evidence.mrz.fields if evidence.mrz else False
