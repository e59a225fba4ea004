from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from openkyc.api_errors import ApiError
from openkyc.ratelimit import service
from openkyc.runtime import Runtime
from tests.server import PartnerCreds


def block(runtime: Runtime, partner: PartnerCreds, country: str = "NG") -> None:
    for _ in range(service.LIMIT):
        service.check_and_record(
            runtime,
            partner_id=partner.partner_id,
            environment="sandbox",
            country=country,
            id_type="BVN",
            id_number="00000000000",
        )


def is_blocked(runtime: Runtime, partner: PartnerCreds, country: str = "NG") -> bool:
    try:
        service.check_and_record(
            runtime,
            partner_id=partner.partner_id,
            environment="sandbox",
            country=country,
            id_type="BVN",
            id_number="00000000000",
        )
    except ApiError:
        return True
    return False


def test_reset_answers_as_documented_and_unblocks(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    block(runtime, partner)
    body = partner.signed(country="NG", id_type="BVN", id_number="00000000000")
    response = client.post("/v1/id_number_rate_limit_reset", json=body)
    assert response.status_code == 200
    assert response.json() == {"message": "Rate limit reset successful", "success": "true"}
    assert not is_blocked(runtime, partner)


def test_reset_without_country_covers_every_country(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    block(runtime, partner, "NG")
    block(runtime, partner, "GH")
    body = partner.signed(id_type="BVN", id_number="00000000000")
    assert client.post("/v1/id_number_rate_limit_reset", json=body).status_code == 200
    assert not is_blocked(runtime, partner, "NG") and not is_blocked(runtime, partner, "GH")


def test_reset_with_a_production_key_leaves_sandbox_counts(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    from openkyc.db import transaction
    from openkyc.partners import service as partners

    with transaction(runtime.sessions) as session:
        partners.set_production_enabled(db_session=session, partner_id=partner.partner_id, enabled=True)
    block(runtime, partner)
    body = partner.signed(key=partner.production_key, id_type="BVN", id_number="00000000000")
    assert client.post("/v1/id_number_rate_limit_reset", json=body).status_code == 200
    assert is_blocked(runtime, partner)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"id_number": "00000000000"}, "2213"),
        ({"id_type": "BVN"}, "2213"),
        ({"id_type": "BVN", "id_number": ""}, "2213"),
        ({"id_type": ["BVN"], "id_number": "00000000000"}, "2204"),
    ],
)
def test_reset_needs_id_type_and_number(
    client: TestClient, partner: PartnerCreds, fields: dict[str, Any], code: str
) -> None:
    response = client.post("/v1/id_number_rate_limit_reset", json=partner.signed(**fields))
    assert response.status_code == 400 and response.json()["code"] == code


def test_reset_needs_a_valid_signature(client: TestClient, partner: PartnerCreds) -> None:
    body = partner.signed(key="wrong", id_type="BVN", id_number="00000000000")
    response = client.post("/v1/id_number_rate_limit_reset", json=body)
    assert response.status_code == 400 and response.json()["code"] == "2205"
