"""Management endpoints under /v1/management: API keys, enrolled users, callback settings.

Every request is authenticated with KSig1 headers; failures are HTTP 401 with exactly the
``{"errors": [{"code", "message"}]}`` bodies of compatibility §13. The credential's environment scopes
what it manages (a sandbox credential sees sandbox keys and users, and sets the sandbox default callback URL).

Signing rule: a GET may sign the API key alone (Kompliant's minimal signature). A mutating call
(PUT, POST, PATCH, DELETE) must sign ``HTTP-Verb``, ``URL-Path``, ``Content-MD5``, ``Timestamp``
and ``Nonce`` besides ``API-Key``, in any order, for example::

    X-API-Signed-Elements: API-Key;HTTP-Verb;URL-Path;Content-MD5;Timestamp;Nonce

otherwise it is refused with ``AUTH_MISSING_HEADER`` ("Required header 'X-API-Signed-Elements' is
missing from the request.", or the header of the first element left out: ``X-API-Content-Hash``,
``X-API-Timestamp``, ``X-API-Nonce``). The timestamp must be within 300 s of the server's clock,
and each nonce is accepted once per API key: nonces are remembered in the database
(``management_nonces``), so a captured request replayed against any API process is refused with
``AUTH_INVALID_HEADER``. Without this, the ``Authorization`` value of a key never changes, and one
read from any request (a GET in a proxy log) could redirect callbacks or mint keys.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from openkyc.api_errors import INVALID_VALUE, NOT_FOUND, ApiError
from openkyc.audit import Actor
from openkyc.callbacks import service as callbacks
from openkyc.db import transaction, utcnow
from openkyc.http import read_limited_body
from openkyc.management.nonces import DatabaseNonceStore
from openkyc.management.service import lookup_credential
from openkyc.observability.context import bind_partner
from openkyc.partner_input import parse_json, text_problem
from openkyc.partners import service as partners
from openkyc.retention.user_purge import delete_user
from openkyc.runtime import Runtime
from openkyc.signing import MUTATING_METHODS, MUTATION_ELEMENTS, KSig1Error, ManagementKey, verify_ksig1
from openkyc.signing.environment import Environment
from openkyc.users import service as users
from openkyc.users.models import UserStatus
from openkyc.webdeps import RuntimeDep

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/management", tags=["management"])


async def management_caller(request: Request, runtime: RuntimeDep) -> ManagementKey:
    """The KSig1 credential that signed this request (KSig1Error → 401 otherwise).

    A refusal is logged at WARNING with its error code (the reason category) and, once the API key
    named a credential, that credential's partner: never a header's value."""
    body = await read_limited_body(request, runtime.settings.max_json_body)
    raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
    query = request.scope.get("query_string", b"").decode("latin-1")
    looked_up: list[ManagementKey] = []

    def lookup(api_key: str) -> ManagementKey | None:
        with transaction(runtime.sessions) as session:
            found = lookup_credential(db_session=session, box=runtime.box, api_key=api_key)
        looked_up.extend([found] if found is not None else [])
        return found

    # The key look-up and the nonce insert are database work: off the event loop.
    try:
        return await run_in_threadpool(
            verify_ksig1,
            request.method,
            raw_path + (f"?{query}" if query else ""),
            request.headers,
            body,
            lookup,
            utcnow(),
            nonce_store=DatabaseNonceStore(runtime.sessions),
            required_elements=MUTATION_ELEMENTS if request.method.upper() in MUTATING_METHODS else (),
        )
    except KSig1Error as error:
        partner = looked_up[0].partner_id if looked_up else None
        with bind_partner(partner):
            log.warning(
                "management request refused (401 %s)%s%s",
                error.code,
                f" for partner {partner}" if partner else "",
                " (revoked credential)" if looked_up and looked_up[0].revoked else "",
            )
        raise


Caller = Annotated[ManagementKey, Depends(management_caller)]


class KeyOut(BaseModel):
    key_id: str
    environment: str
    fingerprint: str
    active: bool
    created_at: str


class IssuedKeyOut(BaseModel):
    key_id: str
    environment: str
    api_key: str = Field(description="Shown once; store it now.")


class CallbackSettings(BaseModel):
    default_callback_url: str | None = Field(default=None, max_length=partners.MAX_CALLBACK_URL)


class UserOut(BaseModel):
    user_id: str
    status: str
    enrolled_by_job: str | None


def _environment(caller: ManagementKey) -> Environment:
    return Environment(caller.environment)


@router.get("/keys", response_model=list[KeyOut])
def list_keys(caller: Caller, runtime: RuntimeDep) -> list[dict[str, Any]]:
    with transaction(runtime.sessions) as session:
        keys = partners.list_keys(
            db_session=session, partner_id=caller.partner_id, environment=_environment(caller)
        )
        return [partners.describe_key(k) for k in keys]


@router.post("/keys", response_model=IssuedKeyOut)
def create_key(caller: Caller, runtime: RuntimeDep) -> dict[str, Any]:
    with transaction(runtime.sessions) as session:
        issued = partners.create_key(
            db_session=session,
            box=runtime.box,
            partner_id=caller.partner_id,
            environment=_environment(caller),
            actor=Actor.partner(caller.partner_id),
        )
    runtime.key_cache.invalidate(caller.partner_id)
    return {"key_id": issued.key_id, "environment": issued.environment.value, "api_key": issued.api_key}


def _own_key(session: Any, caller: ManagementKey, key_id: str) -> None:
    owned = {
        k.id
        for k in partners.list_keys(
            db_session=session, partner_id=caller.partner_id, environment=_environment(caller)
        )
    }
    if key_id not in owned:
        raise ApiError(NOT_FOUND, "No such key")


@router.post("/keys/{key_id}/revoke", response_model=KeyOut)
def revoke_key(key_id: str, caller: Caller, runtime: RuntimeDep) -> dict[str, Any]:
    with transaction(runtime.sessions) as session:
        _own_key(session, caller, key_id)
        key = partners.revoke_key(
            db_session=session,
            partner_id=caller.partner_id,
            key_id=key_id,
            actor=Actor.partner(caller.partner_id),
        )
        answer = partners.describe_key(key)
    runtime.key_cache.invalidate(caller.partner_id)  # after the commit: the revoked key stops now
    return answer


@router.post("/keys/{key_id}/rotate", response_model=IssuedKeyOut)
def rotate_key(key_id: str, caller: Caller, runtime: RuntimeDep) -> dict[str, Any]:
    with transaction(runtime.sessions) as session:
        _own_key(session, caller, key_id)
        issued = partners.rotate_key(
            db_session=session,
            box=runtime.box,
            partner_id=caller.partner_id,
            key_id=key_id,
            actor=Actor.partner(caller.partner_id),
        )
    runtime.key_cache.invalidate(caller.partner_id)
    return {"key_id": issued.key_id, "environment": issued.environment.value, "api_key": issued.api_key}


@router.get("/users", response_model=list[UserOut])
def list_users(caller: Caller, runtime: RuntimeDep) -> list[dict[str, Any]]:
    with transaction(runtime.sessions) as session:
        return [
            {"user_id": u.user_id, "status": u.status, "enrolled_by_job": u.enrolled_by_job}
            for u in users.list_users(
                db_session=session, partner_id=caller.partner_id, environment=caller.environment
            )
        ]


_USER_ACTIONS = {
    "disable": UserStatus.DISABLED,
    "enable": UserStatus.ACTIVE,
    "delete": UserStatus.DELETED,
    "flag-reenroll": UserStatus.REENROLL_REQUIRED,
}


@router.post("/users/{user_id}/{action}", response_model=UserOut)
def change_user(user_id: str, action: str, caller: Caller, runtime: RuntimeDep) -> dict[str, Any]:
    status = _USER_ACTIONS.get(action)
    if status is None:
        raise ApiError(INVALID_VALUE, f"Unknown action; use one of {', '.join(_USER_ACTIONS)}")
    if text_problem(user_id) is not None:
        # No user_id holds a NUL ("%00" in the path), and PostgreSQL refuses to even look one up.
        raise ApiError(NOT_FOUND, "No enrolled user with this user_id")
    who = {"partner_id": caller.partner_id, "environment": caller.environment, "user_id": user_id}
    actor = Actor.partner(caller.partner_id)
    try:
        if status == UserStatus.DELETED:
            delete_user(runtime, **who, actor=actor)  # a deleted user's data is erased, not hidden
        with transaction(runtime.sessions) as session:
            if status == UserStatus.DELETED:
                user = users.find_user(db_session=session, **who)
                if user is None:
                    raise users.UserNotFound(user_id)
            else:
                user = users.set_status(db_session=session, **who, status=status, actor=actor)
            answer = {"user_id": user.user_id, "status": user.status, "enrolled_by_job": user.enrolled_by_job}
    except users.UserNotFound:
        raise ApiError(NOT_FOUND, "No enrolled user with this user_id") from None
    return answer


@router.get("/callback", response_model=CallbackSettings)
def get_callback(caller: Caller, runtime: RuntimeDep) -> dict[str, Any]:
    with transaction(runtime.sessions) as session:
        partner = partners.get_partner(db_session=session, partner_id=caller.partner_id)
        return {"default_callback_url": partner.callback_url_for(_environment(caller).value)}


@router.put("/callback", response_model=CallbackSettings)
async def set_callback(request: Request, caller: Caller, runtime: RuntimeDep) -> dict[str, Any]:
    body = await read_limited_body(request, runtime.settings.max_json_body)
    try:
        # The partner-input parser: PostgreSQL refuses a NUL in the stored URL (a 500).
        settings = CallbackSettings.model_validate(parse_json(body or b"{}"))
    except ValueError:  # PartnerInputError and pydantic's ValidationError alike
        raise ApiError(INVALID_VALUE, 'Expected {"default_callback_url": "https://..." or null}') from None
    url = settings.default_callback_url
    try:
        await run_in_threadpool(_store_callback, runtime, caller.partner_id, _environment(caller), url)
    except partners.InvalidCallbackUrl as problem:
        raise ApiError(INVALID_VALUE, f"default_callback_url: {problem}") from None
    # Stored as asked (it is the partner's choice), but said at once in the log when no result
    # will ever reach it: a day of refused attempts per job is a poor way to find out.
    refused = callbacks.always_refused(url, allow_private=runtime.settings.allow_private_callbacks)
    if refused is not None:
        with bind_partner(caller.partner_id):
            log.warning(
                "partner %s set a %s default callback URL that every delivery attempt will refuse: %s",
                caller.partner_id,
                _environment(caller).value,
                refused,
            )
    return {"default_callback_url": url}


def _store_callback(runtime: Runtime, partner_id: str, environment: Environment, url: str | None) -> None:
    with transaction(runtime.sessions) as session:
        partners.set_default_callback_url(
            db_session=session,
            partner_id=partner_id,
            environment=environment,
            url=url,
            actor=Actor.partner(partner_id),
        )
