from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from openkyc.db import transaction, utcnow
from openkyc.links import service
from openkyc.links.models import WebProduct
from openkyc.runtime import Runtime
from tests.server import PartnerCreds


def token_body(partner: PartnerCreds, **fields: Any) -> dict[str, Any]:
    # What smile_id_core.WebApi.get_web_token sends.
    defaults = {
        "user_id": "user-1",
        "job_id": "job-1",
        "product": "biometric_kyc",
        "callback_url": "https://partner.example/cb",
    }
    return partner.signed(**{**defaults, **fields})


@pytest.mark.parametrize("product", [p.value for p in WebProduct])
def test_every_documented_product_gets_a_token(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, product: str
) -> None:
    response = client.post("/v1/token", json=token_body(partner, product=product))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "token"} and body["success"] is True
    with transaction(runtime.sessions) as session:
        grant = service.lookup_token(db_session=session, token=body["token"], now=utcnow())
        assert grant is not None
        assert (grant.partner_id, grant.environment, grant.product) == (
            partner.partner_id,
            "sandbox",
            product,
        )
        assert grant.callback_url == "https://partner.example/cb"


def test_an_unknown_product_is_2217(client: TestClient, partner: PartnerCreds) -> None:
    response = client.post("/v1/token", json=token_body(partner, product="smart_selfie"))
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid product.", "code": "2217", "success": False}


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"product": None}, "2213"),
        ({"product": ""}, "2213"),
        ({"product": ["basic_kyc"]}, "2217"),
        ({"user_id": None}, "2213"),
        ({"job_id": ""}, "2213"),
        ({"job_id": {"id": 1}}, "2204"),
        ({"callback_url": 5}, "2204"),
    ],
)
def test_bad_fields_get_their_codes(
    client: TestClient, partner: PartnerCreds, fields: dict[str, Any], code: str
) -> None:
    body = token_body(partner)
    for name, value in fields.items():
        if value is None:
            body.pop(name)
        else:
            body[name] = value
    response = client.post("/v1/token", json=body)
    assert response.status_code == 400 and response.json()["code"] == code


def test_without_callback_url_the_token_has_none(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    response = client.post("/v1/token", json=token_body(partner, callback_url=None))
    assert response.status_code == 200
    with transaction(runtime.sessions) as session:
        grant = service.lookup_token(db_session=session, token=response.json()["token"], now=utcnow())
        assert grant is not None and grant.callback_url is None


def test_token_needs_a_valid_signature(client: TestClient, partner: PartnerCreds) -> None:
    body = token_body(partner)
    body.update(partner.signed(key="wrong"))
    response = client.post("/v1/token", json=body)
    assert response.status_code == 400 and response.json()["code"] == "2205"
