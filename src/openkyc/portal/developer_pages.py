"""The portal's developer pages: API keys and management credentials per environment, the default
callback URL and a test callback, how callbacks are signed, and the production switch.

Every action is the domain service the CLI and the management API call (``partners.service``,
``management.service``, ``callbacks.trial``), audited there with the member as actor. A new
secret is shown once, in the answer to the POST that made it (never in a redirect's URL, a log
line or the audit log), on a page the browser is told not to store. A changed key set, or the
production switch, drops the partner's entry from this process's key cache once committed, as the
management API does, so a revoked key is refused from the next request on (other processes: within
the cache's two seconds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openkyc import audit
from openkyc.callbacks import trial
from openkyc.callbacks.service import always_refused
from openkyc.db import transaction
from openkyc.jobs.listing import last_job_per_key
from openkyc.management import service as management
from openkyc.partners import service as partners
from openkyc.partners.models import ApiKey
from openkyc.portal.pages import (
    Admin,
    FormText,
    Owner,
    PortalRefusal,
    Reader,
    SignedIn,
    form_field,
    new_router,
    page,
    redirect,
)
from openkyc.portal.roles import Permission
from openkyc.runtime import Runtime
from openkyc.signing import sign_response
from openkyc.signing.environment import Environment
from openkyc.signing.errors import describe_duration
from openkyc.webdeps import RuntimeDep

router = new_router()

# What a key id or a management API key can look like (the columns' sizes); anything else is no
# key of this partner's, answered 404 without a look-up (PostgreSQL refuses a NUL in a query).
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
_MANAGEMENT_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A page holding a secret: kept out of the browser's cache and history snapshots.
NO_STORE = "no-store"


def _actor(member: SignedIn) -> audit.Actor:
    return audit.Actor.portal_user(member.user.id)


def _environment(value: str) -> Environment:
    try:
        return Environment(form_field(value, 32))
    except ValueError:
        raise PortalRefusal(400, "Unknown environment", "Choose sandbox or production.") from None


def _moment(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S") if at is not None else ""


def _secret_page(request: Request, template: str, **context: Any) -> Response:
    response = page(request, template, **context)
    response.headers["cache-control"] = NO_STORE
    return response


def _keys_changed(runtime: Runtime, partner_id: str) -> None:
    # After the commit: this process's next signature check reads the keys (and switch) afresh.
    runtime.key_cache.invalidate(partner_id)


# --- the overview: keys, management credentials, production --------------------------------


@dataclass(frozen=True)
class KeyRow:
    key_id: str
    fingerprint: str
    created_at: str
    last_job_at: str
    active: bool
    revoked_at: str


@router.get("/developers")
def developers_page(request: Request, runtime: RuntimeDep, member: Reader) -> Response:
    partner_id = member.user.partner_id
    with transaction(runtime.sessions) as db:
        partner = partners.get_partner(db_session=db, partner_id=partner_id)
        last_jobs = last_job_per_key(db, partner_id=partner_id)
        keys: dict[str, list[KeyRow]] = {env.value: [] for env in Environment}
        for key in partners.list_keys(db_session=db, partner_id=partner_id):
            keys.setdefault(key.environment, []).append(
                KeyRow(
                    key_id=key.id,
                    fingerprint=key.fingerprint,
                    created_at=_moment(key.created_at),
                    last_job_at=_moment(last_jobs.get(key.id)),
                    active=key.active,
                    revoked_at=_moment(key.revoked_at),
                )
            )
        credentials = [
            {
                "api_key": row.api_key,
                "environment": row.environment,
                "created_at": _moment(row.created_at),
                "active": not row.revoked,
            }
            for row in management.list_credentials(db_session=db, partner_id=partner_id)
        ]
        production_enabled = partner.production_enabled
    return page(
        request,
        "developers.html",
        member=member,
        keys=keys,
        credentials=credentials,
        production_enabled=production_enabled,
        can_administer=member.can(Permission.ADMINISTER),
        can_own=member.can(Permission.OWN),
        environments=[env.value for env in Environment],
    )


# --- API keys ----------------------------------------------------------------------------------


def _key_id(key_id: str) -> str:
    if not _KEY_ID.fullmatch(key_id):
        raise _no_key()
    return key_id


def _no_key() -> PortalRefusal:
    return PortalRefusal(404, "No such key", "Your team has no API key with this id.")


def _own_key(db: Session, member: SignedIn, key_id: str) -> ApiKey:
    """The member's partner's key ``key_id`` (404 for any other, another partner's too)."""
    key = db.get(ApiKey, _key_id(key_id))
    if key is None or key.partner_id != member.user.partner_id:
        raise _no_key()
    return key


def _refuse_revoked(key: ApiKey) -> None:
    if not key.active:
        # Rotating a revoked key would quietly create a key: say what to do instead.
        raise PortalRefusal(
            409, "Key already revoked", "This key is revoked already; create a new key instead."
        )


@router.post("/developers/keys")
def create_key(request: Request, runtime: RuntimeDep, member: Admin, environment: FormText = "") -> Response:
    env = _environment(environment)
    with transaction(runtime.sessions) as db:
        issued = partners.create_key(
            db_session=db,
            box=runtime.box,
            partner_id=member.user.partner_id,
            environment=env,
            actor=_actor(member),
        )
    _keys_changed(runtime, member.user.partner_id)
    return _secret_page(request, "developer_key.html", member=member, issued=issued, replaced=None)


_KEY_ACTIONS = {
    "rotate": (
        "Rotate API key",
        "A new key replaces {key_id} ({environment}). The old key stops working at once: requests "
        "signed with it are refused from now on. Callbacks of jobs it already created are still signed "
        "with it.",
        "Rotate now",
    ),
    "revoke": (
        "Revoke API key",
        "Key {key_id} ({environment}) stops working at once: requests signed with it are refused from "
        "now on. This cannot be undone.",
        "Revoke now",
    ),
}


@router.get("/developers/keys/{key_id}/{action}")
def confirm_key_action(
    request: Request, runtime: RuntimeDep, member: Admin, key_id: str, action: str
) -> Response:
    if action not in _KEY_ACTIONS:
        raise PortalRefusal(404, "No such page", "There is no such action on a key.")
    with transaction(runtime.sessions) as db:
        key = _own_key(db, member, key_id)
    _refuse_revoked(key)
    title, message, button = _KEY_ACTIONS[action]
    return page(
        request,
        "developer_confirm.html",
        member=member,
        title=title,
        message=message.format(key_id=key.id, environment=key.environment),
        action=f"/developers/keys/{key.id}/{action}",
        button=button,
    )


@router.post("/developers/keys/{key_id}/rotate")
def rotate_key(request: Request, runtime: RuntimeDep, member: Admin, key_id: str) -> Response:
    with transaction(runtime.sessions) as db:
        _refuse_revoked(_own_key(db, member, key_id))
        issued = partners.rotate_key(
            db_session=db,
            box=runtime.box,
            partner_id=member.user.partner_id,
            key_id=key_id,
            actor=_actor(member),
        )
    _keys_changed(runtime, member.user.partner_id)
    return _secret_page(request, "developer_key.html", member=member, issued=issued, replaced=key_id)


@router.post("/developers/keys/{key_id}/revoke")
def revoke_key(request: Request, runtime: RuntimeDep, member: Admin, key_id: str) -> Response:
    with transaction(runtime.sessions) as db:
        _own_key(db, member, key_id)
        partners.revoke_key(
            db_session=db, partner_id=member.user.partner_id, key_id=key_id, actor=_actor(member)
        )
    _keys_changed(runtime, member.user.partner_id)
    return redirect(request, "/developers")


# --- management-API credentials ----------------------------------------------------------------


def _no_credential() -> PortalRefusal:
    return PortalRefusal(404, "No such credential", "Your team has no management credential with this key.")


@router.post("/developers/management")
def create_credential(
    request: Request, runtime: RuntimeDep, member: Admin, environment: FormText = ""
) -> Response:
    env = _environment(environment)
    with transaction(runtime.sessions) as db:
        credential = management.issue_credential(
            db_session=db,
            box=runtime.box,
            partner_id=member.user.partner_id,
            environment=env,
            actor=_actor(member),
        )
    return _secret_page(
        request, "developer_credential.html", member=member, credential=credential, environment=env.value
    )


@router.get("/developers/management/{api_key}/revoke")
def confirm_credential_revocation(
    request: Request, runtime: RuntimeDep, member: Admin, api_key: str
) -> Response:
    if not _MANAGEMENT_KEY.fullmatch(api_key):
        raise _no_credential()
    with transaction(runtime.sessions) as db:
        found = [
            row
            for row in management.list_credentials(db_session=db, partner_id=member.user.partner_id)
            if row.api_key == api_key and not row.revoked
        ]
    if not found:
        raise _no_credential()
    return page(
        request,
        "developer_confirm.html",
        member=member,
        title="Revoke management credential",
        message=f"Credential {api_key} ({found[0].environment}) stops working at once: management "
        "requests signed with it are refused from now on. This cannot be undone.",
        action=f"/developers/management/{api_key}/revoke",
        button="Revoke now",
    )


@router.post("/developers/management/{api_key}/revoke")
def revoke_credential(request: Request, runtime: RuntimeDep, member: Admin, api_key: str) -> Response:
    if not _MANAGEMENT_KEY.fullmatch(api_key):
        raise _no_credential()
    with transaction(runtime.sessions) as db:
        revoked = management.revoke_credential(
            db_session=db, partner_id=member.user.partner_id, api_key=api_key, actor=_actor(member)
        )
    if not revoked:
        raise _no_credential()
    return redirect(request, "/developers")


# --- the production switch ---------------------------------------------------------------------


@router.post("/developers/production")
def set_production(request: Request, runtime: RuntimeDep, member: Owner, enabled: FormText = "") -> Response:
    if enabled not in {"yes", "no"}:
        raise PortalRefusal(400, "Unknown choice", "Choose whether production keys are allowed.")
    with transaction(runtime.sessions) as db:
        partners.set_production_enabled(
            db_session=db, partner_id=member.user.partner_id, enabled=enabled == "yes", actor=_actor(member)
        )
    _keys_changed(runtime, member.user.partner_id)  # the cache holds the switch with the keys
    return redirect(request, "/developers")


# --- callbacks ---------------------------------------------------------------------------------


def _callbacks_page(
    request: Request,
    runtime: Runtime,
    member: SignedIn,
    *,
    status: int = 200,
    typed: tuple[Environment, str] | None = None,
    error: str | None = None,
    tested: trial.TestCallback | None = None,
) -> Response:
    """The callbacks page: one section per environment; ``typed`` and ``error`` belong to the
    environment whose form was just refused."""
    with transaction(runtime.sessions) as db:
        partner = partners.get_partner(db_session=db, partner_id=member.user.partner_id)
        urls = {env: partner.callback_url_for(env.value) for env in Environment}
    sections = []
    for env, url in urls.items():
        retyped = typed is not None and typed[0] is env
        sections.append(
            {
                "environment": env.value,
                "url": url,
                "typed": typed[1] if typed is not None and retyped else (url or ""),
                "error": error if retyped else None,
                # Said while it holds, not only when saved: the server's setting may change.
                "refused": always_refused(url, allow_private=runtime.settings.allow_private_callbacks),
            }
        )
    return page(
        request,
        "developer_callbacks.html",
        status=status,
        member=member,
        sections=sections,
        tested=tested,
        can_administer=member.can(Permission.ADMINISTER),
        max_length=partners.MAX_CALLBACK_URL,
    )


@router.get("/developers/callbacks")
def callbacks_page(request: Request, runtime: RuntimeDep, member: Reader) -> Response:
    return _callbacks_page(request, runtime, member)


@router.post("/developers/callbacks")
def set_callback_url(
    request: Request, runtime: RuntimeDep, member: Admin, url: FormText = "", environment: FormText = ""
) -> Response:
    env = _environment(environment)
    typed = form_field(url, partners.MAX_CALLBACK_URL + 64).strip()
    try:
        with transaction(runtime.sessions) as db:
            partners.set_default_callback_url(
                db_session=db,
                partner_id=member.user.partner_id,
                environment=env,
                url=typed or None,
                actor=_actor(member),
            )
    except partners.InvalidCallbackUrl as problem:
        message = f"Not saved: {problem}."
        return _callbacks_page(request, runtime, member, status=400, typed=(env, typed), error=message)
    return redirect(request, "/developers/callbacks")


@router.post("/developers/callbacks/test")
def send_test_callback(
    request: Request, runtime: RuntimeDep, member: Admin, environment: FormText = ""
) -> Response:
    env = _environment(environment)
    try:
        # A plain function: FastAPI runs it in its thread pool, so the wait (DNS and the POST,
        # bounded by trial.TEST_TIMEOUT) never holds the event loop.
        tested = trial.send_test_callback(
            runtime, partner_id=member.user.partner_id, environment=env, actor=_actor(member)
        )
    except trial.NoCallbackUrl:
        raise PortalRefusal(
            409, "No callback URL", f"Set a default callback URL for {env.value} jobs first."
        ) from None
    except trial.NoActiveKey:
        raise PortalRefusal(
            409, "No active key", f"Your team has no active {env.value} API key to sign the test with."
        ) from None
    return _callbacks_page(request, runtime, member, tested=tested)


@router.get("/developers/signing")
def signing_page(request: Request, runtime: RuntimeDep, member: Reader) -> Response:
    settings = runtime.settings
    example_key = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"  # a made-up key for the worked example
    example = sign_response(
        example_key, member.user.partner_id, datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    )
    return page(
        request,
        "developer_signing.html",
        member=member,
        example_key=example_key,
        example=example,
        first_retry=int(settings.callback_first_retry.total_seconds()),
        horizon=describe_duration(settings.callback_retry_horizon),
        timeout=int(settings.callback_timeout.total_seconds()),
        test_body=trial.TEST_BODY,
    )
