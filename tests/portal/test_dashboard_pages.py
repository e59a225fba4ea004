"""The portal's dashboard (/portal/): every role reads it, only its partner's jobs count, the
environment and period filters, the empty states, inline SVG under the portal's policy, and junk
in its query a 400."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job, JobState
from openkyc.portal.models import PortalRole
from openkyc.runtime import Runtime
from tests.portal.helpers import Member, add_member, sign_in
from tests.server import PartnerCreds, make_partner


def add_result(
    runtime: Runtime,
    partner_id: str,
    *,
    code: str,
    success: bool = False,
    state: str = JobState.COMPLETE,
    job_type: int = 4,
    environment: str = "sandbox",
    days_ago: float = 0,
) -> str:
    """A job whose result was recorded ``days_ago`` days ago."""
    smile_job_id = f"{secrets.randbelow(10**10):010d}"
    completed = utcnow() - timedelta(days=days_ago)
    with transaction(runtime.sessions) as db:
        db.add(
            Job(
                smile_job_id=smile_job_id,
                partner_id=partner_id,
                environment=environment,
                api_key_id="test",
                user_id="user-1",
                job_id=f"job-{smile_job_id}",
                job_type=job_type,
                partner_params={},
                state=state,
                result={"ResultCode": code, "ResultText": "-", "_success": success},
                created_at=completed - timedelta(minutes=5),
                completed_at=completed,
            )
        )
    return smile_job_id


def words(html: str) -> str:
    """The page's text, tags left out and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def totals(html: str) -> dict[str, str]:
    """The period's tiles: {"results": "3", "approved": "2", ..., "pass rate": "67%"}."""
    section = html.split('id="totals"', 1)[1].split("</section>", 1)[0]
    return {
        label: value
        for value, label in re.findall(
            r'<span class="figure">(?:<span class="swatch [a-z-]+"></span>)?([^<]+)</span><span>([^<]+)</span>',
            section,
        )
    }


@pytest.mark.parametrize("role", list(PortalRole))
def test_every_role_reads_the_dashboard(
    runtime: Runtime,
    portal: TestClient,
    team: dict[PortalRole, Member],
    partner: PartnerCreds,
    role: PortalRole,
) -> None:
    add_result(runtime, partner.partner_id, code="0810", success=True)
    add_result(runtime, partner.partner_id, code="0811", state=JobState.FAILED)
    add_result(runtime, partner.partner_id, code="0814", state=JobState.REVIEW, job_type=6)
    add_result(runtime, partner.partner_id, code="0001", state=JobState.FAILED)
    sign_in(portal, team[role])
    page = portal.get("/portal/")
    assert page.status_code == 200
    assert "Two-factor sign-in is off" in page.text and team[role].email in page.text
    assert totals(page.text) == {
        "results": "4",
        "approved": "1",
        "rejected": "1",
        "in review": "1",
        "errors": "1",
        "pass rate": "50%",
    }
    assert 'id="results-chart"' in page.text and 'id="rates-chart"' in page.text
    assert "1 job waits for a reviewer now" in words(page.text)  # the review backlog


