"""authenticate: the documented 2204/2205/2220 answers, and a log line per refusal that tells the
operator (never the caller) which it was, with no signature, key or timestamp in it."""

from __future__ import annotations

import contextvars
import logging
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from smile_id_core.Signature import Signature
from sqlalchemy import select

from openkyc.api_errors import ApiError
from openkyc.db import transaction
from openkyc.observability.logging import ContextFilter
from openkyc.observability.redaction import RedactionFilter
from openkyc.partners import service as partners
from openkyc.partners.auth import ENABLE_PRODUCTION_COMMAND, Caller, authenticate
from openkyc.partners.key_cache import REFRESH_AFTER_S
from openkyc.partners.models import Partner
from openkyc.runtime import Runtime
from openkyc.signing import SidRequestError
from openkyc.signing.environment import Environment
from tests.server import PartnerCreds, make_partner


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Log records as the server's handler writes them: bound ids stamped, text redacted."""
    caplog.handler.addFilter(ContextFilter())
    caplog.handler.addFilter(RedactionFilter())
    caplog.set_level(logging.INFO, logger="openkyc")
    return caplog


def signed(partner_id: str, key: str, timestamp: str | None = None) -> dict[str, Any]:
    return {"partner_id": partner_id, **Signature(partner_id, key).generate_signature(timestamp)}


def authenticated(runtime: Runtime, body: dict[str, Any]) -> Caller:
    # In a context of its own, as a request has: authenticate tags the context with the partner.
    return contextvars.copy_context().run(authenticate, runtime, headers={}, body=body)


def refused(runtime: Runtime, body: dict[str, Any]) -> SidRequestError | ApiError:
    with pytest.raises((SidRequestError, ApiError)) as error:
        authenticated(runtime, body)
    assert isinstance(error.value, SidRequestError | ApiError)
    return error.value


def auth_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "openkyc.partners.auth"]


def only_line(caplog: pytest.LogCaptureFixture, secrets: tuple[str, ...]) -> tuple[logging.LogRecord, str]:
    (line,) = auth_lines(caplog)
    message = line.getMessage()
    assert line.levelno == logging.WARNING
    for secret in secrets:
        assert secret not in message, f"{secret!r} is in {message!r}"
    return line, message


def test_a_wrong_key_and_an_unknown_partner_answer_alike_and_log_apart(
    runtime: Runtime, partner: PartnerCreds, logged: pytest.LogCaptureFixture
) -> None:
    wrong_key = signed(partner.partner_id, "not-the-partners-key-4f1d")
    unknown = signed("987654", partner.sandbox_key)
    wrong_answer, unknown_answer = refused(runtime, wrong_key), refused(runtime, unknown)
    assert isinstance(wrong_answer, SidRequestError) and isinstance(unknown_answer, SidRequestError)
    assert (
        wrong_answer.body()
        == unknown_answer.body()
        == {"code": "2205", "error": "You're not authorized to do that"}
    )

    first, second = auth_lines(logged)
    assert all(line.levelno == logging.WARNING for line in (first, second))
    assert first.getMessage() == (
        f"request refused (answered 2205) for partner {partner.partner_id}: "
        "signature mismatch: not made with any of the partner's active keys"
    )
    assert getattr(first, "partner_id", None) == partner.partner_id
    assert second.getMessage() == 'request refused (answered 2205) for partner id "987654": unknown partner'
    # A partner id that matches no partner is the caller's text, not a field of ours.
    assert getattr(second, "partner_id", None) is None
    for line in (first, second):
        for secret in (
            wrong_key["signature"],
            unknown["signature"],
            wrong_key["timestamp"],
            partner.sandbox_key,
            "not-the-partners-key",
        ):
            assert secret not in line.getMessage()


def test_a_partner_whose_keys_are_all_revoked_is_told_apart(
    runtime: Runtime, partner: PartnerCreds, logged: pytest.LogCaptureFixture
) -> None:
    with transaction(runtime.sessions) as session:
        for key in partners.list_keys(db_session=session, partner_id=partner.partner_id):
            partners.revoke_key(db_session=session, partner_id=partner.partner_id, key_id=key.id)
    body = signed(partner.partner_id, partner.sandbox_key)
    assert refused(runtime, body).body()["code"] == "2205"
    _, message = only_line(logged, (body["signature"], partner.sandbox_key))
    assert message.endswith(": the partner has no active API key (all revoked)")


@pytest.mark.parametrize(
    ("shift", "reason"),
    [
        (timedelta(days=-3), r"stale timestamp: signed 3 days( \d+ \w+)? ago, more than the 1 day allowed"),
        (timedelta(days=3), r"timestamp 2 days 23 hours in the future \(more than the 1 day allowed"),
    ],
)
def test_a_stale_or_future_timestamp_is_logged_by_its_age(
    runtime: Runtime, partner: PartnerCreds, logged: pytest.LogCaptureFixture, shift: timedelta, reason: str
) -> None:
    assert runtime.settings.signature_freshness == timedelta(days=1)
    when = (datetime.now(UTC) + shift).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    body = signed(partner.partner_id, partner.sandbox_key, when)
    assert refused(runtime, body).body()["code"] == "2205"
    line, message = only_line(logged, (body["signature"], partner.sandbox_key, when))
    assert re.search(f"for partner {partner.partner_id}: {reason}", message), message
    assert getattr(line, "partner_id", None) == partner.partner_id


