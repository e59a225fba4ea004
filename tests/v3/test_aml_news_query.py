"""GET /v3/aml/monitoring/{job_id}/news/{reference}: its page and limit queries, any text of them
the spec's 400 (tests/v3/test_aml.py has the look-up itself)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.usefixtures("conforming")

JOB_ID = "job_01h8x9y2z3a4b5c6d7e8f9g0h1"


@pytest.mark.parametrize(
    "query",
    [
        {"page": "\u00b2"},  # "²": str.isdigit() says yes, int() refuses it
        {"limit": "\u0663"},  # an Arabic-Indic 3
        {"page": "1" * 5000},  # past int()'s 4300 digits
        {"limit": " 7 8 "},
    ],
)
def test_a_page_or_limit_that_is_no_small_ascii_number_is_a_400(
    client: TestClient, auth: dict[str, str], query: dict[str, str]
) -> None:
    answer = client.get(
        f"/v3/aml/monitoring/{JOB_ID}/news/ref_001",
        headers=auth,
        params={"news_category": "financial_crime", **query},
    )
    assert answer.status_code == 400
    name = next(iter(query))
    assert answer.json() == {
        "status": "Bad Request",
        "message": f"{name} must be an integer between 1 and 100",
    }
