"""The job page and the enrolled users: isolation between partners, roles, 404s, the resend of a
callback (a fresh delivery, audited), images behind expiring same-origin links, and the users'
actions with their audit rows, deleting purging the face and the job images."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openkyc.audit.models import AuditEvent
from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import transaction, utcnow
from openkyc.jobs import views as job_views
from openkyc.jobs.models import Job
from openkyc.portal.models import PortalRole
from openkyc.runtime import Runtime
from openkyc.storage.keys import enrolled_selfie_key, job_image_key, liveness_frame_key
from openkyc.users import service as users
from openkyc.users.models import EnrolledUser, UserStatus
from tests.portal.helpers import Member, add_job, add_member, csrf_of, post_form, sign_in
from tests.server import PartnerCreds, make_partner

# Two tiny PNGs: the bytes served back must be these.
SELFIE = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005fe02fea7d6a4d80000000049454e44ae426082"
)
FRAME = SELFIE + b"frame"
_IMG = re.compile(r'<img src="([^"]+)" alt="([^"]+)"')
RESULT = {
    "SmileJobID": "-",
    "ResultCode": "0810",
    "ResultText": "Document Verified",
    "Actions": {
        "Liveness_Check": "Passed",
        "Selfie_To_ID_Card_Compare": "Completed",
        "Verify_Document": "Passed",
    },
    "IsFinalResult": "true",
    "IsMachineResult": "true",
    "_success": True,
    "_decision": {
        "reasons": ["document.mrz_repaired"],
        "id_fields": {"Country": "UT", "IDNumber": "L898902C3"},
        "evidence": {
            "checks": [
                {
                    "check": "document.portrait",
                    "decision": "pass",
                    "signals": {
                        "face_similarity": {
                            "score": 0.8123,
                            "threshold": 0.42,
                            "higher_is_better": True,
                            "passed": True,
                        }
                    },
                    "reasons": [],
                },
                {
                    "check": "document",
                    "decision": "review",
                    "signals": {},
                    "reasons": [
                        {"code": "document.mrz_repaired", "message": "one character of the MRZ was repaired"}
                    ],
                },
            ],
            "mrz": {
                "type": "TD3",
                "valid": True,
                "checks": {"number": True},
                "fields": {"surname": "ERIKSSON"},
            },
            "visual_zone": {"surname": "Eriksson"},
        },
    },
}


def _events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with transaction(runtime.sessions) as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _docv_job(
    runtime: Runtime, partner_id: str, *, callback_url: str | None = None, user_id: str = "user-1"
) -> str:
    """A finished Document Verification job with a selfie, two liveness frames and a result."""
    smile_job_id = add_job(runtime, partner_id, job_type=6, result_code=None)
    selfie, frames = (
        job_image_key(smile_job_id, "selfie"),
        [liveness_frame_key(smile_job_id, n) for n in range(2)],
    )
    runtime.blobs.put(selfie, SELFIE)
    for key in frames:
        runtime.blobs.put(key, FRAME)
    images: dict[str, Any] = {"selfie": selfie, "liveness": frames}
    with transaction(runtime.sessions) as db:
        job = db.get(Job, smile_job_id)
        assert job is not None
        result = {**RESULT, "SmileJobID": smile_job_id}
        job.inputs, job.result, job.history = {"images": images}, result, [result]
        job.callback_url, job.user_id, job.completed_at = callback_url, user_id, utcnow()
    return smile_job_id


def test_a_job_page_shows_ids_evidence_history_and_images_that_load(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member], partner: PartnerCreds
) -> None:
    smile_job_id = _docv_job(runtime, partner.partner_id)
    auditor = team[PortalRole.AUDITOR]
    sign_in(portal, auditor)
    listing = portal.get("/portal/jobs").text
    assert f'href="/portal/jobs/{smile_job_id}"' in listing
    page = portal.get(f"/portal/jobs/{smile_job_id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    for expected in (
        smile_job_id,
        f"job-{smile_job_id}",
        "user-1",
        "Document Verification",
        "sandbox",
        "complete",
    ):
        assert expected in text, expected
    assert "0810" in text and "Document Verified" in text
    # Each Action with the checks behind it, the scores against thresholds, the fields read.
    assert (
        "document › portrait" in text and "face_similarity" in text and "0.812" in text and "≥ 0.42" in text
    )
    assert "document.mrz_repaired" in text and "one character of the MRZ was repaired" in text
    assert "ERIKSSON" in text and "Eriksson" in text and "L898902C3" in text
    assert 'id="history"' in page.text and 'id="no-callbacks"' in page.text
    assert "Resend callback" not in page.text  # an auditor only reads
    images = _IMG.findall(page.text)
    assert [alt for _, alt in images] == ["Selfie", "Liveness frame 1", "Liveness frame 2"]
    for (src, _), stored in zip(images, (SELFIE, FRAME, FRAME), strict=True):
        link = urlsplit(html.unescape(src))
        assert link.scheme == "" and link.netloc == "" and link.path.startswith("/v1/images/")  # same origin
        served = portal.get(html.unescape(src))
        assert served.status_code == 200 and served.content == stored
        assert served.headers["cache-control"] == "private, no-store"
    viewed = _events(runtime, "job.result_viewed")
    assert viewed[-1].actor_type == "portal_user" and viewed[-1].actor_id == str(auditor.id)
    assert viewed[-1].target_id == smile_job_id and viewed[-1].detail["images"] == 3


def test_image_links_expire(
    runtime: Runtime,
    portal: TestClient,
    team: dict[PortalRole, Member],
    partner: PartnerCreds,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smile_job_id = _docv_job(runtime, partner.partner_id)
    sign_in(portal, team[PortalRole.AUDITOR])
    src = html.unescape(_IMG.findall(portal.get(f"/portal/jobs/{smile_job_id}").text)[0][0])
    assert portal.get(src).status_code == 200
    later = utcnow() + runtime.settings.image_link_ttl + timedelta(seconds=5)
    monkeypatch.setattr(job_views, "utcnow", lambda: later)
    expired = portal.get(src)
    assert expired.status_code == 404 and SELFIE not in expired.content
    forged = portal.get(src.replace("/selfie?", "/liveness-0?"))  # a signature is for one image only
    assert forged.status_code == 404


def test_another_partners_job_and_an_unknown_id_are_one_404(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    other = make_partner(runtime, "Other partner")
    theirs = _docv_job(runtime, other.partner_id)
    sign_in(portal, team[PortalRole.OWNER])
    answers = [portal.get(f"/portal/jobs/{job_id}") for job_id in (theirs, "0000000000", "abc", "1" * 40)]
    assert [answer.status_code for answer in answers] == [404, 404, 404, 404]
    assert len({answer.text for answer in answers}) == 1
    assert theirs not in answers[0].text
    resend = post_form(portal, f"/portal/jobs/{theirs}/resend-callback", {}, page="/portal/jobs")
    assert resend.status_code == 404
    with transaction(runtime.sessions) as db:
        assert db.scalars(select(CallbackDelivery)).all() == []


def test_resend_schedules_a_fresh_delivery_of_the_current_result_and_is_audited(
    runtime: Runtime,
    portal: TestClient,
    team: dict[PortalRole, Member],
    partner: PartnerCreds,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handed: list[tuple[int, int]] = []
    monkeypatch.setattr(
        runtime.queue, "callback_due", lambda delivery, attempt: handed.append((delivery, attempt))
    )
    smile_job_id = _docv_job(
        runtime, partner.partner_id, callback_url="https://partner.example/cb?token=secret"
    )
    path = f"/portal/jobs/{smile_job_id}"

    sign_in(portal, team[PortalRole.AUDITOR])
    token = csrf_of(portal.get(path).text)
    assert portal.post(f"{path}/resend-callback", data={"csrf_token": token}).status_code == 403
    assert portal.post(f"{path}/resend-callback", data={}).status_code == 403  # no CSRF token

    operator = team[PortalRole.OPERATOR]
    sign_in(portal, operator)
    page = portal.get(path).text
    assert 'id="resend-form"' in page
    answer = portal.post(f"{path}/resend-callback", data={"csrf_token": csrf_of(page)})
    assert answer.status_code == 303 and answer.headers["location"] == f"{path}?resent=1"
    with transaction(runtime.sessions) as db:
        deliveries = db.scalars(select(CallbackDelivery)).all()
        assert len(deliveries) == 1
        delivery = deliveries[0]
        assert (
            delivery.smile_job_id == smile_job_id
            and delivery.url == "https://partner.example/cb?token=secret"
        )
        assert delivery.payload["ResultCode"] == "0810" and "_decision" not in delivery.payload
        assert not delivery.delivered and delivery.attempts == 0
        delivery_id = delivery.id
    assert handed == [(delivery_id, 0)]
    event = _events(runtime, "callback.resent")[-1]
    assert event.actor_type == "portal_user" and event.actor_id == str(operator.id)
    assert event.target_id == smile_job_id and event.detail["delivery_id"] == delivery_id
    shown = portal.get(answer.headers["location"]).text
    assert 'id="resent"' in shown and "https://partner.example/cb" in shown and "token=secret" not in shown


def test_resend_without_a_result_or_a_callback_url_is_refused(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member], partner: PartnerCreds
) -> None:
    pending = add_job(runtime, partner.partner_id, state="processing", result_code=None)
    no_url = _docv_job(runtime, partner.partner_id)  # no callback_url, and no default one
    sign_in(portal, team[PortalRole.OPERATOR])
    for smile_job_id in (pending, no_url):
        answer = post_form(portal, f"/portal/jobs/{smile_job_id}/resend-callback", {}, page="/portal/jobs")
        assert answer.status_code == 409, answer.text
    assert _events(runtime, "callback.resent") == []


def _enrol(runtime: Runtime, partner_id: str, user_id: str, environment: str = "sandbox") -> str:
    """An enrolled user with a face on file, registered by a job whose selfie is stored; the job."""
    smile_job_id = _docv_job(runtime, partner_id, user_id=user_id)
    with transaction(runtime.sessions) as db:
        job = db.get(Job, smile_job_id)
        assert job is not None
        job.environment = environment
    key = enrolled_selfie_key(partner_id, smile_job_id)
    runtime.blobs.put(key, SELFIE)
    with transaction(runtime.sessions) as db:
        users.enrol(
            db_session=db,
            box=runtime.box,
            partner_id=partner_id,
            environment=environment,
            user_id=user_id,
            embedding=np.ones(8),
            selfie_blob=key,
            smile_job_id=smile_job_id,
        )
    return smile_job_id


def _user(runtime: Runtime, partner_id: str, user_id: str, environment: str = "sandbox") -> EnrolledUser:
    with transaction(runtime.sessions) as db:
        user = users.find_user(db_session=db, partner_id=partner_id, environment=environment, user_id=user_id)
        assert user is not None
        db.expunge(user)
    return user


def test_the_users_list_is_per_environment_filtered_by_user_id_and_one_partners(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member], partner: PartnerCreds
) -> None:
    _enrol(runtime, partner.partner_id, "alice-1")
    _enrol(runtime, partner.partner_id, "alice_2")
    _enrol(runtime, partner.partner_id, "bob")
    _enrol(runtime, partner.partner_id, "prod-user", environment="production")
    _enrol(runtime, make_partner(runtime, "Other").partner_id, "alice-other")
    sign_in(portal, team[PortalRole.AUDITOR])

    def shown(query: str) -> list[str]:
        page = portal.get(f"/portal/users{query}")
        assert page.status_code == 200
        return re.findall(r"<tr>\s*<td>([^<]+)</td>", page.text)

    assert shown("") == ["alice-1", "alice_2", "bob"]
    assert shown("?environment=production") == ["prod-user"]
    assert shown("?user_id=alice") == ["alice-1", "alice_2"]
    assert shown("?user_id=alice_") == ["alice_2"]  # "_" is a character, not a wildcard
    assert shown("?user_id=%25") == []
    page = portal.get("/portal/users").text
    assert "/portal/users/status" not in page and "/portal/users/delete" not in page  # an auditor reads
    assert portal.get("/portal/users?environment=staging").status_code == 400
    assert portal.get("/portal/users?user_id=" + "x" * 500).status_code == 400
    assert portal.get("/portal/users?page=" + "9" * 50).status_code == 200


@pytest.mark.parametrize(
    ("action", "status"),
    [("disable", UserStatus.DISABLED), ("flag-reenroll", UserStatus.REENROLL_REQUIRED)],
)
def test_an_operator_changes_a_users_status_audited_and_an_auditor_cannot(
    runtime: Runtime,
    portal: TestClient,
    team: dict[PortalRole, Member],
    partner: PartnerCreds,
    action: str,
    status: UserStatus,
) -> None:
    _enrol(runtime, partner.partner_id, "carol")
    form = {"environment": "sandbox", "user_id": "carol", "action": action}
    sign_in(portal, team[PortalRole.AUDITOR])
    assert post_form(portal, "/portal/users/status", form, page="/portal/users").status_code == 403
    assert _user(runtime, partner.partner_id, "carol").status == UserStatus.ACTIVE

    operator = team[PortalRole.OPERATOR]
    sign_in(portal, operator)
    page = portal.get("/portal/users").text
    assert "/portal/users/status" in page and "/portal/users/delete" not in page  # deleting is an admin's
    answer = post_form(portal, "/portal/users/status", form, page="/portal/users")
    assert answer.status_code == 303
    assert _user(runtime, partner.partner_id, "carol").status == status
    event = _events(runtime, "user.status_changed")[-1]
    assert event.actor_type == "portal_user" and event.actor_id == str(operator.id)
    assert event.detail["status"] == status.value
    assert 'id="done"' in portal.get(answer.headers["location"]).text
    back = post_form(portal, "/portal/users/status", {**form, "action": "enable"}, page="/portal/users")
    assert back.status_code == 303 and _user(runtime, partner.partner_id, "carol").status == UserStatus.ACTIVE
    assert (
        post_form(
            portal, "/portal/users/delete", {**form, "confirm": "yes"}, page="/portal/users"
        ).status_code
        == 403
    )


def test_odd_user_actions_are_4xx(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member], partner: PartnerCreds
) -> None:
    other = make_partner(runtime, "Other")
    _enrol(runtime, other.partner_id, "theirs")
    sign_in(portal, team[PortalRole.OWNER])
    bad: list[tuple[str, dict[str, Any], int]] = [
        ("/portal/users/status", {"environment": "sandbox", "user_id": "theirs", "action": "disable"}, 404),
        ("/portal/users/status", {"environment": "sandbox", "user_id": "nobody", "action": "disable"}, 404),
        ("/portal/users/status", {"environment": "sandbox", "user_id": "x", "action": "delete"}, 400),
        ("/portal/users/status", {"environment": "mars", "user_id": "x", "action": "disable"}, 400),
        ("/portal/users/status", {"environment": "sandbox", "user_id": "", "action": "disable"}, 400),
        ("/portal/users/delete", {"environment": "sandbox", "user_id": "theirs"}, 404),
        ("/portal/users/delete", {"environment": "sandbox", "user_id": "theirs", "confirm": "yes"}, 404),
        ("/portal/users/delete", {"environment": "sandbox", "user_id": "a\x00b", "confirm": "yes"}, 400),
    ]
    for path, form, expected in bad:
        assert post_form(portal, path, form, page="/portal/users").status_code == expected, (path, form)
    assert _user(runtime, other.partner_id, "theirs").status == UserStatus.ACTIVE


def test_deleting_a_user_asks_first_then_purges_the_face_and_the_job_images(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member], partner: PartnerCreds
) -> None:
    smile_job_id = _enrol(runtime, partner.partner_id, "dave")
    enrolled = _user(runtime, partner.partner_id, "dave")
    assert enrolled.selfie_blob is not None and runtime.blobs.exists(enrolled.selfie_blob)
    admin = team[PortalRole.ADMIN]
    sign_in(portal, admin)
    form = {"environment": "sandbox", "user_id": "dave"}

    first = post_form(portal, "/portal/users/delete", form, page="/portal/users")
    assert first.status_code == 200 and 'id="delete-form"' in first.text
    assert 'name="confirm" value="yes" required' in first.text and "1 job(s)" in first.text
    assert _user(runtime, partner.partner_id, "dave").status == UserStatus.ACTIVE  # nothing yet

    done = portal.post(
        "/portal/users/delete", data={**form, "confirm": "yes", "csrf_token": csrf_of(first.text)}
    )
    assert done.status_code == 303
    deleted = _user(runtime, partner.partner_id, "dave")
    assert deleted.status == UserStatus.DELETED
    assert deleted.embedding_encrypted is None and deleted.selfie_blob is None
    assert not runtime.blobs.exists(enrolled.selfie_blob)
    assert not runtime.blobs.exists(job_image_key(smile_job_id, "selfie"))
    assert not runtime.blobs.exists(liveness_frame_key(smile_job_id, 0))
    with transaction(runtime.sessions) as db:
        job = db.get(Job, smile_job_id)
        assert job is not None and job.purged_at is not None and "images" not in (job.inputs or {})
    for action in ("user.status_changed", "user.biometrics_purged"):
        event = _events(runtime, action)[-1]
        assert event.actor_type == "portal_user" and event.actor_id == str(admin.id), action
    page = portal.get(f"/portal/jobs/{smile_job_id}").text
    assert 'id="no-images"' in page and "erased" in page


def test_the_cli_deletes_a_user_through_the_same_service(
    runtime: Runtime, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from openkyc.cli import app as cli_app
    from openkyc.cli import users as cli_users

    smile_job_id = _enrol(runtime, partner.partner_id, "erin")
    monkeypatch.setattr(cli_users, "open_runtime", lambda: runtime)
    answer = CliRunner().invoke(
        cli_app, ["users", "delete", "-p", partner.partner_id, "--env", "sandbox", "erin"]
    )
    assert answer.exit_code == 0, answer.output
    assert (
        "erased" in answer.output and _user(runtime, partner.partner_id, "erin").status == UserStatus.DELETED
    )
    assert not runtime.blobs.exists(job_image_key(smile_job_id, "selfie"))
    assert _events(runtime, "user.biometrics_purged")[-1].actor_type == "operator"


def test_a_member_added_later_sees_the_users_nav_link(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds
) -> None:
    member = add_member(runtime, partner.partner_id, PortalRole.AUDITOR)
    sign_in(portal, member)
    assert 'href="/portal/users"' in portal.get("/portal/").text
