"""Who calls the V3 API: ``SmileID-Token`` checked on every call but the token request itself.

A token is good while it is ours, unexpired, and the API key that asked for it is still active
(``partners.auth.caller_with_key_id``: a rotated or revoked key ends its tokens within the key
cache's two seconds). A bad token gets 401 with the operation's own text; the reason is logged as a
category, never the token. A production key's token works only once production is enabled for
the partner (403, the spec's text).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from openkyc.db import utcnow
from openkyc.jobs.submission import Submitter
from openkyc.observability.context import bind_partner
from openkyc.partners.auth import caller_with_key_id
from openkyc.runtime import Runtime
from openkyc.signing import v3_tokens
from openkyc.signing.environment import Environment
from openkyc.signing.v3_tokens import InvalidToken, TokenScope
from openkyc.v3.errors import UNAUTHORIZED, V3Error

log = logging.getLogger(__name__)

TOKEN_HEADER = "smileid-token"  # noqa: S105 (a header name)
# The texts some operations give a refused token instead of UNAUTHORIZED.
INVALID_TOKEN = "Invalid token"  # noqa: S105 (an answer text: report_fraud, services/id_status)
LINKS_UNAUTHORIZED = "Missing or invalid authentication credentials."  # smile_links
PRODUCTION_NOT_ENABLED = "Production access is not enabled."


@dataclass(frozen=True)
class V3Caller:
    """A partner authenticated by a token: its key, the key's environment, the token's scope."""

    partner_id: str
    key_id: str
    environment: Environment
    # Signs what is sent back (sync answers, callbacks); never in a repr (a log line, a traceback).
    api_key: str = field(repr=False)
    scope: TokenScope

    @property
    def submitter(self) -> Submitter:
        return Submitter(partner_id=self.partner_id, environment=self.environment, key_id=self.key_id)


def _check(runtime: Runtime, token: str | None, message: str) -> V3Caller:
    if not token:
        log.warning("V3 request refused: no SmileID-Token header")
        raise V3Error(401, message)
    try:
        claims = v3_tokens.read(runtime.box, token.strip(), now=utcnow())
    except InvalidToken as error:
        log.warning("V3 request refused: %s", error)
        raise V3Error(401, message) from error
    found = caller_with_key_id(runtime, partner_id=claims.partner_id, key_id=claims.key_id)
    if found is None:
        with bind_partner(claims.partner_id):
            log.warning("V3 request refused: the token's API key was rotated or revoked")
        raise V3Error(401, message)
    caller, production_enabled = found
    if caller.environment != claims.environment:
        raise V3Error(401, message)
    if caller.environment == Environment.PRODUCTION and not production_enabled:
        with bind_partner(claims.partner_id):
            log.warning(
                "partner %s called the V3 API with a production token, but production is not enabled "
                "for it (answered 403); to enable it: openkyc partners enable-production --partner-id %s",
                claims.partner_id,
                claims.partner_id,
            )
        raise V3Error(403, PRODUCTION_NOT_ENABLED)
    return V3Caller(
        partner_id=caller.partner_id,
        key_id=caller.key_id,
        environment=caller.environment,
        api_key=caller.api_key,
        scope=claims.scope,
    )


async def token_caller(request: Request, runtime: Runtime, *, message: str = UNAUTHORIZED) -> V3Caller:
    """The caller of a V3 request, or the 401/403 the spec gives (the key look-up may read the
    database: off the event loop)."""
    return await run_in_threadpool(_check, runtime, request.headers.get(TOKEN_HEADER), message)
