"""The portal's own pages: sign-in (password, then TOTP), sign-out, 2FA enrolment, home, settings,
the jobs list and the package's static assets. What every page is built on: ``portal.pages``."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from openkyc import audit
from openkyc.crypto import DecryptionError, SecretBox
from openkyc.db import transaction, utcnow
from openkyc.job_types import JOB_TYPE_NAMES
from openkyc.jobs.listing import JobFilters, list_partner_jobs
from openkyc.jobs.models import JobState
from openkyc.portal import accounts, limits, sessions, two_factor
from openkyc.portal.link_pages import job_sources
from openkyc.portal.models import PortalSession, PortalUser
from openkyc.portal.pages import (
    ASSETS,
    JOBS_PER_PAGE,
    SESSION_COOKIE,
    Enrolling,
    FormText,
    GoTo,
    Owner,
    PortalRefusal,
    Reader,
    SignedIn,
    box_of,
    client_host,
    cookie_path,
    form_field,
    load_member,
    new_router,
    page,
    redirect,
    set_cookie,
    small_number,
)
from openkyc.portal.passwords import MAX_LENGTH as MAX_PASSWORD
from openkyc.portal.passwords import hash_password, needs_rehash, verify_password
from openkyc.portal.roles import Permission
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment as JobEnvironment
from openkyc.webdeps import RuntimeDep

router = new_router()


def _sign_in_event(db: Any, *, user: PortalUser | None, outcome: str, stage: str, client_key: str) -> None:
    audit.record(
        db,
        actor=audit.Actor.portal_user(user.id)
        if user is not None
        else audit.Actor(audit.ActorType.PORTAL_USER, "-"),
        action="portal.sign_in",
        target_type="portal_user",
        target_id=str(user.id) if user is not None else "-",
        detail={
            "partner_id": user.partner_id if user is not None else None,
            "stage": stage,
            "outcome": outcome,
            # Which client, without its address: the limit's keyed digest, shortened.
            "client": client_key[:16],
        },
    )


# --- sign-in -----------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request) -> Response:
    return page(request, "login.html", error=None, email="")


@router.post("/login")
def login(request: Request, runtime: RuntimeDep, email: FormText = "", password: FormText = "") -> Response:
    email = form_field(email, accounts.MAX_EMAIL)
    password = form_field(password, MAX_PASSWORD)
    box = runtime.box
    now = utcnow()
    email_key = limits.email_key(box, email)
    client_key = limits.client_key(box, client_host(request))
    with transaction(runtime.sessions) as db:
        if limits.is_limited(db, email=email_key, client=client_key, now=now):
            user = accounts.find_by_email(db, box, email)
            _sign_in_event(db, user=user, outcome="rate_limited", stage="password", client_key=client_key)
            limited = True
        else:
            limited = False
    if limited:
        raise PortalRefusal(
            429,
            "Too many attempts",
            f"Too many failed sign-ins. Wait {int(limits.WINDOW.total_seconds() // 60)} minutes and try again.",
        )
    with transaction(runtime.sessions) as db:
        user = accounts.find_by_email(db, box, email)
        good = verify_password(user.password_hash if user is not None else None, password)
        if user is None or not good or user.disabled:
            outcome = "unknown_email" if user is None else ("bad_password" if not good else "disabled")
            limits.record_failure(db, [email_key, client_key], now=now)
            _sign_in_event(db, user=user, outcome=outcome, stage="password", client_key=client_key)
            failed = True
        else:
            failed = False
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            pending = user.totp_secret_encrypted is not None
            if not pending:
                # Only a full sign-in forgets the failures: else the password, known, would reset
                # the count of wrong TOTP codes between guesses.
                limits.forget(db, email_key)
            sessions.sweep_expired(db, now=now)
            previous = request.cookies.get(SESSION_COOKIE)
            if previous:  # signing in again ends the session this browser had
                sessions.close_session(db, previous)
            token = sessions.open_session(db, user, pending=pending, now=now)
            _sign_in_event(
                db,
                user=user,
                outcome="password_ok" if pending else "success",
                stage="password",
                client_key=client_key,
            )
    if failed:
        # One answer for every failure: it does not say which addresses have accounts.
        return page(request, "login.html", status=401, error="Wrong e-mail address or password.", email=email)
    response = redirect(request, "/login/totp" if pending else "/")
    set_cookie(request, response, SESSION_COOKIE, token)
    return response


def _pending(request: Request, runtime: Runtime) -> SignedIn:
    member = load_member(request, runtime)
    if not member.session.second_factor_pending:
        raise GoTo("/")
    return member


@router.get("/login/totp")
def totp_form(request: Request, runtime: RuntimeDep) -> Response:
    _pending(request, runtime)
    return page(request, "totp.html", error=None)


@router.post("/login/totp")
def totp_login(
    request: Request, runtime: RuntimeDep, code: FormText = "", recovery_code: FormText = ""
) -> Response:
    member = _pending(request, runtime)
    code, recovery_code = form_field(code, 64), form_field(recovery_code, 64)
    box = runtime.box
    now = utcnow()
    email_key = limits.email_key(box, member.email)
    client_key = limits.client_key(box, client_host(request))
    old_token = request.cookies.get(SESSION_COOKIE, "")
    with transaction(runtime.sessions) as db:
        user = db.get(PortalUser, member.user.id)
        if user is None or user.totp_secret_encrypted is None:
            raise GoTo("/login", forget_session=True)
        if limits.is_limited(db, email=email_key, client=client_key, now=now):
            _sign_in_event(db, user=user, outcome="rate_limited", stage="totp", client_key=client_key)
            limited = True
        else:
            limited = False
            stage, accepted = _second_factor(db, box, user, code=code, recovery_code=recovery_code, now=now)
            if accepted:
                # A new token once fully signed in: the pending one never becomes a full session.
                sessions.close_session(db, old_token)
                token = sessions.open_session(db, user, pending=False, now=now)
                limits.forget(db, email_key)
                _sign_in_event(db, user=user, outcome="success", stage=stage, client_key=client_key)
            else:
                limits.record_failure(db, [email_key, client_key], now=now)
                _sign_in_event(db, user=user, outcome="bad_code", stage=stage, client_key=client_key)
    if limited:
        raise PortalRefusal(429, "Too many attempts", "Too many failed sign-ins. Wait and try again.")
    if not accepted:
        return page(request, "totp.html", status=401, error="That code is not valid.")
    response = redirect(request, "/")
    set_cookie(request, response, SESSION_COOKIE, token)
    return response


def _second_factor(
    db: Any, box: SecretBox, user: PortalUser, *, code: str, recovery_code: str, now: Any
) -> tuple[str, bool]:
    """Check the code (or a recovery code) and record its use; (stage, accepted)."""
    if recovery_code.strip():
        left = two_factor.use_recovery_code(list(user.recovery_codes), recovery_code)
        if left is None:
            return "recovery_code", False
        user.recovery_codes = left
        accounts.record_own_event(
            db, user.id, "portal.recovery_code_used", {"partner_id": user.partner_id, "codes_left": len(left)}
        )
        return "recovery_code", True
    secret = box.decrypt_text(user.totp_secret_encrypted or b"")
    step = two_factor.accepted_step(secret, code, now=now, last_step=user.totp_last_step)
    if step is None:
        return "totp", False
    user.totp_last_step = step
    return "totp", True


@router.post("/logout")
def logout(request: Request, runtime: RuntimeDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with transaction(runtime.sessions) as db:
            row = db.get(PortalSession, sessions.token_digest(token))
            if row is not None:
                accounts.record_own_event(db, row.user_id, "portal.sign_out")
            sessions.close_session(db, token)
    response = redirect(request, "/login")
    response.delete_cookie(SESSION_COOKIE, path=cookie_path(request))
    return response


# --- 2FA enrolment -----------------------------------------------------------------------------


def _enrolment_blob(box: SecretBox, user_id: int, secret: str) -> str:
    # The secret being enrolled travels in the form, encrypted and bound to the account: nothing
    # to keep between showing the QR code and checking the first code.
    return base64.urlsafe_b64encode(box.encrypt_text(f"{user_id}:{secret}")).decode("ascii")


def _enrolment_secret(box: SecretBox, user_id: int, blob: str) -> str | None:
    try:
        owner, _, secret = box.decrypt_text(base64.urlsafe_b64decode(blob.encode("ascii"))).partition(":")
    except (DecryptionError, binascii.Error, ValueError):
        return None
    return secret if owner == str(user_id) and secret else None


def _enrolment_page(request: Request, member: SignedIn, *, secret: str, error: str | None) -> Response:
    uri = two_factor.provisioning_uri(secret, member.email)
    return page(
        request,
        "enrol.html",
        status=400 if error else 200,
        member=member,
        error=error,
        secret=secret,
        uri=uri,
        qr=two_factor.qr_svg(uri),
        enrolment=_enrolment_blob(box_of(request), member.user.id, secret),
    )


@router.get("/account/two-factor")
def two_factor_page(request: Request, member: Enrolling) -> Response:
    if member.user.totp_secret_encrypted is not None:
        return page(request, "two_factor_on.html", member=member, codes_left=len(member.user.recovery_codes))
    return _enrolment_page(request, member, secret=two_factor.new_secret(), error=None)


@router.post("/account/two-factor")
def enrol(
    request: Request, runtime: RuntimeDep, member: Enrolling, enrolment: FormText = "", code: FormText = ""
) -> Response:
    enrolment, code = form_field(enrolment, 4096), form_field(code, 64)
    box = runtime.box
    if member.user.totp_secret_encrypted is not None:
        raise PortalRefusal(409, "Already enrolled", "Two-factor sign-in is already on for your account.")
    secret = _enrolment_secret(box, member.user.id, enrolment)
    if secret is None:
        raise PortalRefusal(400, "Enrolment expired", "Start the enrolment again from the two-factor page.")
    step = two_factor.accepted_step(secret, code, now=utcnow(), last_step=None)
    if step is None:
        return _enrolment_page(
            request, member, secret=secret, error="That code is not valid: check the time on your phone."
        )
    codes = two_factor.new_recovery_codes()
    with transaction(runtime.sessions) as db:
        user = db.get(PortalUser, member.user.id)
        if user is None:
            raise GoTo("/login", forget_session=True)
        user.totp_secret_encrypted = box.encrypt_text(secret)
        user.totp_last_step = step
        user.recovery_codes = [two_factor.recovery_digest(item) for item in codes]
        accounts.record_own_event(
            db, user.id, "portal.2fa_enrolled", {"partner_id": user.partner_id, "recovery_codes": len(codes)}
        )
    # Shown this once: only their digests are kept.
    return page(request, "recovery_codes.html", member=member, codes=codes)


# --- pages -------------------------------------------------------------------------------------


@router.get("/settings")
def settings_page(request: Request, member: Reader) -> Response:
    return page(request, "settings.html", member=member, can_own=member.can(Permission.OWN))


@router.post("/settings/two-factor")
def set_two_factor_policy(
    request: Request, runtime: RuntimeDep, member: Owner, required: FormText = ""
) -> Response:
    if required not in {"yes", "no"}:
        raise PortalRefusal(400, "Unknown choice", "Choose whether two-factor sign-in is required.")
    if required == "yes" and member.user.totp_secret_encrypted is None:
        # Else the owner's next page would be the enrolment page, by their own decision.
        raise PortalRefusal(
            409,
            "Turn on two-factor first",
            "Turn on two-factor sign-in for your own account before requiring it.",
        )
    with transaction(runtime.sessions) as db:
        accounts.set_totp_required(
            db,
            partner_id=member.user.partner_id,
            required=required == "yes",
            actor=audit.Actor.portal_user(member.user.id),
        )
    return redirect(request, "/settings")


PRODUCTS = {int(job_type): name for job_type, name in JOB_TYPE_NAMES.items()}


def _job_filters(params: Mapping[str, str]) -> JobFilters:
    """The list's filters from the query string; a value that cannot be one is refused (400)."""

    def bad(name: str) -> PortalRefusal:
        return PortalRefusal(
            400, "Unknown filter value", f"The {name} filter has a value the list does not know."
        )

    job_type: int | None = None
    if params.get("product"):
        job_type = small_number(params["product"])
        if job_type not in PRODUCTS:
            raise bad("product")
    result_code = params.get("result_code", "").strip() or None
    if result_code is not None and small_number(result_code) is None:
        raise bad("result code")
    environment = params.get("environment") or None
    if environment is not None and environment not in {item.value for item in JobEnvironment}:
        raise bad("environment")
    state = params.get("state") or None
    if state is not None and state not in {item.value for item in JobState}:
        raise bad("state")
    return JobFilters(job_type=job_type, result_code=result_code, environment=environment, state=state)


