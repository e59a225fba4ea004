"""The hosted capture page: where a verification link's visitor verifies, on a phone browser.

``GET /verify/{slug}`` names the partner and its privacy policy, asks for consent and an ID type
from the link's list; the page's script (``static/capture.js``) then walks the visitor through
the ID number, a selfie with liveness frames and the document, asking the server for quality
feedback on each picture, and submits everything once. Every script, style and image comes from
this server: the page works on a network with no internet and calls no third party.

Security: the link's URL only opens the page. Consenting starts a visit whose token (an HttpOnly,
SameSite=Strict cookie scoped to /verify) authorises that visit's one job; the JSON endpoints also
require a header no cross-site form can send (``X-OpenKYC-Capture``) and a same-origin ``Origin``
when the browser gives one, so no other site can act for the visitor. Uploads go through the API's
size limits and image checks; visits, checks and submissions are rate-limited per link, per client
and per visit (``links.limits``). Answers never say how the verification went.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from openkyc.api_errors import INVALID_VALUE, MISSING_PARAMETER, NOT_FOUND, ApiError, ErrorSpec
from openkyc.db import transaction, utcnow
from openkyc.http import read_json_object
from openkyc.jobs.intake import IntakeError
from openkyc.jobs.v2_forms import read_form
from openkyc.links import feedback, limits, manage, submit, visits
from openkyc.links.manage import LINK_PATH, LinkIdType, LinkState
from openkyc.links.models import SmileLink
from openkyc.links.visits import LinkClosed, VisitRefused
from openkyc.offload import run_bounded
from openkyc.runtime import Runtime
from openkyc.services.documents import country_names, document_types
from openkyc.services.id_types import id_number_type
from openkyc.signing.environment import Environment as KeyEnvironment
from openkyc.webdeps import RuntimeDep

log = logging.getLogger(__name__)

router = APIRouter(prefix=LINK_PATH, include_in_schema=False)

VISIT_COOKIE = "okyc_visit"
# Sent by the page's script on every JSON call: a cross-site form cannot set a header, and a
# cross-site script cannot either without a CORS preflight, which this server never grants.
CAPTURE_HEADER = "x-openkyc-capture"
# The page runs its own script and styles, shows pictures it took (blob: URLs) and the camera
# (a MediaStream), talks to this origin only and may be framed by nobody.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"
ASSETS = {
    "capture.js": "text/javascript; charset=utf-8",
    "capture.css": "text/css; charset=utf-8",
}
ASSET_CACHE = "public, max-age=3600"
# A submission: a selfie, 8 frames and two document sides, each at most ~1-3 MB from the page.
MAX_CHECK_BODY = 5 * 1024 * 1024
MAX_START_BODY = 4096
# The page sends this many liveness frames with the selfie (Smile ID's web component: 8, 350 ms apart).
LIVENESS_FRAMES = 8
FRAME_INTERVAL_MS = 350

VISIT_ENDED = ErrorSpec(
    "2205", "This verification session has ended. Open the link you were sent again to start over.", 403
)
LINK_CLOSED = ErrorSpec("2404", "This verification link is no longer active.", 410)
ALREADY_SENT = ErrorSpec("2215", "Your verification was already submitted.", 409)
TOO_MANY = ErrorSpec("2429", "Too many attempts. Wait a few minutes, then try again.", 429)
NOT_FROM_PAGE = ErrorSpec("2205", "This request must come from the verification page.", 403)

_templates = Environment(
    loader=PackageLoader("openkyc.links", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)
_assets = {name: files("openkyc.links").joinpath("static", name).read_bytes() for name in ASSETS}

CLOSED_TEXT = {
    None: ("Link not found", "This verification link does not exist. Check the link you were sent."),
    LinkState.DISABLED: (
        "Link disabled",
        "This verification link has been turned off by the company that sent it.",
    ),
    LinkState.EXPIRED: (
        "Link expired",
        "This verification link has expired. Ask the company that sent it for a new one.",
    ),
    LinkState.USED: (
        "Link already used",
        "This verification link has already been used and cannot be used again.",
    ),
}


def _page(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(base=_base(request), **context)
    response = HTMLResponse(html, status_code=status)
    response.headers["content-security-policy"] = PAGE_POLICY
    response.headers["permissions-policy"] = PERMISSIONS_POLICY
    return response


def _base(request: Request) -> str:
    return str(request.scope.get("root_path", "")) + LINK_PATH


def _closed_page(request: Request, state: LinkState | None) -> HTMLResponse:
    title, message = CLOSED_TEXT[state]
    return _page(request, "closed.html", status=404 if state is None else 410, title=title, message=message)


@dataclass(frozen=True)
class Choice:
    index: int
    country: str
    country_name: str
    id_type: str
    name: str
    method: str


def _id_name(wanted: LinkIdType) -> str:
    if wanted.needs_document:
        for kind in document_types(wanted.country):
            if kind["code"] == wanted.id_type:
                return str(kind["name"])
    number = id_number_type(wanted.country, wanted.id_type)
    return number.label if number is not None else wanted.id_type


def _has_back(wanted: LinkIdType) -> bool:
    return any(
        kind["code"] == wanted.id_type and bool(kind.get("has_back"))
        for kind in document_types(wanted.country)
    )


def _choices(link: SmileLink) -> list[Choice]:
    names = country_names()
    return [
        Choice(
            index,
            wanted.country,
            names.get(wanted.country, wanted.country),
            wanted.id_type,
            _id_name(wanted),
            wanted.verification_method.value,
        )
        for index, wanted in enumerate(visits.choices(link))
    ]


def _open(runtime: Runtime, slug: str) -> SmileLink:
    with transaction(runtime.sessions) as session:
        link = visits.open_link(session, slug, utcnow())
        session.expunge(link)
        return link


@router.get("/assets/{name}")
async def asset(name: str) -> Response:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise ApiError(NOT_FOUND)
    return Response(_assets[name], media_type=media_type, headers={"Cache-Control": ASSET_CACHE})


@router.get("/{slug}")
async def link_page(request: Request, runtime: RuntimeDep, slug: str) -> Response:
    try:
        link = await run_in_threadpool(_open, runtime, slug)
    except LinkClosed as closed:
        return _closed_page(request, closed.state)
    return _page(
        request,
        "capture.html",
        link=link,
        slug=slug,
        choices=_choices(link),
        has_logo=link.logo_png is not None,
        theme_slug=slug if link.theme_color else None,
        sandbox=link.environment == KeyEnvironment.SANDBOX.value,
        frames=LIVENESS_FRAMES,
        interval=FRAME_INTERVAL_MS,
    )


@router.get("/{slug}/logo.png")
async def logo(runtime: RuntimeDep, slug: str) -> Response:
    def read() -> bytes | None:
        with transaction(runtime.sessions) as session:
            link = manage.link_by_slug(session, slug)
            return link.logo_png if link is not None else None

    found = await run_in_threadpool(read)
    if found is None:
        raise ApiError(NOT_FOUND)
    return Response(found, media_type="image/png", headers={"Cache-Control": "public, max-age=300"})


def theme_css(color: str) -> str:
    """The page's accent colour as a stylesheet, its text black or white, whichever reads better."""
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    red, green, blue = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    # Perceived brightness (ITU-R BT.601 weights), 0-255.
    ink = "#000000" if (299 * red + 587 * green + 114 * blue) / 1000 > 150 else "#ffffff"
    return f":root {{ --accent: #{digits}; --accent-ink: {ink}; }}\n"


