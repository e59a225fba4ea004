"""What every portal page is built on: templates, cookies, CSRF, refusals, and who is signed in.

Every route is a :class:`PortalRoute` (made by :func:`new_router`), which (1) checks the CSRF
token of every POST before the route runs, and (2) turns the portal's refusals into a page (or
JSON for a client that asks for it) and its "sign in first" into a redirect. Every route but
sign-in and the assets depends on :func:`require` with the permission it needs, so a role is
checked before anything is read. Handlers are plain functions: FastAPI runs them in its thread
pool, where the database and argon2 may block.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.types import Message

from openkyc.crypto import SecretBox
from openkyc.db import transaction, utcnow
from openkyc.partners.models import Partner
from openkyc.portal import accounts, sessions
from openkyc.portal.models import PortalSession, PortalUser
from openkyc.portal.roles import Permission, allows
from openkyc.runtime import Runtime
from openkyc.web.landing import wants_json
from openkyc.webdeps import RuntimeDep

PREFIX = "/portal"
SESSION_COOKIE = "openkyc_portal"
# Before sign-in there is no session: this cookie anchors the sign-in form's CSRF token.
VISITOR_COOKIE = "openkyc_portal_visitor"
CSRF_FIELD = "csrf_token"
# The portal's pages load their stylesheet from this origin and run no script at all; forms post
# back here only. Set by the page itself, so the security headers middleware keeps it.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# The package's assets, by the name they are served under, with their media types.
ASSETS = {"portal.css": "text/css; charset=utf-8"}
JOBS_PER_PAGE = 25
# What a form may hold: text fields (a form of text is small), and files (SmartCheck's images,
# whose total is the API's multipart limit).
MAX_TEXT_FORM = 1024 * 1024
MAX_FORM_FIELDS = 64
MAX_FORM_FILES = 16

_templates = Environment(
    loader=PackageLoader("openkyc.portal", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)


class PortalRefusal(Exception):
    """A request the portal answers with an error page (or JSON) and this status."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


class GoTo(Exception):
    """A request that must first happen elsewhere (sign in, enter the code, enrol in 2FA)."""

    def __init__(self, path: str, *, forget_session: bool = False) -> None:
        super().__init__(path)
        self.path = path
        self.forget_session = forget_session


def base_path(request: Request) -> str:
    return str(request.scope.get("root_path", "")) + PREFIX


def cookie_path(request: Request) -> str:
    return base_path(request)


