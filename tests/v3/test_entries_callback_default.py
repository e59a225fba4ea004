"""v3.entries.require_callback_destination: a partner's default callback URL is where an async V3
job's result goes only when it is an https URL (V3 callbacks are delivered to https only; a
default set for v1 may be http)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from openkyc.db import transaction
from openkyc.partners.models import Partner
from openkyc.runtime import Runtime
from tests.server import PartnerCreds
from tests.v3.entry_forms import accepted, post, refused

pytestmark = pytest.mark.usefixtures("conforming")

EKYC = "/v3/enhanced_kyc"
REAL: dict[str, Any] = {"country": "NG", "id_type": "NIN", "id_number": "12345678901"}
CALLBACK_REQUIRED = (
    "A valid callback_url is required in the request or a default callback URL must be configured in "
    "the portal."
)


def set_production_default(runtime: Runtime, partner: PartnerCreds, url: str) -> None:
    with transaction(runtime.sessions) as session:
        found = session.get(Partner, partner.partner_id)
        assert found is not None
        found.production_callback_url = url


def test_an_http_default_is_no_destination_an_https_one_is(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, production_auth: dict[str, str]
) -> None:
    set_production_default(runtime, partner, "http://partner.example/default")
    # Accepted, its callback would be refused for good at delivery (https only): the 400 instead.
    refused(post(client, EKYC, production_auth, **REAL, callback_url=None), 400, CALLBACK_REQUIRED)
    set_production_default(runtime, partner, "https://partner.example/default")
    accepted(post(client, EKYC, production_auth, **REAL, callback_url=None))