@router.get("/{slug}/theme.css")
async def theme(runtime: RuntimeDep, slug: str) -> Response:
    def read() -> str | None:
        with transaction(runtime.sessions) as session:
            link = manage.link_by_slug(session, slug)
            return link.theme_color if link is not None else None

    color = await run_in_threadpool(read)
    if color is None:
        raise ApiError(NOT_FOUND)
    return Response(theme_css(color), media_type="text/css", headers={"Cache-Control": "public, max-age=300"})


@router.get("/{slug}/done")
async def done_page(request: Request, runtime: RuntimeDep, slug: str) -> Response:
    def found() -> tuple[str, str | None, str | None] | None:
        with transaction(runtime.sessions) as session:
            link = manage.link_by_slug(session, slug)
            return (link.company_name, link.redirect_url, link.theme_color) if link is not None else None

    shown = await run_in_threadpool(found)
    if shown is None:
        return _closed_page(request, None)
    name, redirect_url, color = shown
    return _page(
        request, "done.html", company_name=name, redirect_url=redirect_url, theme_slug=slug if color else None
    )


# --- the page's JSON calls ----------------------------------------------------------------------


def _from_page(request: Request) -> None:
    """Refuse a call the page's script did not make (CSRF): its header, and this origin."""
    if request.headers.get(CAPTURE_HEADER) != "1":
        raise ApiError(NOT_FROM_PAGE)
    origin = request.headers.get("origin")
    if origin is not None:
        own = urlsplit(str(request.base_url))
        sent = urlsplit(origin)
        if (sent.scheme, sent.netloc) != (own.scheme, own.netloc):
            raise ApiError(NOT_FROM_PAGE)


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _allowed(runtime: Runtime, action: limits.Action, *, client: str, ref_id: str, visit: str | None) -> None:
    with transaction(runtime.sessions) as session:
        allowed = limits.allow(
            session, runtime.box, action, client=client, ref_id=ref_id, visit=visit, now=utcnow()
        )
    if not allowed:
        raise ApiError(TOO_MANY)


