"""parse_partner_params: the gate every job's partner params pass before they are stored."""

from __future__ import annotations

from typing import Any

import pytest

from openkyc.api_errors import ApiError
from openkyc.jobs.service import parse_partner_params


def test_partner_params_keep_every_key_the_partner_sent() -> None:
    params = parse_partner_params({"user_id": "u", "job_id": 7, "job_type": "4", "shop": {"till": 3}})
    assert (params.user_id, params.job_id, params.job_type) == ("u", "7", 4)
    assert params.raw == {"user_id": "u", "job_id": 7, "job_type": "4", "shop": {"till": 3}}


@pytest.mark.parametrize(
    "extra",
    [
        {"note": "\ud800"},
        {"\udc00": "key"},
        {"nested": [{"deep": "x\x00"}]},
        {"job_id": "j\x00"},
        {"user_id": "\udfff"},
    ],
    ids=["surrogate-value", "surrogate-key", "nul-nested", "nul-job-id", "surrogate-user-id"],
)
def test_a_lone_surrogate_or_nul_in_partner_params_is_refused_before_storage(extra: dict[str, Any]) -> None:
    # Stored, a lone surrogate made that job's job_status a 500 forever; PostgreSQL refuses NUL.
    with pytest.raises(ApiError) as caught:
        parse_partner_params({"user_id": "u", "job_id": "j", "job_type": 4, **extra})
    assert (caught.value.spec.code, caught.value.http_status) == ("2204", 400)
