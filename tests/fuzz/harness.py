"""The fuzz harness's machinery: the oracle every answer is held to, a recording HTTP client, a
concurrent /healthz probe, and the figures the terminal summary reports.

The oracle (the issue's three properties):

* never a 5xx, nor a dropped connection or a hung answer;
* always a JSON body (bar Starlette's same-origin redirect of a trailing slash); an error (4xx) carries a documented code: one of ``api_errors``' specs, the
  signing package's v1 codes, the intake's codes, or (management API) a KSig1 ``AUTH_*`` code
  under ``errors``. A handful of successes are not JSON by design (an image behind a signed link,
  the empty 200 of a zip PUT, as S3 answers);
* a ``/healthz`` probe running beside the fuzzing always answers 200 within 1 s.

Every answer must also carry the security headers (``X-Content-Type-Options: nosniff``).

Violations are collected, not raised at the first one: a test fails at its end listing every
distinct violation (method, route, status, code) with the first request that caused it, so one
run shows everything the fuzzing reached. Nothing is filtered: a 5xx is always a violation.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from hypothesis import HealthCheck, Phase, settings

from openkyc import api_errors
from openkyc.jobs.intake import codes as intake_codes
from openkyc.signing import errors as signing_errors
from openkyc.v3.errors import reason_phrase
from tests.live_server import LiveServer

HEALTH_LIMIT_S = 1.0
HEALTH_INTERVAL_S = 0.1
# Long enough for a big upload on a loaded CI machine; an answer slower than this is a hang.
REQUEST_TIMEOUT_S = 60.0

Expect = Literal["json", "json_or_empty", "json_or_image"]


def documented_codes() -> frozenset[str]:
    """Every code the API documents for its answers."""
    found = {v.code for v in vars(api_errors).values() if isinstance(v, api_errors.ErrorSpec)}
    found |= {v for k, v in vars(signing_errors).items() if k.startswith("CODE_") and isinstance(v, str)}
    return frozenset(found | set(intake_codes.ALL_CODES))


def ksig1_codes() -> frozenset[str]:
    return frozenset(
        v for k, v in vars(signing_errors).items() if k.startswith("AUTH_") and isinstance(v, str)
    )


DOCUMENTED_CODES = documented_codes()
KSIG1_CODES = ksig1_codes()


def problem_with(response: httpx.Response, expect: Expect = "json") -> str | None:
    """What is wrong with ``response`` under the oracle, or None."""
    status = response.status_code
    if status >= 500:
        return f"HTTP {status}"
    if response.headers.get("x-content-type-options") != "nosniff":
        return "no security headers"
    if response.request.method == "HEAD":
        return None  # an answer to HEAD has no body to judge
    if status in (307, 308) and _same_origin_redirect(response):
        return None  # Starlette's trailing-slash redirect: /v1/upload/ -> /v1/upload, method kept
    if 200 <= status < 300:
        if expect == "json_or_empty" and not response.content:
            return None
        if expect == "json_or_image" and response.headers.get("content-type", "").startswith("image/"):
            return None
    if not response.headers.get("content-type", "").startswith("application/json"):
        return f"content-type {response.headers.get('content-type')!r}"
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return "body is not JSON"
    if status < 400:
        return None
    if not isinstance(body, dict):
        return "error body is not a JSON object"
    if response.request.url.path.startswith("/v3/"):
        return v3_problem(status, body)
    code = body.get("code")
    if code is None and isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0]
        ksig1 = first.get("code") if isinstance(first, dict) else None
        return None if ksig1 in KSIG1_CODES else f"undocumented management code {ksig1!r}"
    return None if code in DOCUMENTED_CODES else f"undocumented code {code!r}"


# The V3 gateway's status slugs (openkyc.v3.errors): a body over 10 MB, the sync endpoints' failures.
V3_GATEWAY_SLUGS = frozenset({"unauthorized", "payload_too_large", "integration_failure"})


def v3_problem(status: int, body: dict[str, Any]) -> str | None:
    """A V3 error answers in one of its spec's envelopes: ``{status: <reason phrase>, message}``,
    the gateway's ``{status: <slug>, message, job_id: null, user_id: null}``, or the services'
    ``{error, code: "<string>"}``."""
    if set(body) == {"error", "code"} and isinstance(body["error"], str) and isinstance(body["code"], str):
        return None
    message, named = body.get("message"), body.get("status")
    if not isinstance(message, str) or not message or not isinstance(named, str):
        return f"V3 error body without status and message: {sorted(body)}"
    if named == reason_phrase(status) or named in V3_GATEWAY_SLUGS:
        return None
    return f"V3 error status {named!r} for HTTP {status}"


def _same_origin_redirect(response: httpx.Response) -> bool:
    location = httpx.URL(response.headers.get("location", ""))
    target = response.request.url.join(location)
    return (target.scheme, target.host, target.port) == (
        response.request.url.scheme,
        response.request.url.host,
        response.request.url.port,
    )


def code_of(response: httpx.Response | None) -> str:
    if response is None:
        return "-"
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return "-"
    if isinstance(body, dict):
        if "code" in body:
            return str(body["code"])
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("code"))
    return "-"


def excerpt(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


@dataclass
class Violation:
    test: str
    method: str
    route: str
    status: str
    code: str
    reason: str
    request: str
    answer: str
    count: int = 1

    @property
    def key(self) -> tuple[str, ...]:
        return (self.test, self.method, self.route, self.status, self.code, self.reason)

    def describe(self) -> str:
        return (
            f"{self.method} {self.route} -> {self.status} code={self.code}: {self.reason} (x{self.count})\n"
            f"    request: {self.request}\n    answer:  {self.answer}"
        )


@dataclass
class Stats:
    """Figures of the whole session, for the terminal summary and the optional JSON report."""

    # From the fuzz server's start to its stop (set by the session fixture).
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    requests: int = 0
    by_test: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    by_route: Counter[str] = field(default_factory=Counter)  # "METHOD route status code"
    seconds_by_test: dict[str, float] = field(default_factory=dict)
    violations: dict[tuple[str, ...], Violation] = field(default_factory=dict)
    health_probes: int = 0
    health_max_s: float = 0.0
    health_stalls: list[str] = field(default_factory=list)
    # The server's ERROR log lines (JSON), read when it stops: failures outside any answer
    # (worker threads, callbacks) that the oracle cannot see.
    server_errors: list[str] = field(default_factory=list)
    in_flight: str = ""  # the fuzzer's latest request, named in a /healthz stall's report

    def server_error_messages(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for line in self.server_errors:
            try:
                record = json.loads(line)
            except ValueError:
                found[excerpt(line, 160)] += 1
                continue
            found[f"{record.get('logger')}: {excerpt(str(record.get('message')), 160)}"] += 1
        return found

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def summary_lines(self) -> list[str]:
        elapsed = self.seconds
        lines = [
            f"fuzz: {self.requests} requests in {elapsed:.1f} s "
            f"({self.requests / elapsed if elapsed else 0:.0f}/s), "
            f"/healthz probed {self.health_probes} times, slowest {self.health_max_s * 1000:.0f} ms, "
            f"{len(self.health_stalls)} stalls over {HEALTH_LIMIT_S:.0f} s",
        ]
        for test, count in sorted(self.by_test.items()):
            lines.append(f"  {test}: {count} requests in {self.seconds_by_test.get(test, 0):.1f} s")
        lines.append("  answers: " + ", ".join(f"{k} x{v}" for k, v in sorted(self.statuses.items())))
        routes = {key.rsplit(" ", 2)[0] for key in self.by_route}
        successes = {key.rsplit(" ", 2)[0] for key in self.by_route if key.rsplit(" ", 2)[1].startswith("2")}
        lines.append(f"  routes answered: {len(routes)} (method, route), {len(successes)} of them with a 2xx")
        lines.append(f"  distinct violations: {len(self.violations)}")
        lines.extend("  " + v.describe().replace("\n", "\n  ") for v in self.violations.values())
        if self.server_errors:
            lines.append(f"  server ERROR log lines (not answers): {len(self.server_errors)}")
            lines.extend(
                f"    {message} (x{n})" for message, n in self.server_error_messages().most_common(20)
            )
        return lines

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 1),
            "requests_by_test": dict(self.by_test),
            "seconds_by_test": {k: round(v, 1) for k, v in self.seconds_by_test.items()},
            "answers": dict(self.statuses),
            "answers_by_route": dict(sorted(self.by_route.items())),
            "health": {
                "probes": self.health_probes,
                "max_ms": round(self.health_max_s * 1000),
                "stalls": self.health_stalls,
            },
            "violations": [v.__dict__ for v in self.violations.values()],
            "server_errors": dict(self.server_error_messages()),
        }


STATS = Stats()


class FuzzClient:
    """An HTTP client that holds every answer to the oracle and records what it saw."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S)
        self.test = "?"

    def close(self) -> None:
        self.http.close()

    def send(
        self,
        method: str,
        url: str,
        *,
        route: str | None = None,
        expect: Expect = "json",
        describe: str = "",
        **options: Any,
    ) -> httpx.Response | None:
        """Send, check and record; None when no answer came (itself a violation)."""
        STATS.requests += 1
        STATS.by_test[self.test] += 1
        route = route or url.split("?", 1)[0]
        STATS.in_flight = f"{method} {route} {excerpt(describe, 160) if describe else ''}"
        try:
            response = self.http.request(method, url, **options)
        except httpx.LocalProtocolError:
            # httpx refused to write the request (a header value h11 will not send): nothing
            # reached the server. Counted, so that a strategy producing many of these shows.
            STATS.statuses["not sent (client refused)"] += 1
            return None
        except httpx.TransportError as error:
            STATS.statuses["no answer"] += 1
            request = describe or _describe(options)
            self._record(method, route, "none", "-", f"no answer: {type(error).__name__}", request, None)
            return None
        STATS.statuses[str(response.status_code)] += 1
        STATS.by_route[f"{method} {route} {response.status_code} {code_of(response)}"] += 1
        found = problem_with(response, expect)
        if found is not None:
            request = describe or _describe(options)
            self._record(
                method, route, str(response.status_code), code_of(response), found, request, response
            )
        return response

    def _record(
        self,
        method: str,
        route: str,
        status: str,
        code: str,
        reason: str,
        request: str,
        response: httpx.Response | None,
    ) -> None:
        answer = excerpt(response.text if response is not None else "", 200)
        violation = Violation(self.test, method, route, status, code, reason, request, answer)
        known = STATS.violations.get(violation.key)
        if known is not None:
            known.count += 1
        else:
            STATS.violations[violation.key] = violation

    def violations_of(self, test: str) -> list[Violation]:
        return [v for v in STATS.violations.values() if v.test == test]