def _steps(wanted: LinkIdType) -> list[str]:
    steps = ["id_number"] if wanted.needs_id_number else []
    if wanted.needs_selfie:
        steps.append("selfie")
    if wanted.needs_document:
        steps.append("document")
    return steps


def _id_number_hint(link: SmileLink, wanted: LinkIdType) -> str | None:
    """The sandbox's test number of the ID type (production shows none)."""
    if link.environment != KeyEnvironment.SANDBOX.value or not wanted.needs_id_number:
        return None
    number = id_number_type(wanted.country, wanted.id_type)
    return number.test_data if number is not None else None


def _start(runtime: Runtime, slug: str, choice: int, client: str) -> tuple[str, int, dict[str, Any]]:
    with transaction(runtime.sessions) as session:
        link = visits.open_link(session, slug, utcnow())
        ref_id = link.ref_id
    _allowed(runtime, limits.Action.VISIT, client=client, ref_id=ref_id, visit=None)
    with transaction(runtime.sessions) as session:
        link = visits.open_link(session, slug, utcnow())
        try:
            issued = visits.start_visit(session, link, choice, utcnow())
        except IndexError:
            raise ApiError(INVALID_VALUE, "Choose one of the ID types listed.") from None
        wanted = visits.choices(link)[choice]
        ttl = max(1, int((issued.expires_at - utcnow()).total_seconds()))
        return (
            issued.token,
            ttl,
            {
                "steps": _steps(wanted),
                "id_type": {
                    "country": wanted.country,
                    "id_type": wanted.id_type,
                    "name": _id_name(wanted),
                    "verification_method": wanted.verification_method.value,
                    "has_back": _has_back(wanted) if wanted.needs_document else False,
                    "test_number": _id_number_hint(link, wanted),
                },
            },
        )


