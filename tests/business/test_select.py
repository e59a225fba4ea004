"""Sandbox keys get the sandbox business registry, production keys the operator's local one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openkyc.business.base import BusinessLookup, RecordNotFound
from openkyc.business.registry import LocalBusinessRegistry, import_jsonl
from openkyc.business.sandbox import SAMPLE_COMPANY, SandboxBusinessRegistry
from openkyc.business.select import registry_for
from openkyc.runtime import Runtime


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
