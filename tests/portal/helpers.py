"""Portal test helpers: members, jobs and a signed-in TestClient."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from openkyc.audit import operator
from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job, JobState
from openkyc.portal import accounts
from openkyc.portal.models import PortalRole
from openkyc.runtime import Runtime

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@dataclass(frozen=True)
class Member:
    id: int
    partner_id: str
    email: str
    role: PortalRole


def add_member(runtime: Runtime, partner_id: str, role: PortalRole, email: str | None = None) -> Member:
    address = email or f"{role.value}-{secrets.token_hex(4)}@example.test"
    with transaction(runtime.sessions) as db:
        user = accounts.add_user(
            db,
            runtime.box,
            partner_id=partner_id,
            email=address,
            role=role,
            password=PASSWORD,
            actor=operator(),
        )
        return Member(user.id, partner_id, address, role)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def post_form(client: TestClient, path: str, data: dict[str, str], *, page: str | None = None) -> Response:
    """POST ``data`` with the CSRF token of ``page`` (default: the page at ``path``)."""
    token = csrf_of(client.get(page or path).text)
    answer: Response = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
    return answer


def sign_in(client: TestClient, member: Member, password: str = PASSWORD) -> Response:
    return post_form(client, "/portal/login", {"email": member.email, "password": password})


def add_job(
    runtime: Runtime,
    partner_id: str,
    *,
    job_type: int = 1,
    environment: str = "sandbox",
    state: str = JobState.COMPLETE,
    result_code: str | None = "1012",
    created_at: datetime | None = None,
    job_id: str | None = None,
) -> str:
    smile_job_id = f"{secrets.randbelow(10**10):010d}"
    result: dict[str, Any] | None = (
        {"ResultCode": result_code, "ResultText": "Valid ID / ID Number Validated"} if result_code else None
    )
    with transaction(runtime.sessions) as db:
        db.add(
            Job(
                smile_job_id=smile_job_id,
                partner_id=partner_id,
                environment=environment,
                api_key_id="test",
                user_id="user-1",
                job_id=job_id or f"job-{smile_job_id}",
                job_type=job_type,
                partner_params={"user_id": "user-1", "job_id": job_id or smile_job_id, "job_type": job_type},
                state=state,
                result=result,
                created_at=created_at or utcnow(),
            )
        )
    return smile_job_id