def test_the_page_follows_the_portal_policy(
    runtime: Runtime, portal: TestClient, team: dict[PortalRole, Member], partner: PartnerCreds
) -> None:
    add_result(runtime, partner.partner_id, code="0810", success=True, days_ago=3)
    add_result(runtime, partner.partner_id, code="1013", job_type=5)
    sign_in(portal, team[PortalRole.AUDITOR])
    page = portal.get("/portal/")
    policy = page.headers["content-security-policy"]
    assert "style-src 'self'" in policy and "script-src" not in policy
    # No script, no inline style (the policy would drop it), nothing from elsewhere.
    assert "<script" not in page.text and "style=" not in page.text and "<style" not in page.text
    assert "http://" not in page.text and "https://" not in page.text
    # Each chart is titled and described for assistive technology, each shape titled, and its
    # figures are in a table too.
    for chart in ("results-chart", "rates-chart"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in page.text
        assert f'<title id="{chart}-title">' in page.text and f'<desc id="{chart}-desc">' in page.text
    assert re.search(r'<rect class="r-approved"[^>]*><title>[^<]+: 1 approved</title>', page.text)
    assert 'id="results-table"' in page.text and 'id="rates-table"' in page.text
    assert "Enhanced / Basic KYC" in page.text and "SmartSelfie Registration" in page.text


def test_a_member_sees_only_their_partners_figures(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    other = make_partner(runtime, name="Another partner")
    for _ in range(3):
        add_result(runtime, partner.partner_id, code="0810", success=True)
    for _ in range(5):
        add_result(runtime, other.partner_id, code="0811", state=JobState.REVIEW)
    sign_in(portal, team[PortalRole.OWNER])
    ours = totals(portal.get("/portal/").text)
    assert ours["results"] == "3" and ours["in review"] == "0"
    portal.cookies.clear()
    sign_in(portal, add_member(runtime, other.partner_id, PortalRole.AUDITOR))
    theirs = portal.get("/portal/").text
    assert totals(theirs)["results"] == "5" and totals(theirs)["approved"] == "0"
    assert "5 jobs wait for a reviewer now" in words(theirs)


def test_environment_and_period_filters(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    add_result(runtime, partner.partner_id, code="0810", success=True)
    add_result(runtime, partner.partner_id, code="0811", environment="production", days_ago=1)
    add_result(runtime, partner.partner_id, code="0810", success=True, days_ago=20)
    add_result(runtime, partner.partner_id, code="0810", success=True, days_ago=60)
    sign_in(portal, team[PortalRole.OPERATOR])
    assert totals(portal.get("/portal/").text)["results"] == "3"  # both environments, 30 days
    assert totals(portal.get("/portal/?days=7").text)["results"] == "2"
    assert totals(portal.get("/portal/?days=90").text)["results"] == "4"
    production = portal.get("/portal/?environment=production&days=7").text
    assert totals(production) == {
        "results": "1",
        "approved": "0",
        "rejected": "1",
        "in review": "0",
        "errors": "0",
        "pass rate": "0%",
    }
    assert (
        'aria-current="page">Production</a>' in production and 'aria-current="page">7 days</a>' in production
    )
    # The period's links keep the environment, the environment's keep the period.
    assert 'href="?environment=production&amp;days=90"' in production
    assert 'href="?environment=sandbox&amp;days=7"' in production
    assert 'href="jobs?environment=production&amp;state=review"' not in production  # nothing waits
    assert 'href="/portal/jobs?environment=production&amp;state=queued"' in production


def test_no_jobs_yet_says_how_to_run_one(
    portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    sign_in(portal, team[PortalRole.ADMIN])
    page = portal.get("/portal/")
    assert page.status_code == 200 and 'id="no-jobs-yet"' in page.text
    assert "No jobs yet" in page.text and partner.partner_id in page.text
    assert "00000000000" in page.text and "sandbox_result" in page.text
    assert 'href="/docs/postman.json"' in page.text
    assert "<svg" not in page.text and 'id="totals"' not in page.text


def test_a_quiet_period_says_so_and_keeps_the_filters(
    runtime: Runtime, portal: TestClient, partner: PartnerCreds, team: dict[PortalRole, Member]
) -> None:
    add_result(runtime, partner.partner_id, code="0810", success=True, days_ago=45)
    sign_in(portal, team[PortalRole.AUDITOR])
    page = portal.get("/portal/?days=7").text
    assert "No results recorded in sandbox and production in the last 7 days" in page
    assert 'id="no-jobs-yet"' not in page and 'id="results-chart"' not in page
    assert 'aria-label="Period"' in page
    assert totals(portal.get("/portal/?days=90").text)["results"] == "1"


@pytest.mark.parametrize(
    "query",
    [
        "environment=staging",
        "environment=Sandbox",
        "environment=%00",
        "days=14",
        "days=0",
        "days=-7",
        "days=²",
        "days=" + "9" * 5000,
        "days=7.0",
        "days=%EF%BC%97",  # a fullwidth 7
    ],
)
def test_junk_in_the_query_is_a_400(portal: TestClient, team: dict[PortalRole, Member], query: str) -> None:
    sign_in(portal, team[PortalRole.AUDITOR])
    answer = portal.get(f"/portal/?{query}")
    assert answer.status_code == 400 and "Unknown filter value" in answer.text, query
    as_json = portal.get(f"/portal/?{query}", headers={"accept": "application/json"})
    assert as_json.status_code == 400 and as_json.json()["success"] is False


def test_empty_values_and_unknown_keys_mean_the_defaults(
    portal: TestClient, team: dict[PortalRole, Member]
) -> None:
    sign_in(portal, team[PortalRole.AUDITOR])
    for query in ("environment=&days=", "page=3", "days=30&environment=all&x=1"):
        assert portal.get(f"/portal/?{query}").status_code == 200, query
