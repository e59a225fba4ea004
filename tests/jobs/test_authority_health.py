"""jobs.authority_health: an authority's recent look-ups, per environment, over the last hour."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from openkyc.db import transaction, utcnow
from openkyc.jobs.authority_health import WINDOW, authority_health
from openkyc.runtime import Runtime
from tests.server import PartnerCreds


def test_figures_are_per_environment_and_within_the_hour(
    client: TestClient, partner: PartnerCreds, runtime: Runtime
) -> None:
    for job_id, digit in (("a", 0), ("b", 3)):
        client.post(
            "/v1/id_verification",
            json=partner.signed(
                partner_params={"user_id": "u", "job_id": job_id, "job_type": 5},
                country="NG",
                id_type="BVN",
                id_number=f"0000000000{digit}",
            ),
        )
    now = utcnow()
    with transaction(runtime.sessions) as session:
        sandbox = authority_health(session, environment="sandbox", country="NG", id_type="BVN", now=now)
        assert sandbox is not None
        assert (sandbox.checks, sandbox.reached, sandbox.success_rate) == (2, 1, 50)
        assert not sandbox.last_reached and now - sandbox.last_checked < timedelta(minutes=1)
        assert (
            authority_health(session, environment="production", country="NG", id_type="BVN", now=now) is None
        )
        later = now + WINDOW + timedelta(minutes=1)
        assert (
            authority_health(session, environment="sandbox", country="NG", id_type="BVN", now=later) is None
        )
        assert authority_health(session, environment="sandbox", country="NG", id_type="NIN", now=now) is None
