"""By default sandbox keys get the sandbox business registry, production keys the operator's local
one; OPENKYC_BUSINESS_REGISTRY_PROVIDER names another provider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openkyc.app import create_app
from openkyc.business.base import (
    BusinessLookup,
    BusinessRecord,
    BusinessRegistry,
    CompanyInformation,
    RecordNotFound,
)
from openkyc.business.registry import LocalBusinessRegistry, import_jsonl
from openkyc.business.sandbox import SAMPLE_COMPANY, SandboxBusinessRegistry
from openkyc.business.select import registry_for
from openkyc.config import Settings
from openkyc.runtime import Runtime
from tests.server import make_partner, make_runtime


def test_sandbox_keys_get_the_sample_business(runtime: Runtime) -> None:
    registry = registry_for(runtime, "sandbox")
    assert isinstance(registry, SandboxBusinessRegistry)
    request = BusinessLookup(country="NG", id_type="BUSINESS_REGISTRATION", id_number="0000000")
    assert registry.lookup(request).company == SAMPLE_COMPANY


def test_production_keys_get_the_imported_businesses(runtime: Runtime, tmp_path: Path) -> None:
    line = {
        "country": "ZA",
        "id_type": "BUSINESS_REGISTRATION",
        "id_number": "2015/123456/07",
        "company_information": {"legal_name": "ACME (PTY) LTD"},
    }
    path = tmp_path / "businesses.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    import_jsonl(runtime, path)
    registry = registry_for(runtime, "production")
    assert isinstance(registry, LocalBusinessRegistry)
    found = registry.lookup(
        BusinessLookup(
            country="ZA",
            id_type="BUSINESS_REGISTRATION",
            id_number="2015/123456/07",
            environment="production",
        )
    )
    assert found.company.legal_name == "ACME (PTY) LTD"
    with pytest.raises(RecordNotFound):
        registry.lookup(
            BusinessLookup(
                country="ZA",
                id_type="BUSINESS_REGISTRATION",
                id_number="2015/654321/07",
                environment="production",
            )
        )


class OperatorRegistry:
    name = "operator"

    def lookup(self, request: BusinessLookup) -> BusinessRecord:
        return BusinessRecord(
            company=CompanyInformation(legal_name=f"Operator's record of {request.id_number}")
        )


class OperatorRegistries:
    """An operator's provider, named by its dotted path: the same registry for every key."""

    def __init__(self, settings: Settings) -> None:
        pass

    def registry_for(self, runtime: Runtime, environment: str) -> BusinessRegistry:
        return OperatorRegistry()


def test_the_provider_setting_reaches_the_business_verification_endpoint(tmp_path: Path) -> None:
    runtime = make_runtime(
        tmp_path, business_registry_provider="tests.business.test_select:OperatorRegistries"
    )
    assert isinstance(registry_for(runtime, "sandbox"), OperatorRegistry)
    partner = make_partner(runtime)
    with TestClient(create_app(runtime)) as client:
        kyb = partner.signed(
            partner_params={"user_id": "user-1", "job_id": "kyb-1", "job_type": 7},
            country="NG",
            id_type="BUSINESS_REGISTRATION",
            id_number="0000000",
            business_type="co",
        )
        answer = client.post("/v1/business_verification", json=kyb).json()
    assert answer["ResultCode"] == "1012"
    assert answer["company_information"]["legal_name"] == "Operator's record of 0000000"
