"""Schemathesis over every operation of the vendored V3 spec, against the app in-process.

Each of the spec's 24 operations is one test, named after it (``test_post_v3_enhanced_kyc``...). Its
cases come from the spec alone: the spec's own examples, Schemathesis' coverage phase (the valid
boundary values of every field) and a few random cases, valid and invalid, sent to
``create_app(runtime)`` through Schemathesis' ASGI transport with a valid ``SmileID-Token`` of a
sandbox partner, so authenticated operations are exercised past the 401 (the token is the only
security parameter sent: generating random ones would only test the 401). Bodies go as the SDKs
send them (:func:`as_clients_send`), so valid cases reach past the field checks into the jobs.

Each answer must pass four checks: no 5xx (``not_a_server_error``), a status the spec documents for
the operation, a documented Content-Type, and a body matching the documented schema.

An operation the app does not route fails as "not served" unless it is listed in :data:`AWAITED`
(then its test is an expected failure until the route lands, when the list must lose it). Bounded
for CI: the spec's examples (45), the coverage phase's cases (about 630) and
:data:`RANDOM_EXAMPLES` random cases per operation: some 770 requests, about 25 s on two busy cores.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from PIL import Image
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.transport.serialization import Binary
from starlette.routing import Match

from openkyc.aml.entries import ListEntry, ListSource
from openkyc.aml.service import load_entries
from openkyc.app import create_app
from tests.server import make_partner, make_runtime
from tests.v3.conftest import token_for

pytestmark = pytest.mark.slow

# Operations the app does not route yet ("METHOD /spec/path"): expected to fail as not served.
AWAITED: frozenset[str] = frozenset()

# Random cases per operation (valid and invalid), besides the spec's examples and the coverage phase.
RANDOM_EXAMPLES = 4

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

CONFIG = schemathesis.Config.from_dict(
    {
        # Valid and invalid cases; no random SmileID-Token (the test sends a valid one); no example
        # database under .hypothesis (each run starts from the spec, as CI does).
        "generation": {"mode": "all", "with-security-parameters": False, "database": "none"},
        # The coverage phase's valid boundary values of every field (its invalid ones would add some
        # 1,200 requests, 20 s; the random phase sends invalid ones), without probing other methods.
        "phases": {"coverage": {"unexpected-methods": [], "generation": {"mode": "positive"}}},
    }
)
with resources.as_file(resources.files("openkyc.v3").joinpath("spec/openapi.yaml")) as spec_path:
    schema = schemathesis.openapi.from_path(spec_path, config=CONFIG)


def _jpeg() -> bytes:
    """A small real JPEG: what the spec's binary image parts carry (a random byte string is
    refused at once, and every valid case would stop at that check)."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 150, 120)).save(out, "JPEG")
    return out.getvalue()


JPEG = _jpeg()
# What Schemathesis draws for a `format: binary` part.
FILE_TYPES = (bytes, Binary)


def as_clients_send(case: schemathesis.Case[Any]) -> None:
    """The body the way the SDKs and the spec's descriptions send it, in place.

    - An array that is not of files (``countries``, ``aliases``, ``metadata``, ``id_types``) goes
      as one JSON-encoded part ("Sent as a JSON-encoded array string", in the spec's words), not as
      OpenAPI's default of one part per item.
    - In a valid case every file part is a real JPEG (``liveness_images`` one per part); invalid
      cases keep the bytes Schemathesis drew.
    """
    if not isinstance(case.body, dict):
        return
    body = cast("dict[str, Any]", case.body)  # the parts, about to hold bytes too
    valid = case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE
    for name, value in list(body.items()):
        files = isinstance(value, FILE_TYPES) or (
            isinstance(value, list) and bool(value) and all(isinstance(item, FILE_TYPES) for item in value)
        )
        if files and valid:
            body[name] = [JPEG] * len(value) if isinstance(value, list) else JPEG
        elif isinstance(value, list) and not files:
            body[name] = json.dumps(value)


@dataclass
class Target:
    app: FastAPI
    partner_id: str
    token: str

    def serves(self, method: str, path: str) -> bool:
        scope = {"type": "http", "method": method, "path": path, "root_path": ""}
        return any(route.matches(scope)[0] is Match.FULL for route in self.app.router.routes)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """One app (no workers: submissions are queued, not processed) and a token, for the module."""
    runtime = make_runtime(tmp_path_factory.mktemp("v3-schemathesis"))
    partner = make_partner(runtime)
    # A deployment screens AML against the lists it loaded; with none, a sync screening is the
    # spec's 500 (tests/v3/test_aml.py), which not_a_server_error would take for a crash.
    listed = ListEntry(ListSource.OPENSANCTIONS, "contract-1", "Listed Person Of The Contract Tests")
    load_entries(runtime.sessions, ListSource.OPENSANCTIONS, [listed])
    app = create_app(runtime)
    with TestClient(app) as client:
        token = token_for(client, partner)
    try:
        yield Target(app, partner.partner_id, token)
    finally:
        shutdown_lifespans()  # the transport keeps the app's lifespan open until told
        runtime.engine.dispose()


def check_operation(case: schemathesis.Case[Any], target: Target) -> None:
    label = case.operation.label
    # The operation's own method (a case may carry another one, to probe the path with it).
    served = target.serves(case.operation.method.upper(), case.formatted_path)
    if label in AWAITED:
        assert not served, f"{label} is served now: take it off AWAITED"
        pytest.xfail(f"{label} is not served yet")
    assert served, f"{label} is not served by the app"
    as_clients_send(case)
    # The partner's own id where the spec has a SmileID-Partner-ID header (the SDKs send it so).
    headers = {"SmileID-Token": target.token, "SmileID-Partner-ID": target.partner_id}
    case.call_and_validate(app=target.app, headers=headers, checks=CHECKS)


def _operation_test() -> Callable[[schemathesis.Case[Any], Target], None]:
    @settings(
        max_examples=RANDOM_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def test(case: schemathesis.Case[Any], target: Target) -> None:
        check_operation(case, target)

    return test


# One test function per operation, named after it (test_post_v3_enhanced_kyc...), rather than one
# `schema.parametrize()` function for all: pytest 9 builds a test's node id from the function's
# name and its parametrize ids, which Schemathesis' per-operation items do not use, so 24 items of
# one function would share a node id, and pytest-xdist reports only the first of them (the other
# 23 run, and their failures are lost).
for _path, _item in schema.raw_schema["paths"].items():
    for _method in _item:
        if _method in ("get", "post", "put", "patch", "delete"):
            _name = "test_" + "_".join(re.findall(r"[a-z0-9]+", f"{_method} {_path}".lower()))
            globals()[_name] = schema.include(method=_method.upper(), path=_path).parametrize()(
                _operation_test()
            )
