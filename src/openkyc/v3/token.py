"""``POST /v3/token``: an API key exchanged for a short-lived session token.

The SDKs send ``smileid-partner-id`` and ``smileid-api-key`` headers and no body (nor any
Content-Type). A multipart body may scope the token (``user_id``, ``product``,
``partner_params``, ``payload``): calls made with it then take those fields from it. Issuance is
limited per partner (the SDKs cache a token until a minute before it expires: a handful an hour).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from openkyc.db import transaction, utcnow
from openkyc.partners.auth import Caller, caller_with_api_key
from openkyc.runtime import Runtime
from openkyc.signing import v3_tokens
from openkyc.signing.v3_tokens import TokenScope
from openkyc.v3 import limits
from openkyc.v3.errors import UNAUTHORIZED, V3Error, bad_request, invalid, missing
from openkyc.v3.fields import MAX_USER_ID, consent, https_url, partner_params
from openkyc.v3.forms import V3Form, read_form
from openkyc.v3.services import status_country
from openkyc.webdeps import RuntimeDep

router = APIRouter(tags=["V3: authentication"])

PRODUCTS = (
    "aml",
    "basic_kyc",
    "one_time_aml",
    "biometric_kyc",
    "address_verification",
    "document_verification",
    "enhanced_document_verification",
    "enhanced_kyc",
    "phone_number_verification",
    "smart_selfie_authentication",
    "smart_selfie_registration",
    "smart_selfie_compare",
)
_PARTNER_ID = re.compile(r"^[1-9]\d{0,31}$")
_PAYLOAD_TEXT = ("country", "id_type", "id_number", "given_names", "last_name", "email", "phone_number")


class TokenAnswer(BaseModel):
    token: str = Field(description="A JWT for the SmileID-Token header; its exp claim says when it expires.")


def _scope(form: V3Form) -> TokenScope:
    user_id = form.text("user_id")
    if user_id is not None and (not user_id.strip() or len(user_id) > MAX_USER_ID):
        raise invalid("user_id")
    product = form.text("product")
    if product is not None and product not in PRODUCTS:
        raise invalid("product")
    params = partner_params(form.json("partner_params")) or None
    return TokenScope(
        user_id=user_id.strip() if user_id else None,
        product=product,
        partner_params=params,
        payload=_payload(form.json("payload")),
    )


def _payload(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid("payload")
    payload: dict[str, Any] = {}
    for name in _PAYLOAD_TEXT:
        text = value.get(name)
        if text is None:
            continue
        if not isinstance(text, str) or not text.strip() or len(text) > 200:
            raise invalid(f"payload.{name}")
        payload[name] = text.strip()
    if "country" in payload:
        # The spec: a code or a country's name, normalised to the upper-case ISO code (the entry
        # endpoints, which take the token's value over the body's, accept only that).
        try:
            payload["country"] = status_country(payload["country"])
        except V3Error:
            raise invalid("payload.country") from None
    url = https_url(value.get("callback_url"), "payload.callback_url")
    if url is not None:
        payload["callback_url"] = url
    if "consent" in value:
        given = value["consent"]
        if not isinstance(given, dict) or set(given) - {
            "granted",
            "granted_at",
            "notice_language",
            "notice_privacy_policy_url",
        }:
            raise missing("consent.granted_at")
        payload["consent"] = consent(given, now=utcnow(), strict=False)
    return payload


def _caller(runtime: Runtime, partner_id: str, api_key: str) -> Caller:
    caller = caller_with_api_key(runtime, partner_id=partner_id, api_key=api_key)
    if caller is None:
        raise V3Error(401, UNAUTHORIZED)
    with transaction(runtime.sessions) as session:
        if not limits.allow_token(session, runtime.box, partner_id=partner_id, now=utcnow()):
            raise V3Error(
                429,
                "Rate limit exceeded. Please try again later.",
                headers={"Retry-After": str(int(limits.TOKEN_WINDOW.total_seconds()))},
            )
    return caller


@router.post(
    "/v3/token",
    response_model=TokenAnswer,
    summary="Exchange an API key for a session token",
    responses={400: {}, 401: {}, 415: {}, 429: {}},
)
async def issue_token(request: Request, runtime: RuntimeDep) -> TokenAnswer:
    partner_id = request.headers.get("smileid-partner-id")
    api_key = request.headers.get("smileid-api-key")
    if partner_id is None or not partner_id.strip():
        raise bad_request("smileid-partner-id header is required.")
    if api_key is None or not api_key.strip():
        raise bad_request("smileid-api-key header is required.")
    if not _PARTNER_ID.match(partner_id.strip()):
        raise V3Error(401, UNAUTHORIZED)
    form = await read_form(request, body_optional=True)
    scope = _scope(form)
    caller = await run_in_threadpool(_caller, runtime, partner_id.strip(), api_key.strip())
    token = v3_tokens.issue(
        runtime.box,
        partner_id=caller.partner_id,
        key_id=caller.key_id,
        environment=caller.environment,
        now=utcnow(),
        scope=scope,
    )
    return TokenAnswer(token=token)