@router.get("/jobs")
def jobs_page(request: Request, runtime: RuntimeDep, member: Reader) -> Response:
    params = dict(request.query_params)
    filters = _job_filters(params)
    page_number = max(small_number(params.get("page", "1")) or 1, 1)
    with transaction(runtime.sessions) as db:
        listing = list_partner_jobs(
            db, partner_id=member.user.partner_id, filters=filters, page=page_number, per_page=JOBS_PER_PAGE
        )
        sources = job_sources(db, member.user.partner_id, (job.api_key_id for job in listing.jobs))
        rows = [
            {
                "smile_job_id": job.smile_job_id,
                "job_id": job.job_id,
                "user_id": job.user_id,
                "product": PRODUCTS.get(job.job_type, str(job.job_type)),
                "environment": job.environment,
                "state": job.state,
                "result_code": (job.result or {}).get("ResultCode") or "",
                "result_text": (job.result or {}).get("ResultText") or "",
                "created_at": job.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                "source": sources[job.api_key_id],
            }
            for job in listing.jobs
        ]
    kept = {key: value for key, value in params.items() if key != "page" and value}

    def page_link(number: int) -> str:
        return "?" + urlencode({**kept, "page": str(number)})

    return page(
        request,
        "jobs.html",
        member=member,
        rows=rows,
        filters=params,
        products=sorted(PRODUCTS.items()),
        environments=[item.value for item in JobEnvironment],
        states=[item.value for item in JobState],
        previous_link=page_link(listing.page - 1) if listing.page > 1 else None,
        next_link=page_link(listing.page + 1) if listing.has_next else None,
        page_number=listing.page,
    )


@router.get("/static/{name}")
def asset(name: str) -> Response:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise PortalRefusal(404, "Not found", "No such file.")
    body = resources.files("openkyc.portal").joinpath("static", name).read_bytes()
    return Response(body, media_type=media_type, headers={"cache-control": "public, max-age=3600"})
