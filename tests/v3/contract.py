"""The V3 contract: every answer a V3 test sees is checked against the vendored official spec.

``openapi-core`` reads ``openkyc/v3/spec/openapi.yaml`` (the file the package ships and serves) once
per test process; :func:`assert_conforms` finds the spec operation by the request's method and path
and checks the answer's status is documented for it, its Content-Type is one the spec lists, and its
body (and any documented header) matches the schema. :func:`watch` hangs that check on an httpx
client (the TestClient, or the ``httpx.Client`` handed to the official SDK), so each response is
checked as it arrives and a test fails at the call that got the bad answer.

What is not checked, and why:

- Paths the spec does not have (``/v1/...``, a test's own probe route, ``/v3/nowhere``): there is
  no contract to hold them to (the V3 error shape of an unknown path is tested where it is made).
- The request: tests send bad requests on purpose; only the answer is the server's.

One allowance, kept small and named: :data:`OPERATIONAL_STATUSES`. The spec lists 429 on most
submissions but not on ``/v3/token``, the status look-up or the services lists, yet this server
(like any gateway) limits every endpoint; such an answer must still carry the spec's
``ApiErrorResponse`` envelope. The spec itself loads into openapi-core 0.23.1 as it is (its
``check_spec`` passes), so no part of it is rewritten here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.templating.responses.exceptions import ResponseNotFound
from werkzeug.datastructures import Headers, ImmutableMultiDict

# The spec's first server: openapi-core matches a request's path under one of the spec's servers,
# so every request is presented as if sent there (only its path, method and query are read).
SPEC_SERVER = "https://testapi.smileidentity.com"

# Statuses any V3 operation may answer for reasons outside the operation itself (a rate limit),
# with the envelope they must still carry. Undocumented statuses other than these fail.
OPERATIONAL_STATUSES: dict[int, str] = {429: "ApiErrorResponse"}


@functools.cache
def spec() -> OpenAPI:
    """The vendored spec, from the installed package (the file /docs serves), as openapi-core's
    validator; built once per test process (about a second, most of it importing openapi-core)."""
    with resources.as_file(resources.files("openkyc.v3").joinpath("spec/openapi.yaml")) as path:
        return OpenAPI.from_file_path(str(path))


def _operation(method: str, path: str) -> bool:
    """Whether the spec has an operation for ``method`` on the concrete ``path``."""
    try:
        APICallPathFinder(spec().spec, base_url=None).find(method.lower(), SPEC_SERVER + path)
    except (PathNotFound, OperationNotFound):
        return False
    return True


@dataclass
class _Request:
    """An httpx request as openapi-core's ``Request`` protocol (presented under :data:`SPEC_SERVER`)."""

    method: str
    path: str
    parameters: RequestParameters
    content_type: str
    body: bytes | None
    host_url: str = SPEC_SERVER

    @classmethod
    def of(cls, request: httpx.Request) -> _Request:
        try:
            body: bytes | None = request.content
        except httpx.RequestNotRead:  # a streamed multipart body: the answer's check never reads it
            body = None
        return cls(
            method=request.method.lower(),
            path=request.url.path,
            parameters=RequestParameters(
                query=ImmutableMultiDict(list(request.url.params.multi_items())),
                header=Headers(list(request.headers.multi_items())),
            ),
            content_type=request.headers.get("content-type", ""),
            body=body,
        )


@dataclass
class _Response:
    """An httpx response as openapi-core's ``Response`` protocol."""

    status_code: int
    content_type: str
    headers: Headers
    data: bytes

    @classmethod
    def of(cls, response: httpx.Response) -> _Response:
        return cls(
            status_code=response.status_code,
            content_type=response.headers.get("content-type", "").lower(),
            headers=Headers(list(response.headers.multi_items())),
            data=response.read(),
        )


class ContractViolation(AssertionError):
    """An answer the spec does not allow for its operation."""


def is_spec_operation(method: str, path: str) -> bool:
    """Whether ``method path`` (a concrete path) is one of the spec's operations."""
    return _operation(method, path)


def violations(response: httpx.Response) -> Iterator[str]:
    """What is wrong with ``response`` under the spec (nothing for a path the spec does not have)."""
    request = _Request.of(response.request)
    answer = _Response.of(response)
    if not _operation(request.method, request.path):
        return
    for error in spec().iter_response_errors(request, answer):
        if isinstance(error, ResponseNotFound) and answer.status_code in OPERATIONAL_STATUSES:
            yield from _operational(answer, OPERATIONAL_STATUSES[answer.status_code])
            continue
        cause = error.__cause__
        detail = f"{type(error).__name__}: {error}"
        if cause is not None:
            detail += f" ({type(cause).__name__}: {cause})"
            schema_errors = getattr(cause, "schema_errors", None)
            if schema_errors:
                detail += "".join(f"\n    - {e.message} at {list(e.absolute_path)}" for e in schema_errors)
        yield detail


def _operational(answer: _Response, schema_name: str) -> Iterator[str]:
    required: list[str] = (spec().spec / "components" / "schemas" / schema_name / "required").read_value()
    if not answer.content_type.startswith("application/json"):
        yield f"a {answer.status_code} answer is {answer.content_type!r}, not application/json"
        return
    try:
        body = json.loads(answer.data)
    except ValueError:
        yield f"a {answer.status_code} answer is not JSON"
        return
    if not isinstance(body, dict):
        yield f"a {answer.status_code} answer is not a JSON object"
        return
    for name in required:
        if not isinstance(body.get(name), str):
            yield f"a {answer.status_code} answer lacks {schema_name}.{name}"


def assert_conforms(response: httpx.Response) -> None:
    """Fail if ``response`` is not an answer the spec allows for its request's operation."""
    __tracebackhide__ = True
    found = list(violations(response))
    if found:
        request = response.request
        raise ContractViolation(
            f"{request.method} {request.url.path} -> {response.status_code} breaks the V3 spec:\n  "
            + "\n  ".join(found)
            + f"\n  body: {response.text[:600]}"
        )


def watch(client: httpx.Client) -> httpx.Client:
    """``client``, checking every answer it receives with :func:`assert_conforms` (idempotent)."""
    hooks = client.event_hooks
    if assert_conforms not in hooks["response"]:
        client.event_hooks = {**hooks, "response": [*hooks["response"], assert_conforms]}
    return client