@pytest.mark.parametrize(
    ("body", "answer", "reason"),
    [
        ({"timestamp": "2024-01-01T00:00:00Z", "signature": "c2lnbmF0dXJl"}, "2205", "no partner_id"),
        ({"partner_id": "1001", "timestamp": "2024-01-01T00:00:00Z"}, "2205", "no signature"),
        ({"partner_id": "1001", "timestamp": "t", "signature": 12}, "2204", "signature of the wrong type"),
        (
            {"partner_id": "1001", "timestamp": "yesterday", "signature": "c2lnbmF0dXJl"},
            "2205",
            "timestamp in an unrecognised format",
        ),
    ],
)
def test_malformed_credentials_are_logged_by_what_is_wrong(
    runtime: Runtime, logged: pytest.LogCaptureFixture, body: dict[str, Any], answer: str, reason: str
) -> None:
    assert refused(runtime, body).body()["code"] == answer
    _, message = only_line(logged, ("c2lnbmF0dXJl",))
    assert message.startswith(f"request refused (answered {answer})") and message.endswith(f": {reason}")


def test_a_line_break_in_an_unknown_partner_id_cannot_forge_a_log_line(
    runtime: Runtime, logged: pytest.LogCaptureFixture
) -> None:
    body = signed('1001\n{"level": "INFO"}', "whatever")
    refused(runtime, body)
    _, message = only_line(logged, (body["signature"],))
    assert "\n" not in message and "unknown partner" in message


def test_production_not_enabled_logs_the_command_that_enables_it(
    runtime: Runtime, partner: PartnerCreds, logged: pytest.LogCaptureFixture
) -> None:
    body = signed(partner.partner_id, partner.production_key)
    error = refused(runtime, body)
    assert isinstance(error, ApiError) and error.body()["code"] == "2220"
    assert "complete your KYC with Smile ID" in error.body()["error"]  # the answer stays Smile ID's
    line, message = only_line(logged, (body["signature"], partner.production_key))
    command = f"openkyc partners enable-production --partner-id {partner.partner_id}"
    assert command == ENABLE_PRODUCTION_COMMAND.format(partner_id=partner.partner_id)
    assert message.endswith(command) and "(answered 2220)" in message
    assert getattr(line, "partner_id", None) == partner.partner_id


def test_the_enable_production_command_exists_as_logged(runtime: Runtime, partner: PartnerCreds) -> None:
    from typer.testing import CliRunner

    from openkyc.cli import app

    program, *arguments = ENABLE_PRODUCTION_COMMAND.format(partner_id=partner.partner_id).split()
    assert program == "openkyc"
    data_dir = str(runtime.settings.data_dir)
    result = CliRunner().invoke(app, [*arguments, "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    body = signed(partner.partner_id, partner.production_key)
    runtime.key_cache.invalidate(partner.partner_id)
    assert authenticated(runtime, body).environment.value == "production"


def test_a_good_signature_logs_nothing(
    runtime: Runtime, partner: PartnerCreds, logged: pytest.LogCaptureFixture
) -> None:
    caller = authenticated(runtime, signed(partner.partner_id, partner.sandbox_key))
    assert caller.partner_id == partner.partner_id and auth_lines(logged) == []


def test_over_http_the_answers_are_unchanged(client: TestClient, runtime: Runtime) -> None:
    partner = make_partner(runtime)
    answers = [
        client.post("/v1/job_status", json={**body, "user_id": "u", "job_id": "j"})
        for body in (signed(partner.partner_id, "a-wrong-key"), signed("99999", partner.sandbox_key))
    ]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json() == answers[1].json()


def test_a_key_made_by_another_process_works_within_a_moment(runtime: Runtime, partner: PartnerCreds) -> None:
    """The cache holds the partner's keys for a moment; a key made elsewhere (the portal of another
    API process, the CLI) must not be refused meanwhile: a signature no cached key matches has the
    keys read again before it is refused."""
    authenticated(runtime, signed(partner.partner_id, partner.sandbox_key))  # the keys are cached now
    time.sleep(REFRESH_AFTER_S)  # keys read a moment ago are not read again (a flood's bound)
    with transaction(runtime.sessions) as session:  # "another process": the cache is not told
        issued = partners.create_key(
            db_session=session,
            box=runtime.box,
            partner_id=partner.partner_id,
            environment=Environment.SANDBOX,
        )
    caller = authenticated(runtime, signed(partner.partner_id, issued.api_key))
    assert caller.key_id == issued.key_id
    assert isinstance(refused(runtime, signed(partner.partner_id, "a-wrong-key")), SidRequestError)


def test_a_partner_made_by_another_process_is_known_within_a_moment(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        next_id = str(int(max(session.scalars(select(Partner.id)), default="1000")) + 1)
    assert isinstance(refused(runtime, signed(next_id, "not-yet")), SidRequestError)  # cached: unknown
    time.sleep(REFRESH_AFTER_S)
    with transaction(runtime.sessions) as session:
        made, keys = partners.create_partner(db_session=session, box=runtime.box, name="Late")
    assert made.id == next_id
    assert authenticated(runtime, signed(next_id, keys[Environment.SANDBOX].api_key)).partner_id == next_id
