"""``POST /v3/address``: an address checked against the addresses on record for an identifier.

Checked in the spec's order with its messages: the token (401/403; a token scoped to another
product is 403), the multipart body (415/413), ``address`` (1-512 characters), ``country`` (NG or
ZA), the identifier (``id_number`` or ``utility_number``; South Africa takes the ID number,
Nigeria the utility meter with its ``utility_provider`` and ``utility_type``), then the shared
parts (``consent``, ``user_details``, whose names are compared with the record's, the user id,
``partner_params``, ``metadata``, ``callback_url``), and somewhere to send the result (the
request's or token's ``callback_url``, else the partner's default; neither is the spec's 400).

A scoped token's payload may bind ``country`` and ``id_number`` as it does for the other products.
The verification itself and its job are ``jobs.v3_address``'s; the answer is the spec's
``AddressAcceptedResponse`` (HTTP 202), given once the job is stored with its result and callback.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from openkyc.address.base import AddressQuery
from openkyc.db import utcnow
from openkyc.jobs import v3_address
from openkyc.jobs.models import Job
from openkyc.jobs.v3_address import ADDRESS_VERIFICATION, AddressSubmission
from openkyc.partner_input import text_problem
from openkyc.runtime import Runtime
from openkyc.typeid import new as new_typeid
from openkyc.v3 import fields
from openkyc.v3.auth import V3Caller, token_caller
from openkyc.v3.entries import require_callback_destination
from openkyc.v3.errors import V3Error, bad_request, invalid, missing
from openkyc.v3.forms import V3Form, read_form
from openkyc.webdeps import RuntimeDep

router = APIRouter(tags=["V3: address verification"])

ACCEPTED = "accepted"
ACCEPTED_MESSAGE = "Job submitted successfully"
COUNTRIES = ("NG", "ZA")
UTILITY_TYPES = ("PrePaid", "PostPaid")
MAX_ADDRESS = 512
MAX_IDENTIFIER = 256
MAX_UTILITY_PROVIDER = 64
PRODUCT_NOT_ENABLED = "Product not enabled for this partner."


def _bound(caller: V3Caller, form: V3Form, name: str) -> str | None:
    """A text field a scoped token binds (country, id_number), else the body's."""
    value = caller.scope.payload.get(name)
    return value if isinstance(value, str) else form.text(name)


def _text(value: str | None, name: str, limit: int) -> str | None:
    """An optional text part, stripped (None when absent or blank; too long or unstorable: 400)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if len(text) > limit or text_problem(text) is not None:
        raise invalid(name)
    return text


def read_query(caller: V3Caller, form: V3Form) -> AddressQuery:
    """The address, the country and the identifier, with the spec's messages."""
    address = form.text("address")
    if address is None or not address.strip() or len(address.strip()) > MAX_ADDRESS:
        raise missing("address")
    if text_problem(address) is not None:
        raise missing("address")
    country = _bound(caller, form, "country")
    if country is None or not country.strip():
        raise missing("country")
    if country.strip() not in COUNTRIES:
        raise bad_request(f"Field 'country' must be one of {', '.join(COUNTRIES)}.")
    country = country.strip()
    id_number = _text(_bound(caller, form, "id_number"), "id_number", MAX_IDENTIFIER)
    utility_number = _text(form.text("utility_number"), "utility_number", MAX_IDENTIFIER)
    if id_number is None and utility_number is None:
        raise bad_request("Either 'id_number' or 'utility_number' is required.")
    utility_provider = _text(form.text("utility_provider"), "utility_provider", MAX_UTILITY_PROVIDER)
    utility_type = _text(form.text("utility_type"), "utility_type", MAX_IDENTIFIER)
    if utility_type is not None and utility_type not in UTILITY_TYPES:
        raise invalid("utility_type")
    if country == "ZA" and id_number is None:
        raise missing("id_number")
    if country == "NG":
        for name, value in (
            ("utility_number", utility_number),
            ("utility_provider", utility_provider),
            ("utility_type", utility_type),
        ):
            if value is None:
                raise missing(name)
    return AddressQuery(
        country=country,
        address=address.strip(),
        id_number=id_number,
        utility_number=utility_number,
        utility_provider=utility_provider,
        utility_type=utility_type,
    )


def _submit(runtime: Runtime, caller: V3Caller, submission: AddressSubmission) -> Job:
    require_callback_destination(runtime, caller, submission.callback_url)
    return v3_address.submit(runtime, caller.submitter, submission)


@router.post("/v3/address", summary="Submit an address verification", status_code=202)
async def submit_address(request: Request, runtime: RuntimeDep) -> JSONResponse:
    caller = await token_caller(request, runtime)
    if caller.scope.product is not None and caller.scope.product != ADDRESS_VERIFICATION:
        raise V3Error(403, PRODUCT_NOT_ENABLED)
    form = await read_form(request)
    query = read_query(caller, form)
    common = fields.common(form, scope=caller.scope, user_header=request.headers.get("user-id"), now=utcnow())
    record: dict[str, Any] = {
        **common.record(ADDRESS_VERIFICATION),
        **v3_address.request_record(query),
    }
    submission = AddressSubmission(
        job_id=new_typeid("job"),
        user_id=common.user_id,
        query=query,
        given_names=common.user_details["given_names"],
        last_name=common.user_details["last_name"],
        v3_request=record,
        partner_params=common.partner_params,
        callback_url=common.callback_url,
    )
    job = await run_in_threadpool(_submit, runtime, caller, submission)
    return JSONResponse(
        status_code=202,
        content={
            "status": ACCEPTED,
            "message": ACCEPTED_MESSAGE,
            "job_id": job.job_id,
            "user_id": job.user_id,
        },
    )