def redirect(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(base_path(request) + path, status_code=303)


def csrf_anchor(request: Request) -> str | None:
    """The cookie whose token the forms' CSRF token is made from: the session's, else the visitor's."""
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(VISITOR_COOKIE)


def box_of(request: Request) -> SecretBox:
    runtime: Runtime = request.app.state.runtime
    return runtime.box


def page(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A rendered page with the portal's policy; a form on it gets the request's CSRF token."""
    anchor = csrf_anchor(request)
    visitor: str | None = None
    if anchor is None:  # first visit: a visitor cookie anchors the sign-in form
        visitor = anchor = sessions.new_token()
    html = _templates.get_template(template).render(
        base=base_path(request), csrf=sessions.csrf_token(box_of(request), anchor), **context
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["content-security-policy"] = PAGE_POLICY
    if visitor is not None:
        set_cookie(request, response, VISITOR_COOKIE, visitor)
    return response


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="strict",
        path=cookie_path(request),
    )


def _refusal_response(request: Request, refusal: PortalRefusal) -> Response:
    if wants_json(request.headers.get("accept", "")):
        return JSONResponse(
            {"error": refusal.title, "message": refusal.message, "success": False},
            status_code=refusal.status,
        )
    return page(request, "error.html", status=refusal.status, title=refusal.title, message=refusal.message)


def _too_large(limit: int) -> PortalRefusal:
    return PortalRefusal(
        413, "Too large", f"This form sent more than {limit // (1024 * 1024)} MB. Send smaller files."
    )


async def read_form(request: Request) -> Request:
    """The request with its form read and kept on it (the route reads it again), refused with a
    413 as soon as it passes its limit: a form of text fields is small, a form with files
    (SmartCheck's images) is held to the API's multipart limit. A body that is no form is a 400."""
    runtime: Runtime = request.app.state.runtime
    multipart = request.headers.get("content-type", "").lower().startswith("multipart/form-data")
    if multipart and not request.cookies.get(SESSION_COOKIE):
        # Only a signed-in page sends files (SmartCheck): nobody else gets the large limit.
        raise PortalRefusal(403, "Sign in first", "Sign in to the portal before sending files.")
    limit = runtime.settings.max_multipart_body if multipart else MAX_TEXT_FORM
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    received, over = 0, False

    async def bounded() -> Message:
        nonlocal received, over
        message = await request.receive()
        received += len(message.get("body", b""))
        if received > limit:  # a chunked body declares no length
            over = True
            # The parsers' own error: they close the files spooled so far before passing it on.
            raise MultiPartException("too large")
        return message

    limited = Request(request.scope, bounded)
    try:
        await limited.form(max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS)
    except HTTPException as error:  # Starlette's answer to a parser's error
        if over:
            raise _too_large(limit) from error
        raise PortalRefusal(
            400, "Unreadable form", "The form could not be read. Reload the page and try again."
        ) from error
    return limited


class PortalRoute(APIRoute):
    """Checks CSRF on every POST and answers the portal's refusals and redirects."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def portal_handler(request: Request) -> Response:
            try:
                if request.method == "POST":
                    request = await read_form(request)
                    form = await request.form()  # kept on the request: the route reads it again
                    sent = form.get(CSRF_FIELD)
                    if not sessions.csrf_valid(
                        box_of(request), csrf_anchor(request), sent if isinstance(sent, str) else None
                    ):
                        raise PortalRefusal(
                            403,
                            "Form expired or forged (CSRF check failed)",
                            "This form did not carry this session's security token. Reload the page and try again.",
                        )
                return await handler(request)
            except PortalRefusal as refusal:
                return _refusal_response(request, refusal)
            except GoTo as go:
                response = redirect(request, go.path)
                if go.forget_session:
                    response.delete_cookie(SESSION_COOKIE, path=cookie_path(request))
                return response
            finally:
                await request.close()  # the form's files, spooled to disk, go now

        return portal_handler


def new_router() -> APIRouter:
    """A router for a group of portal pages: under /portal, out of the API schema, every route a
    :class:`PortalRoute`. Each module of pages makes its own; ``portal.routes`` gathers them."""
    return APIRouter(prefix=PREFIX, include_in_schema=False, route_class=PortalRoute)


@dataclass(frozen=True)
class SignedIn:
    """The member behind a request, and their session."""

    user: PortalUser
    session: PortalSession
    email: str
    partner_name: str
    totp_required: bool

    def can(self, permission: Permission) -> bool:
        return allows(self.user.role, permission)


def load_member(request: Request, runtime: Runtime) -> SignedIn:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise GoTo("/login")
    member: SignedIn | None = None
    with transaction(runtime.sessions) as db:  # committed: an expired session's deletion stays
        row = sessions.live_session(db, token, now=utcnow())
        user = None if row is None else db.get(PortalUser, row.user_id)
        if row is not None and (user is None or user.disabled):
            db.delete(row)
        elif row is not None and user is not None:
            partner = db.get(Partner, user.partner_id)
            member = SignedIn(
                user=user,
                session=row,
                email=accounts.email_of(runtime.box, user),
                partner_name=partner.name if partner is not None else user.partner_id,
                totp_required=accounts.totp_required(db, user.partner_id),
            )
    if member is None:
        raise GoTo("/login", forget_session=True)
    return member


def signed_in_for_enrolment(request: Request, runtime: RuntimeDep) -> SignedIn:
    """Signed in (password and, if enrolled, code): enough to enrol in 2FA or to sign out."""
    member = load_member(request, runtime)
    if member.session.second_factor_pending:
        raise GoTo("/login/totp")
    return member


def require(permission: Permission) -> Callable[..., SignedIn]:
    """The dependency of a route that needs ``permission``: signed in, enrolled when the team
    requires 2FA (or an admin reset the member's), and a role that grants it (else 403)."""

    def dependency(member: Annotated[SignedIn, Depends(signed_in_for_enrolment)]) -> SignedIn:
        if (
            member.totp_required or member.user.totp_must_enrol
        ) and member.user.totp_secret_encrypted is None:
            raise GoTo("/account/two-factor")
        if not member.can(permission):
            raise PortalRefusal(
                403,
                "Not allowed for your role",
                f"Your role ({member.user.role}) does not allow this. Ask an owner or admin of your team.",
            )
        return member

    return dependency


Reader = Annotated[SignedIn, Depends(require(Permission.READ))]
Operator = Annotated[SignedIn, Depends(require(Permission.OPERATE))]
Admin = Annotated[SignedIn, Depends(require(Permission.ADMINISTER))]
Owner = Annotated[SignedIn, Depends(require(Permission.OWN))]
Enrolling = Annotated[SignedIn, Depends(signed_in_for_enrolment)]
FormText = Annotated[str, Form()]


def form_field(value: str, limit: int) -> str:
    """A form field as typed, or a 400 for text no person typed (too long, NUL, lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = "\x00"
    if len(value) > limit or "\x00" in value:
        raise PortalRefusal(
            400, "Unreadable form", "A field of the form was too long or held characters it cannot hold."
        )
    return value


def client_host(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def small_number(text: str) -> int | None:
    """The number of up to 8 ASCII digits (int() would take "²" or 5000 digits), else None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 8 else None
