"""Which address provider answers: OPENKYC_ADDRESS_PROVIDER's choice, for the key's environment."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from openkyc.address.base import AddressProvider, AddressQuery, AddressRecord, Location, RecordedAddress
from openkyc.address.sandbox import SandboxAddressProvider
from openkyc.address.select import SandboxOr, provider_for
from openkyc.app import create_app
from openkyc.config import Settings
from openkyc.db import transaction
from openkyc.jobs.models import Job
from openkyc.jobs.v3_results import outcome
from openkyc.partners import service as partners
from openkyc.runtime import Runtime
from tests.server import make_partner, make_runtime
from tests.v3.conftest import token_for


class OperatorRegister:
    """An operator's adapter: one person at one address, whatever the identifier."""

    name = "operator"

    def records(self, query: AddressQuery) -> AddressRecord:
        return AddressRecord("Grace Hopper", (RecordedAddress("1 Navy Yard", None, Location(38.87, -76.99)),))

    def locate(self, address: str, country: str) -> Location | None:
        return None


def operator_choice(settings: Settings) -> SandboxOr:
    return SandboxOr(OperatorRegister())


def test_by_default_sandbox_keys_get_the_sandbox_and_production_keys_none(runtime: Runtime) -> None:
    assert isinstance(provider_for(runtime, "sandbox"), SandboxAddressProvider)
    assert provider_for(runtime, "production") is None


def test_an_operators_provider_is_named_by_its_dotted_path(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path, address_provider="tests.address.test_select:operator_choice")
    production = provider_for(runtime, "production")
    assert isinstance(production, OperatorRegister)
    checked: AddressProvider = production  # the protocol is met
    assert checked.name == "operator"
    assert isinstance(provider_for(runtime, "sandbox"), SandboxAddressProvider)


def test_the_production_provider_answers_production_jobs(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path, address_provider="tests.address.test_select:operator_choice")
    partner = make_partner(runtime)
    with transaction(runtime.sessions) as session:
        partners.set_production_enabled(db_session=session, partner_id=partner.partner_id, enabled=True)
    with TestClient(create_app(runtime)) as client:
        token = token_for(client, partner, key=partner.production_key)
        parts = {
            "address": (None, "1 Navy Yard"),
            "country": (None, "ZA"),
            "id_number": (None, "8001015009087"),
            "callback_url": (None, "https://partner.example/cb"),
            "user_details": (
                None,
                json.dumps({"given_names": "Grace", "last_name": "Hopper", "email": "g@x.io"}),
            ),
            "consent": (
                None,
                json.dumps(
                    {
                        "granted": True,
                        "granted_at": "2026-01-01T00:00:00Z",
                        "notice_language": "EN",
                        "notice_privacy_policy_url": "https://x.io/p",
                    }
                ),
            ),
        }
        answer = client.post("/v3/address", headers={"SmileID-Token": token}, files=parts)
    assert answer.status_code == 202, answer.text
    with transaction(runtime.sessions) as session:
        job = session.scalars(select(Job).where(Job.job_id == answer.json()["job_id"])).one()
        assert (outcome(job).status, job.environment) == ("clear", "production")
