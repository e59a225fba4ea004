"""The V3 routes are documented by Smile ID's official spec in /openapi.json (openkyc.v3.contract)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from openkyc.v3.contract import COMPONENT_PREFIX, document_v3, official_spec


def test_the_vendored_spec_is_the_official_bundle() -> None:
    spec = official_spec()
    assert spec["openapi"] == "3.0.3"
    operations = [(path, method) for path, item in spec["paths"].items() for method in item]
    assert len(operations) == 24


def test_served_v3_operations_carry_the_official_request_schemas(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    token = schema["paths"]["/v3/token"]["post"]
    assert token["operationId"] == official_spec()["paths"]["/v3/token"]["post"]["operationId"]
    assert token["tags"][0].startswith("V3: ")
    # Every reference of a V3 operation points into the renamed components, and each one is there.
    v3 = {path: item for path, item in schema["paths"].items() if path.startswith("/v3/")}
    references = re.findall(r"'#/components/(\w+)/([^']+)'", str(v3))
    assert references
    for kind, name in references:
        assert name.startswith(COMPONENT_PREFIX) and name in schema["components"][kind], (kind, name)
    assert f"{COMPONENT_PREFIX}SmileIDToken" in schema["components"]["securitySchemes"]


def test_an_operation_openkyc_does_not_serve_is_not_documented() -> None:
    schema = {"paths": {"/v3/status/{job_id}": {"get": {"summary": "ours"}}}}
    documented = document_v3(schema)
    assert set(documented["paths"]) == {"/v3/status/{jobId}"}
    assert documented["paths"]["/v3/status/{jobId}"]["get"]["summary"] != "ours"
    assert "/v3/compare" not in documented["paths"]
