"""The cropped document of a real Document Verification run on the job page and the review page,
through the same expiring same-origin links as the other images, until retention or the user's
deletion erases it."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openkyc import audit
from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job
from openkyc.portal.models import PortalRole
from openkyc.retention.service import purge_expired
from openkyc.retention.user_purge import delete_user
from openkyc.runtime import Runtime
from openkyc.storage.keys import job_image_key
from tests.jobs.test_flows_cropped_document import decoded, passport_photo
from tests.portal.helpers import Member, sign_in
from tests.server import PartnerCreds, make_runtime, submit_and_process

pytestmark = pytest.mark.slow

RETENTION_DAYS = 30
_IMG = re.compile(r'<img src="([^"]+)" alt="([^"]+)" data-kind="([^"]+)"')
LABEL = "Cropped document (as the engine read it)"


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    """An installation that keeps images for 30 days, so retention has something to purge."""
    return make_runtime(tmp_path, retention_days=RETENTION_DAYS)


def _run(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path, tmp_path: Path, sandbox_result: str
) -> str:
    return submit_and_process(
        runtime,
        partner,
        faces_dir / "ageitgey+face_recognition" / "examples" / "obama2.jpg",
        f"cropped-{sandbox_result}",
        job_type=6,
        user_id="holder",
        id_card=passport_photo(faces_dir, tmp_path),
        id_info={"country": "US", "id_type": "PASSPORT"},
        sandbox_result=sandbox_result,
    )


def _images(page: str) -> list[tuple[str, str, str]]:
    """(kind, label, link) of each image on ``page``, in order."""
    return [(kind, html.unescape(alt), html.unescape(src)) for src, alt, kind in _IMG.findall(page)]


@pytest.mark.parametrize("erased_by", ["retention", "user deletion"])
def test_the_job_page_shows_the_cropped_document_until_it_is_erased(
    runtime: Runtime,
    portal: TestClient,
    team: dict[PortalRole, Member],
    partner: PartnerCreds,
    faces_dir: Path,
    tmp_path: Path,
    erased_by: str,
) -> None:
    smile_job_id = _run(runtime, partner, faces_dir, tmp_path, sandbox_result="0")  # approved, enrolled
    key = job_image_key(smile_job_id, "document")
    sign_in(portal, team[PortalRole.AUDITOR])
    page = portal.get(f"/portal/jobs/{smile_job_id}")
    assert page.status_code == 200
    images = _images(page.text)
    assert [kind for kind, _, _ in images] == ["selfie", "id_front", "document"]
    _, label, link = images[-1]
    assert label == LABEL and link.startswith(f"/v1/images/{smile_job_id}/document?")  # same origin
    served = portal.get(link)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"] == "private, no-store"
    assert served.content == runtime.blobs.get(key) and decoded(served.content).shape[1] == 1600

    if erased_by == "retention":
        with transaction(runtime.sessions) as db:
            job = db.get(Job, smile_job_id)
            assert job is not None
            job.completed_at = utcnow() - timedelta(days=RETENTION_DAYS + 1)
        assert purge_expired(runtime, utcnow()).jobs == 1
    else:
        admin = team[PortalRole.ADMIN]
        delete_user(
            runtime,
            partner_id=partner.partner_id,
            environment="sandbox",
            user_id="holder",
            actor=audit.Actor.portal_user(admin.id),
        )
    assert not runtime.blobs.exists(key)
    assert list(runtime.blobs.keys(f"jobs/{smile_job_id}/")) == []
    assert portal.get(link).status_code == 404
    after = portal.get(f"/portal/jobs/{smile_job_id}").text
    assert _images(after) == [] and "erased" in after


def test_the_review_page_puts_the_cropped_document_beside_the_selfie(
    runtime: Runtime,
    portal: TestClient,
    team: dict[PortalRole, Member],
    partner: PartnerCreds,
    faces_dir: Path,
    tmp_path: Path,
) -> None:
    smile_job_id = _run(runtime, partner, faces_dir, tmp_path, sandbox_result="2")  # provisional
    sign_in(portal, team[PortalRole.OPERATOR])
    page = portal.get(f"/portal/review/{smile_job_id}")
    assert page.status_code == 200
    side_by_side = page.text.split('id="side-by-side"', 1)[1].split("</div>", 1)[0]
    images = _images(side_by_side)
    assert [kind for kind, _, _ in images] == ["selfie", "document", "id_front"]
    assert images[1][1] == LABEL
    served = portal.get(images[1][2])
    assert served.status_code == 200
    assert served.content == runtime.blobs.get(job_image_key(smile_job_id, "document"))
