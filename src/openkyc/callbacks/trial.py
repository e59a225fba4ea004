"""A test callback, sent now: a signed POST to a partner's default callback URL, so that the
partner can check their receiver (reachable, answers 2xx, checks the signature) before a job's
result depends on it. The portal's "Send test callback" button.

It goes through the client every delivery uses (``callbacks.client.post_json``: the SSRF policy,
the one DNS look-up and the pinned address, no redirects), once, with no retry, and within
``TEST_TIMEOUT`` at most (the look-up included), because a person waits for the page. It is
signed exactly as a result is (``signing.sign_response`` with one of the partner's keys:
compatibility §2.2), and its body says it is a test and names no job, so a receiver cannot take
it for a result.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from openkyc import audit
from openkyc.audit.service import MAX_DETAIL_TEXT
from openkyc.callbacks.client import DeliveryOutcome, post_json, receiving_host
from openkyc.db import transaction, utcnow
from openkyc.observability.context import bind_partner
from openkyc.partners.service import get_partner, newest_active_key
from openkyc.runtime import Runtime
from openkyc.signing import sign_response
from openkyc.signing.environment import Environment

log = logging.getLogger(__name__)

# The longest a test waits for the receiver (the deployment's callback_timeout when shorter).
TEST_TIMEOUT = timedelta(seconds=10)
RESULT_TYPE = "TestCallback"
# What the receiver gets besides timestamp and signature: a result's shape, no job behind it.
TEST_BODY: dict[str, Any] = {
    "ResultType": RESULT_TYPE,
    "ResultText": "Test callback from openkyc: no job behind it",
    "PartnerParams": {},
}


class NoCallbackUrl(LookupError):
    """The partner has no default callback URL to test."""


class NoActiveKey(LookupError):
    """The partner has no active API key in the environment to sign the test with."""


@dataclass(frozen=True)
class TestCallback:
    """What a test callback met: ``outcome`` (HTTP status, or the reason category of a failure or
    refusal), the host it went to and the key that signed it."""

    __test__ = False  # not a pytest test class, whatever its name

    host: str
    environment: Environment
    key_id: str
    outcome: DeliveryOutcome


def send_test_callback(
    runtime: Runtime, *, partner_id: str, environment: Environment, actor: audit.Actor
) -> TestCallback:
    """POST a signed test body to the partner's default callback URL now (blocking: call it from a
    worker thread, never on the event loop); audited, and logged like a delivery attempt."""
    with transaction(runtime.sessions) as session:
        url = get_partner(db_session=session, partner_id=partner_id).callback_url_for(environment.value)
        if not url:
            raise NoCallbackUrl(partner_id)
        key = newest_active_key(db_session=session, partner_id=partner_id, environment=environment)
        if key is None:
            raise NoActiveKey(environment.value)
        key_id = key.id
        secret = runtime.box.decrypt_text(key.secret_encrypted)
    body = {**TEST_BODY, **sign_response(secret, partner_id, utcnow())}
    timeout = min(runtime.settings.callback_timeout, TEST_TIMEOUT)
    outcome = post_json(
        url, body, allow_private=runtime.settings.allow_private_callbacks, timeout_s=timeout.total_seconds()
    )
    host = receiving_host(url)
    with transaction(runtime.sessions) as session:
        audit.record(
            session,
            actor=actor,
            action="callback.test_sent",
            target_type="partner",
            target_id=partner_id,
            detail={
                "environment": environment.value,
                "key_id": key_id,
                "host": host[:MAX_DETAIL_TEXT],
                "delivered": outcome.delivered,
                "status_code": outcome.status_code,
                "error": outcome.error[:MAX_DETAIL_TEXT] if outcome.error else None,
            },
        )
    with bind_partner(partner_id):
        if outcome.delivered:
            log.info(
                "test callback for partner %s delivered to %s (HTTP %s)",
                partner_id,
                host,
                outcome.status_code,
            )
        else:
            hint = f" ({outcome.hint})" if outcome.hint else ""
            log.warning(
                "test callback for partner %s to %s failed: %s%s", partner_id, host, outcome.error, hint
            )
    return TestCallback(host=host, environment=environment, key_id=key_id, outcome=outcome)