@router.post("/{slug}/start")
async def start(request: Request, runtime: RuntimeDep, slug: str) -> Response:
    """Consent given and an ID type chosen: a new visit (its token in the cookie) and its steps."""
    _from_page(request)
    body = await read_json_object(request, MAX_START_BODY)
    if body.get("consent") is not True:
        raise ApiError(MISSING_PARAMETER, "Agree to the processing of your data to continue.")
    choice = body.get("choice")
    if isinstance(choice, bool) or not isinstance(choice, int):
        raise ApiError(MISSING_PARAMETER, "Choose one of the ID types listed.")
    try:
        token, ttl, answer = await run_in_threadpool(_start, runtime, slug, choice, _client(request))
    except LinkClosed as closed:
        raise ApiError(LINK_CLOSED if closed.state is not None else NOT_FOUND) from None
    response = JSONResponse({"success": True, **answer})
    response.set_cookie(
        VISIT_COOKIE,
        token,
        max_age=ttl,
        path=_base(request),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@dataclass(frozen=True)
class LiveVisit:
    """A live visit whose job is not yet sent: its link (ref id, slug) and its token's hash."""

    ref_id: str
    slug: str
    token_hash: str


def _visit_ref(runtime: Runtime, token: str | None) -> LiveVisit:
    with transaction(runtime.sessions) as session:
        visit = visits.visit_of(session, token, utcnow())
    if visit.submitted:
        raise ApiError(ALREADY_SENT)
    return LiveVisit(visit.link.ref_id, visit.link.slug, visit.token_hash)


async def _visit(request: Request, runtime: Runtime, action: limits.Action) -> LiveVisit:
    """The live visit the request belongs to, once it is within ``action``'s limits (per client,
    per link, per visit)."""
    _from_page(request)
    try:
        visit = await run_in_threadpool(_visit_ref, runtime, request.cookies.get(VISIT_COOKIE))
    except VisitRefused:
        raise ApiError(VISIT_ENDED) from None
    except LinkClosed as closed:
        raise ApiError(LINK_CLOSED if closed.state is not None else NOT_FOUND) from None
    await run_in_threadpool(
        _allowed, runtime, action, client=_client(request), ref_id=visit.ref_id, visit=visit.token_hash
    )
    return visit


async def _file(form: FormData, name: str) -> bytes | None:
    value = form.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, UploadFile):
        raise ApiError(INVALID_VALUE, f"{name} must be a picture.")
    data = await value.read()
    return data or None


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(INVALID_VALUE, f"{name} must be text.")
    return value.strip()


@router.post("/session/check")
async def check(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Quality feedback on one picture (``image``) of kind ``selfie`` or ``document``."""
    await _visit(request, runtime, limits.Action.CHECK)  # a live visit, within its limits
    form = await read_form(request, MAX_CHECK_BODY)
    try:
        kind_text = _text(form, "kind")
        image = await _file(form, "image")
    finally:
        await form.close()  # the parts spooled to temporary files
    try:
        kind = feedback.Kind(kind_text)
    except ValueError:
        raise ApiError(INVALID_VALUE, "kind must be selfie or document.") from None
    if image is None:
        raise ApiError(MISSING_PARAMETER, "Send the picture to check.")
    problems = await run_bounded(
        "capture-check", runtime.settings.upload_check_workers, feedback.check, image, kind
    )
    return {
        "ok": not problems,
        "problems": [{"code": p.code, "message": p.message} for p in problems],
    }


@router.post("/session/submit")
async def submit_visit(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """The visit's pictures and fields: its one job. The answer says it was sent, nothing more."""
    visit = await _visit(request, runtime, limits.Action.SUBMIT)
    form = await read_form(request, runtime.settings.max_multipart_body)
    try:
        capture = await _capture(form)
    finally:
        await form.close()  # the parts spooled to temporary files
    token = request.cookies.get(VISIT_COOKIE) or ""
    try:
        smile_job_id = await run_bounded(
            "upload-check", runtime.settings.upload_check_workers, submit.submit, runtime, token, capture
        )
    except visits.AlreadySubmitted:
        raise ApiError(ALREADY_SENT) from None
    except VisitRefused:
        raise ApiError(VISIT_ENDED) from None
    except LinkClosed as closed:
        raise ApiError(LINK_CLOSED if closed.state is not None else NOT_FOUND) from None
    except IntakeError as error:
        raise ApiError(INVALID_VALUE, error.message) from error
    log.info("link visit submitted", extra={"smile_job_id": smile_job_id, "ref_id": visit.ref_id})
    return {"success": True, "next": f"{_base(request)}/{visit.slug}/done"}


async def _capture(form: FormData) -> submit.Capture:
    frames = form.getlist("liveness")
    if len(frames) > LIVENESS_FRAMES:
        raise ApiError(INVALID_VALUE, f"At most {LIVENESS_FRAMES} liveness pictures.")
    liveness: list[bytes] = []
    for frame in frames:
        if not isinstance(frame, UploadFile):
            raise ApiError(INVALID_VALUE, "liveness must be pictures.")
        liveness.append(await frame.read())
    return submit.Capture(
        selfie=await _file(form, "selfie"),
        liveness=[frame for frame in liveness if frame],
        id_front=await _file(form, "id_front"),
        id_back=await _file(form, "id_back"),
        id_number=_text(form, "id_number"),
        person={name: _text(form, name) for name in submit.PERSON_FIELDS},
    )