def _describe(options: dict[str, Any]) -> str:
    parts = []
    if "headers" in options:
        parts.append(f"headers={excerpt(options['headers'], 200)}")
    for name in ("content", "json", "data", "files", "params"):
        if name in options:
            value = options[name]
            if isinstance(value, bytes):
                value = value.decode("utf-8", "backslashreplace")
            parts.append(f"{name}={excerpt(value)}")
    return " ".join(parts)


class HealthProbe:
    """Polls ``/healthz`` from its own thread and connection while the fuzzing runs."""

    def __init__(self, base_url: str) -> None:
        self.url = f"{base_url}/healthz"
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._window: list[str] = []
        self._thread = threading.Thread(target=self._run, name="healthz-probe", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        with httpx.Client(timeout=HEALTH_LIMIT_S * 5) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    status: int | str = client.get(self.url).status_code
                except httpx.TransportError as error:
                    status = type(error).__name__
                took = time.monotonic() - started
                with self._lock:
                    STATS.health_probes += 1
                    STATS.health_max_s = max(STATS.health_max_s, took)
                    if status != 200 or took > HEALTH_LIMIT_S:
                        stall = (
                            f"/healthz answered {status} after {took * 1000:.0f} ms "
                            f"while the fuzzer's request in flight was: {STATS.in_flight}"
                        )
                        self._window.append(stall)
                        STATS.health_stalls.append(stall)
                self._stop.wait(HEALTH_INTERVAL_S)

    @contextmanager
    def watching(self) -> Iterator[list[str]]:
        """The stalls seen while the block runs (the list fills in as they happen)."""
        with self._lock:
            self._window = []
        seen = self._window
        yield seen


@dataclass(frozen=True)
class ManagementCredential:
    api_key: str
    secret_key: str
    auth_token: str


@dataclass
class FuzzTarget:
    server: LiveServer
    client: FuzzClient
    probe: HealthProbe
    management: ManagementCredential
    # /healthz stalls seen during the current test (HealthProbe.watching).
    stalls: list[str] = field(default_factory=list)

    @property
    def partner_id(self) -> str:
        return self.server.partner_id

    @property
    def api_key(self) -> str:
        return self.server.sandbox_key


def fuzz_settings(examples: int) -> Callable[[Any], Any]:
    """Hypothesis settings of one fuzz test: ``examples`` scaled by OPENKYC_FUZZ_SCALE (1 in CI;
    less on a slow machine, more for a long local run), no deadline (the server's answer time is
    the /healthz probe's business), generation only: violations are recorded rather than raised,
    so there is nothing to shrink, and the recorded request is the reproducer."""
    scale = float(os.environ.get("OPENKYC_FUZZ_SCALE", "1"))
    return settings(
        max_examples=max(1, round(examples * scale)),
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


def write_report(path: str) -> None:
    with open(path, "w") as handle:
        json.dump(STATS.as_json(), handle, indent=2)
