"""The review queue (/portal/review): who may look and who may decide, one partner's jobs only,
the final result in job_status with a callback scheduled, one winner when two reviewers decide at
once (SQLite and PostgreSQL), and junk input answered with a 4xx."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from openkyc import audit
from openkyc.app import create_app
from openkyc.audit.models import AuditEvent
from openkyc.callbacks import service as callbacks
from openkyc.db import transaction, utcnow
from openkyc.jobs import review
from openkyc.jobs.models import Job, JobState
from openkyc.portal.models import PortalRole
from openkyc.products import ProductResult, resolve_review_per_action, smart_selfie_authentication
from openkyc.runtime import Runtime
from openkyc.storage.keys import job_image_key
from openkyc.users import service as users
from tests.observability.postgres import database_url, throwaway_database
from tests.portal.helpers import Member, add_member, csrf_of, post_form, sign_in
from tests.products.factories import match, selfie
from tests.products.test_review import spoof_authentication, unsure_authentication
from tests.server import PartnerCreds, make_partner, make_runtime

COMPARE = "Human_Review_Compare"
LIVENESS = "Human_Review_Liveness_Check"
SELFIE = "Human_Review_Selfie_Check"
# A JPEG's first bytes are enough for the page: the browser test shows real images.
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def add_review_job(
    runtime: Runtime,
    partner_id: str,
    provisional: ProductResult | None = None,
    *,
    waiting_since: datetime | None = None,
    callback_url: str | None = "http://127.0.0.1:9/cb",
    job_type: int = 2,
    user_id: str = "user-r",
) -> str:
    """A SmartSelfie authentication job (by default) waiting for review, as a worker leaves it."""
    decided = provisional or unsure_authentication()
    with transaction(runtime.sessions) as db:
        count = db.query(Job).count()
        smile_job_id = f"{count + 7_000_000_000:010d}"
        job_id = f"review-{count}"
        params = {"user_id": user_id, "job_id": job_id, "job_type": job_type}
        result = {
            "SmileJobID": smile_job_id,
            "PartnerParams": params,
            **decided.wire(),
            "Source": "WebAPI",
            "_success": decided.approved,
            "_decision": decided.to_record(),
        }
        selfie = job_image_key(smile_job_id, "selfie")
        runtime.blobs.put(selfie, JPEG)
        db.add(
            Job(
                smile_job_id=smile_job_id,
                partner_id=partner_id,
                environment="sandbox",
                api_key_id="test",
                user_id=user_id,
                job_id=job_id,
                job_type=job_type,
                partner_params=params,
                callback_url=callback_url,
                state=JobState.REVIEW if not decided.is_final else JobState.COMPLETE,
                inputs={"images": {"selfie": selfie}},
                result=result,
                history=[result],
                created_at=(waiting_since or utcnow()) - timedelta(seconds=30),
                completed_at=waiting_since or utcnow(),
            )
        )
    return smile_job_id


def decide(client: TestClient, smile_job_id: str, fields: dict[str, str]) -> Response:
    # Any signed-in page carries the session's CSRF token (the sign-out form): the queue's does.
    return post_form(client, f"/portal/review/{smile_job_id}", fields, page="/portal/review")


def audit_events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with transaction(runtime.sessions) as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def stored(runtime: Runtime, smile_job_id: str) -> Job:
    with transaction(runtime.sessions) as db:
        job = db.get(Job, smile_job_id)
        assert job is not None
        db.expunge(job)
        return job


def test_an_empty_queue_says_so_and_what_puts_a_job_there(
    portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    sign_in(portal, team[PortalRole.AUDITOR])
    page = portal.get("/portal/review")
    assert page.status_code == 200
    assert 'id="no-review"' in page.text and "No jobs are waiting for review" in page.text
    assert "sandbox_result" in page.text and "provisional" in page.text
    assert 'href="/portal/review"' in portal.get("/portal/").text  # in the navigation


def test_the_queue_lists_the_partners_jobs_in_review_longest_waiting_first(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    now = utcnow()
    recent = add_review_job(runtime, partner.partner_id, waiting_since=now - timedelta(minutes=5))
    oldest = add_review_job(
        runtime, partner.partner_id, spoof_authentication(), waiting_since=now - timedelta(days=2, hours=3)
    )
    middle = add_review_job(runtime, partner.partner_id, waiting_since=now - timedelta(hours=4, minutes=10))
    other = make_partner(runtime, "Someone else")
    theirs = add_review_job(runtime, other.partner_id)
    sign_in(portal, team[PortalRole.AUDITOR])
    page = portal.get("/portal/review").text
    listed = re.findall(r'href="/portal/review/(\d+)"', page)
    assert listed == [oldest, middle, recent] and theirs not in page
    ages = re.findall(r'<td class="age">([^<]+)</td>', page)
    assert ages == ["2 d 3 h", "4 h 10 min", "5 min"]
    assert "3 jobs waiting" in page and "0824" in page and "0825" in page
    assert "can look at them" in page  # an auditor is told who decides


def test_an_auditor_sees_the_evidence_but_cannot_decide(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    smile_job_id = add_review_job(runtime, partner.partner_id)
    sign_in(portal, team[PortalRole.AUDITOR])
    page = portal.get(f"/portal/review/{smile_job_id}")
    assert page.status_code == 200
    assert 'id="side-by-side"' in page.text and 'data-kind="selfie"' in page.text
    assert 'id="read-only"' in page.text and 'id="review-form"' not in page.text
    assert "Selfie_To_Registered_Selfie_Compare" in page.text  # what the machine was unsure of
    token = csrf_of(page.text)
    refused = portal.post(f"/portal/review/{smile_job_id}", data={COMPARE: "passed", "csrf_token": token})
    assert refused.status_code == 403
    assert stored(runtime, smile_job_id).state == JobState.REVIEW


def test_an_operator_approves_and_the_final_result_is_in_job_status_and_called_back(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    smile_job_id = add_review_job(runtime, partner.partner_id)
    operator = team[PortalRole.OPERATOR]
    sign_in(portal, operator)
    page = portal.get(f"/portal/review/{smile_job_id}").text
    assert 'id="review-form"' in page
    # The compare is under review: no choice made for it; the settled checks start as passed.
    assert re.search(rf'name="{COMPARE}" value="passed" required', page)
    assert re.search(rf'name="{LIVENESS}" value="passed" checked', page)

    done = decide(portal, smile_job_id, {COMPARE: "passed", LIVENESS: "passed", SELFIE: "passed"})
    assert done.status_code == 200, done.text
    assert 'id="decision-recorded"' in done.text and 'id="callback-scheduled"' in done.text
    assert '<code id="result-code">1220</code>' in done.text and "Authenticate User" in done.text

    job = stored(runtime, smile_job_id)
    assert job.state == JobState.COMPLETE and job.result is not None
    assert [entry["ResultCode"] for entry in job.history] == ["0825", "1220"]
    status = portal.post(
        "/v1/job_status",
        json=partner.signed(user_id="user-r", job_id=job.job_id, history=True, image_links=False),
    ).json()
    assert status["job_complete"] is True and status["job_success"] is True
    assert status["result"]["ResultCode"] == "1220" and status["result"]["IsFinalResult"] == "true"
    assert status["result"]["Actions"][COMPARE] == "Passed"
    with transaction(runtime.sessions) as db:
        deliveries = callbacks.delivery_log(db_session=db, smile_job_id=smile_job_id)
    assert [delivery["url"] for delivery in deliveries] == ["http://127.0.0.1:9/cb"]

    [event] = audit_events(runtime, review.DECIDED)
    assert (event.actor_type, event.actor_id, event.target_id) == (
        "portal_user",
        str(operator.id),
        smile_job_id,
    )
    assert event.detail["result_code"] == "1220" and event.detail["approve"] is True
    assert f"{COMPARE}:Passed" in str(event.detail["verdicts"])
    # Decided: the page now says so instead of offering the form again.
    again = portal.get(f"/portal/review/{smile_job_id}")
    assert again.status_code == 200 and "was reviewed" in again.text and "1220" in again.text
    assert 'id="review-form"' not in again.text
    assert smile_job_id not in portal.get("/portal/review").text


def test_a_rejection_with_a_reason_and_a_note(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    smile_job_id = add_review_job(runtime, partner.partner_id, callback_url=None)
    sign_in(portal, team[PortalRole.ADMIN])
    note = "The selfie shows someone else than the registered face."
    done = decide(portal, smile_job_id, {COMPARE: "failed", "reason": "no_match", "note": note})
    assert done.status_code == 200, done.text
    assert "1221" in done.text and "Failed Authentication" in done.text
    assert 'id="no-callback"' in done.text  # no URL anywhere: said, not silently skipped
    job = stored(runtime, smile_job_id)
    assert job.result is not None and job.result["_success"] is False
    assert review.review_note(job) == note
    [event] = audit_events(runtime, review.DECIDED)
    assert event.detail["reason"] == "no_match" and event.detail["note"] is True
    assert 0 <= event.detail["waited_s"] < 60  # since its provisional result, for the dashboard
    assert note not in str(event.detail)  # the note may name a person: only the job keeps it, sealed
    assert note in portal.get(f"/portal/review/{smile_job_id}").text


def test_a_refused_combination_shows_the_form_again_with_what_to_change(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    smile_job_id = add_review_job(runtime, partner.partner_id, spoof_authentication())
    sign_in(portal, team[PortalRole.OPERATOR])
    nothing = decide(portal, smile_job_id, {})
    assert nothing.status_code == 400 and "Nothing was decided" in nothing.text
    partial = decide(portal, smile_job_id, {LIVENESS: "failed"})
    assert partial.status_code == 400 and "Human_Review_Selfie_Check has none" in partial.text
    wrong_reason = decide(portal, smile_job_id, {LIVENESS: "failed", SELFIE: "passed", "reason": "no_match"})
    assert wrong_reason.status_code == 400 and "did not fail" in wrong_reason.text
    assert 'id="review-form"' in wrong_reason.text
    assert stored(runtime, smile_job_id).state == JobState.REVIEW
    assert audit_events(runtime, review.DECIDED) == []


def test_members_of_another_partner_cannot_see_or_decide(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds
) -> None:
    smile_job_id = add_review_job(runtime, partner.partner_id)
    other = make_partner(runtime, "Another team")
    outsider = add_member(runtime, other.partner_id, PortalRole.OWNER)
    sign_in(portal, outsider)
    assert smile_job_id not in portal.get("/portal/review").text
    assert portal.get(f"/portal/review/{smile_job_id}").status_code == 404
    assert portal.get(f"/portal/review/{smile_job_id}/enrolled-face").status_code == 404
    token = csrf_of(portal.get("/portal/review").text)
    answer = portal.post(f"/portal/review/{smile_job_id}", data={COMPARE: "passed", "csrf_token": token})
    assert answer.status_code == 404
    assert stored(runtime, smile_job_id).state == JobState.REVIEW


def test_the_registered_face_is_shown_from_this_origin_and_audited(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    smile_job_id = add_review_job(runtime, partner.partner_id, user_id="enrolled-1")
    sign_in(portal, team[PortalRole.AUDITOR])
    assert 'data-kind="enrolled"' not in portal.get(f"/portal/review/{smile_job_id}").text
    with transaction(runtime.sessions) as db:
        runtime.blobs.put("enrolled/face", JPEG)
        users.enrol(
            db_session=db,
            box=runtime.box,
            partner_id=partner.partner_id,
            environment="sandbox",
            user_id="enrolled-1",
            embedding=np.zeros(128),
            selfie_blob="enrolled/face",
            smile_job_id="0000000001",
        )
    assert 'data-kind="enrolled"' in portal.get(f"/portal/review/{smile_job_id}").text
    face = portal.get(f"/portal/review/{smile_job_id}/enrolled-face")
    assert face.status_code == 200 and face.content == JPEG
    assert face.headers["cache-control"] == "private, no-store"
    [viewed] = [e for e in audit_events(runtime, "job.image_viewed") if e.detail["kind"] == "enrolled_selfie"]
    assert viewed.actor_type == "portal_user" and viewed.target_id == smile_job_id


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({COMPARE: "maybe"}, 400),
        ({COMPARE: "passed", "reason": "bad vibes"}, 400),
        ({COMPARE: "failed", "reason": "cropped_document"}, 400),  # not an authentication reason
        ({COMPARE: "passed", "note": "x" * 5000}, 400),
        ({COMPARE: "passed\x00"}, 400),
        ({"Human_Review_Document_Check": "passed"}, 400),  # a check this job does not have
        ({COMPARE: "é" * 30}, 400),
    ],
)
def test_junk_in_the_decision_form_is_a_4xx(
    runtime: Runtime,
    portal: TestClient,
    partner: PartnerCreds,
    team: dict[PortalRole, Member],
    fields: dict[str, str],
    status: int,
) -> None:
    smile_job_id = add_review_job(runtime, partner.partner_id)
    sign_in(portal, team[PortalRole.OPERATOR])
    assert decide(portal, smile_job_id, fields).status_code == status
    assert stored(runtime, smile_job_id).state == JobState.REVIEW


@pytest.mark.parametrize(
    "path", ["/portal/review/nope", "/portal/review/" + "9" * 40, "/portal/review/0000000000"]
)
def test_odd_or_unknown_job_ids_are_a_404(
    portal: TestClient, team: dict[PortalRole, Member], path: str
) -> None:
    sign_in(portal, team[PortalRole.OPERATOR])
    assert portal.get(path).status_code == 404
    token = csrf_of(portal.get("/portal/review").text)
    assert portal.post(path, data={COMPARE: "passed", "csrf_token": token}).status_code == 404


def test_a_job_that_never_waited_for_review_is_a_409(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    final = smart_selfie_authentication.decide(selfie(compared=match()), sandbox_result=None)
    smile_job_id = add_review_job(runtime, partner.partner_id, final)
    sign_in(portal, team[PortalRole.OPERATOR])
    page = portal.get(f"/portal/review/{smile_job_id}")
    assert page.status_code == 409 and "no provisional result" in page.text
    assert decide(portal, smile_job_id, {COMPARE: "passed"}).status_code == 409


# --- two reviewers at once ----------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database_runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    if request.param == "sqlite":
        yield make_runtime(tmp_path)
        return
    with throwaway_database("openkyc_review") as name:
        runtime = make_runtime(tmp_path, database_url=database_url(name))
        try:
            yield runtime
        finally:
            runtime.engine.dispose()


def test_two_reviewers_deciding_at_once_make_exactly_one_decision(
    database_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = database_runtime
    partner = make_partner(runtime)
    first, second = (add_member(runtime, partner.partner_id, PortalRole.OPERATOR) for _ in range(2))
    smile_job_id = add_review_job(runtime, partner.partner_id)

    # The first decision holds its claim (inside its transaction) until the second is under way,
    # so the second really meets the first's lock rather than arriving after it committed.
    claimed = threading.Event()
    rule = resolve_review_per_action

    def slow_rule(provisional: ProductResult, **kwargs: Any) -> ProductResult:
        claimed.set()
        time.sleep(1.0)
        return rule(provisional, **kwargs)

    monkeypatch.setattr(review, "resolve_review_per_action", slow_rule)
    answers: dict[str, Response] = {}
    app = create_app(runtime)
    with TestClient(app, follow_redirects=False) as one, TestClient(app, follow_redirects=False) as two:
        sign_in(one, first)
        sign_in(two, second)
        tokens = {
            "approve": csrf_of(one.get(f"/portal/review/{smile_job_id}").text),
            "reject": csrf_of(two.get(f"/portal/review/{smile_job_id}").text),
        }

        def send(name: str, client: TestClient, verdict: str) -> None:
            answers[name] = client.post(
                f"/portal/review/{smile_job_id}", data={COMPARE: verdict, "csrf_token": tokens[name]}
            )

        approving = threading.Thread(target=send, args=("approve", one, "passed"))
        approving.start()
        assert claimed.wait(30)
        rejecting = threading.Thread(target=send, args=("reject", two, "failed"))
        rejecting.start()
        approving.join(60)
        rejecting.join(60)

    assert answers["approve"].status_code == 200, answers["approve"].text
    lost = answers["reject"]
    assert lost.status_code == 409
    assert "Another reviewer decided this job" in lost.text and first.email in lost.text
    assert '<code id="result-code">1220</code>' in lost.text  # the outcome that stands
    job = stored(runtime, smile_job_id)
    assert job.state == JobState.COMPLETE and [h["ResultCode"] for h in job.history] == ["0825", "1220"]
    [event] = audit_events(runtime, review.DECIDED)
    assert event.actor_id == str(first.id)
    with transaction(runtime.sessions) as db:
        assert len(callbacks.delivery_log(db_session=db, smile_job_id=smile_job_id)) == 1


def test_many_decisions_at_once_on_the_service_have_one_winner(database_runtime: Runtime) -> None:
    runtime = database_runtime
    partner = make_partner(runtime)
    smile_job_id = add_review_job(runtime, partner.partner_id)
    start = threading.Barrier(4)
    won: list[int] = []
    lost: list[str] = []

    def reviewer(number: int) -> None:
        start.wait()
        try:
            review.decide_per_action(
                runtime,
                smile_job_id,
                partner_id=partner.partner_id,
                actor=audit.Actor.portal_user(number),
                verdicts={COMPARE: number % 2 == 0},
                reason=None,
            )
            won.append(number)
        except review.AlreadyDecided as error:
            lost.append(error.result_code)

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(won) == 1 and len(lost) == 3
    final = stored(runtime, smile_job_id).result
    assert final is not None and set(lost) == {final["ResultCode"]}
    assert len(audit_events(runtime, review.DECIDED)) == 1


def test_the_decision_records_how_long_the_job_waited_for_its_reviewer(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    smile_job_id = add_review_job(runtime, partner.partner_id, waiting_since=utcnow() - timedelta(hours=2))
    sign_in(portal, team[PortalRole.OPERATOR])
    assert decide(portal, smile_job_id, {COMPARE: "passed"}).status_code == 200
    [event] = audit_events(runtime, review.DECIDED)
    assert 7200 <= event.detail["waited_s"] < 7200 + 60
