"""openkyc's Postman collection (v2.1), built here and served at ``GET /docs/postman.json``.

Smile ID offers its partners a Postman collection: a folder per product holding the requests of
one job in the order they run (optional ones named ``OPT ...``), the partner's ``partner_id``,
``api_key`` and ``callback_url`` as collection variables, base URLs for sandbox and production,
and scripts that compute ``timestamp`` and ``signature`` so nobody types them. This is openkyc's
own, in that shape, with ``pm.test`` checks on every request so that newman can run it as a test
(tests/e2e/test_postman_collection.py does, against a fresh server).

It is built in Python rather than kept as a JSON file so that each script (signing, the zip
upload, job_status polling) has one home however many requests use it, and so that the served
copy carries the server's own base URL. openkyc serves sandbox and production at one address
(the key that signs a request chooses its environment), so both base URLs are that address.

Uploads: Postman sends a script-built body as UTF-8 text, so a script cannot send arbitrary
bytes. The job zip is therefore built with every byte below 0x80: one stored (uncompressed)
``info.json`` whose images are base64 text inside it, as the SDKs' base64 images are, padded
with trailing JSON whitespace until its CRC-32, size and directory offset contain no high byte.

The "V3 API" folder runs Smile ID's V3 API the way its SDKs do: a session token from
``partner_id`` and ``api_key`` (``POST /v3/token``), a multipart job (``POST /v3/enhanced_kyc``)
for a V3 sandbox identity, and ``GET /v3/status`` until the job is final. Its request and answer
schemas are the official spec's, served at ``/docs`` (:mod:`openkyc.v3.contract`).
"""

from __future__ import annotations

import json
import struct
import uuid
import zlib
from base64 import b64encode
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from openkyc import __version__
from openkyc.job_types import JobType
from openkyc.webdeps import RuntimeDep, public_base_url

router = APIRouter(tags=["docs"])

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
# The base URL every request but the zip upload (which goes wherever prep_upload said) starts with.
BASE_URL = "{{base_url}}"
UPLOAD_URL = "{{upload_url}}"
# Job status is asked again, a second apart, until the job is complete (in a collection run).
STATUS_POLLS = 90
# Stable item ids (setNextRequest names a request by id; names repeat across folders).
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://openkyc/postman-collection")


@router.get("/docs/postman.json", summary="Postman collection (v2.1) for this server")
async def postman_collection(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """The collection, its base URLs set to this server's public address (or the request's own)."""
    return JSONResponse(
        collection(public_base_url(request, runtime)),
        headers={"Content-Disposition": 'inline; filename="openkyc.postman_collection.json"'},
    )


def collection(base_url: str) -> dict[str, Any]:
    """The whole collection for a server reached at ``base_url`` (no trailing slash)."""
    return {
        "info": {
            "_postman_id": str(uuid.uuid5(_ID_NAMESPACE, "collection")),
            "name": "openkyc Product Endpoints",
            "description": _DESCRIPTION,
            "schema": SCHEMA,
            "version": __version__,
        },
        "item": _folders(),
        "event": [_event("prerequest", _SIGN), _event("test", _CHECK_RESPONSE_SIGNATURE)],
        "variable": _variables(base_url.rstrip("/")),
    }


_DESCRIPTION = """\
Requests for every openkyc product, one folder per product, in the order a job runs. Requests \
whose name starts with OPT are optional.

Set the collection variables `partner_id`, `api_key` (the sandbox key, or the production key \
with `base_url` set to `{{production_url}}`) and, for the asynchronous requests, `callback_url`. \
`timestamp` and `signature` are computed by the collection's pre-request script before every \
request: base64(HMAC-SHA256(api_key, timestamp + partner_id + "sid_request")).

openkyc serves sandbox and production at one address; the key that signs a request decides its \
environment. In the sandbox, ID numbers are the test numbers of GET /v1/services (final digit 0: a \
record, 1: no record, 2: an invalid number, 3: the authority unavailable) and \
`partner_params.sandbox_result` "0"/"1"/"2" forces approve / reject / provisional.

Upload requests build the job zip themselves from `selfie_image` and `id_card_image` (base64 \
JPEG or PNG; the defaults are plain grey images, which only a forced sandbox result approves). \
Run a folder with the Collection Runner (or newman) and Job Status is asked again until the job \
is complete; sent by hand, send it again until `job_complete` is true.

The V3 API folder runs Smile ID's V3 API: V3 Token exchanges `partner_id` and `api_key` for a \
session token (`v3_token`) that the other V3 requests send as `SmileID-Token`; no signature. \
Their request and answer schemas are at `/docs`."""


def _variables(base_url: str) -> list[dict[str, Any]]:
    def variable(key: str, value: str, description: str) -> dict[str, Any]:
        return {"key": key, "value": value, "type": "string", "description": description}

    return [
        variable("base_url", "{{sandbox_url}}", "{{sandbox_url}} or {{production_url}}"),
        variable("sandbox_url", base_url, "This openkyc server (sandbox keys)"),
        variable("production_url", base_url, "This openkyc server (production keys)"),
        variable("partner_id", "", "Your partner id (openkyc partners list)"),
        variable("api_key", "", "The API key of the environment you test (openkyc keys list)"),
        variable("callback_url", "", "Where results of asynchronous requests are POSTed"),
        variable("timestamp", "", "Set by the collection's pre-request script"),
        variable("signature", "", "Set by the collection's pre-request script"),
        variable("selfie_image", _SAMPLE_SELFIE, "Base64 JPEG or PNG sent as the selfie"),
        variable("id_card_image", _SAMPLE_ID_CARD, "Base64 JPEG or PNG sent as the ID card's front"),
        variable("user_id", "", "Set by each folder's first request"),
        variable("job_id", "", "Set by each folder's first request"),
        variable("upload_url", "", "Set by Request Upload URL"),
        variable("smile_job_id", "", "Set by Request Upload URL and the synchronous requests"),
        variable("status_polls", "0", "How many times Job Status has asked again"),
        variable("link_ref_id", "", "Set by Create Smile Link"),
        variable("v3_token", "", "Set by V3 Token: the SmileID-Token of the V3 requests"),
        variable("v3_job_id", "", "Set by V3 Enhanced KYC: the job V3 Job Status reads"),
    ]


def _grey_png(width: int, height: int, level: int) -> str:
    """A plain grey PNG, base64: a sandbox sample image that is nobody's face or document."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([level]) * width for _ in range(height))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )
    return b64encode(png).decode("ascii")


_SAMPLE_SELFIE = _grey_png(480, 640, 128)
_SAMPLE_ID_CARD = _grey_png(856, 540, 200)


# --- Scripts ---------------------------------------------------------------------------------

_SIGN = """\
// Every request is signed as Smile ID's API signs it (openkyc verifies the same formula):
// signature = base64(HMAC-SHA256(api_key, timestamp + partner_id + "sid_request")).
const cryptoJs = require("crypto-js");
const partnerId = String(pm.variables.get("partner_id") || "");
const apiKey = String(pm.variables.get("api_key") || "");
const timestamp = new Date().toISOString();
const signature = cryptoJs.enc.Base64.stringify(
  cryptoJs.HmacSHA256(timestamp + partnerId + "sid_request", apiKey)
);
pm.variables.set("timestamp", timestamp);
pm.variables.set("signature", signature);
pm.collectionVariables.set("timestamp", timestamp);
pm.collectionVariables.set("signature", signature);
"""

_CHECK_RESPONSE_SIGNATURE = """\
// openkyc signs job_status answers and synchronous results with a fresh timestamp: check it.
// V3 answers are not signed (a V3 callback is, in its headers): nothing to check there.
const cryptoJs = require("crypto-js");
const v3 = pm.request.url.getPath().indexOf("/v3/") === 0;
let answer = null;
try { answer = pm.response.json(); } catch (e) { answer = null; }
if (!v3 && answer && typeof answer.timestamp === "string" && typeof answer.signature === "string") {
  pm.test("the answer is signed with your key", function () {
    const expected = cryptoJs.enc.Base64.stringify(cryptoJs.HmacSHA256(
      answer.timestamp + String(pm.variables.get("partner_id")) + "sid_request",
      String(pm.variables.get("api_key"))
    ));
    pm.expect(answer.signature).to.eql(expected);
  });
}
"""

_NEW_JOB = """\
// A new user_id and job_id for this folder's job.
pm.collectionVariables.set("user_id", "user-" + pm.variables.replaceIn("{{$guid}}"));
pm.collectionVariables.set("job_id", "job-" + pm.variables.replaceIn("{{$guid}}"));
pm.collectionVariables.set("status_polls", "0");
"""

_NEEDS_CALLBACK = """\
// Asynchronous: the result goes to callback_url. Without one this request is skipped.
if (!pm.variables.get("callback_url")) {
  console.log("callback_url is not set: " + pm.info.requestName + " skipped");
  pm.execution.skipRequest();
}
"""

_PREP_UPLOAD_TESTS = """\
pm.test("status 200", function () { pm.response.to.have.status(200); });
const body = pm.response.json();
pm.test("the upload is prepared (code 2202)", function () {
  pm.expect(body.code).to.eql("2202");
  pm.expect(body.upload_url).to.be.a("string").and.not.empty;
  pm.expect(body.smile_job_id).to.be.a("string").and.not.empty;
});
pm.collectionVariables.set("upload_url", body.upload_url);
pm.collectionVariables.set("smile_job_id", body.smile_job_id);
pm.collectionVariables.set("status_polls", "0");
"""

# Builds info.json from the request's spec and sets it, zipped, as the raw body.
_BUILD_ZIP = """\
function text(name) { return String(pm.variables.get(name) || ""); }
const partnerParams = Object.assign(
  { user_id: text("user_id"), job_id: text("job_id"), job_type: spec.job_type },
  spec.partner_params
);
const misc = {
  retry: "false",
  partner_params: partnerParams,
  timestamp: text("timestamp"),
  signature: text("signature"),
  file_name: "job.zip",
  smile_client_id: text("partner_id")
};
if (text("callback_url")) { misc.callback_url = text("callback_url"); }
const info = {
  package_information: {
    apiVersion: { buildNumber: 0, majorVersion: 2, minorVersion: 0 },
    language: "postman"
  },
  misc_information: misc,
  id_info: spec.id_info,
  images: spec.images.map(function (image) {
    return { image_type_id: image[0], image: text(image[1]), file_name: "" };
  })
};

// Postman sends a script's body as UTF-8 text: every byte of the zip must be below 0x80, or it
// would be sent as two. So: one stored info.json of ASCII text (non-ASCII characters escaped),
// padded with JSON whitespace until its CRC-32, its size and the directory's offset have no byte
// of 0x80 or more. Every other field of the zip is a small constant.
const json = JSON.stringify(info).replace(/[\\u0080-\\uffff]/g, function (c) {
  return "\\\\u" + ("0000" + c.charCodeAt(0).toString(16)).slice(-4);
});
const table = [];
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) { c = (c & 1) ? (0xEDB88320 ^ (c >>> 1)) : (c >>> 1); }
  table.push(c >>> 0);
}
let crc = 0xFFFFFFFF;
for (let i = 0; i < json.length; i++) {
  crc = (table[(crc ^ json.charCodeAt(i)) & 0xFF] ^ (crc >>> 8)) >>> 0;
}
const name = "info.json";
function ascii(n) { return (n & 0x80808080) === 0; }
let padding = 0;
while (!(ascii((crc ^ 0xFFFFFFFF) >>> 0) && ascii(json.length + padding)
         && ascii(30 + name.length + json.length + padding))) {
  crc = (table[(crc ^ 0x20) & 0xFF] ^ (crc >>> 8)) >>> 0;
  padding++;
}
const finalCrc = (crc ^ 0xFFFFFFFF) >>> 0;
const size = json.length + padding;
function u16(n) { return String.fromCharCode(n & 0xFF, (n >>> 8) & 0xFF); }
function u32(n) { return u16(n & 0xFFFF) + u16((n >>> 16) & 0xFFFF); }
const dosDate = u16(0x21);  // 1980-01-01, the format's first day; the time is 00:00
const fileFields = u16(20) + u16(0) + u16(0) + u16(0) + dosDate + u32(finalCrc) + u32(size) + u32(size)
  + u16(name.length) + u16(0);
const local = "PK\\u0003\\u0004" + fileFields + name + json + " ".repeat(padding);
const central = "PK\\u0001\\u0002" + u16(20) + fileFields + u16(0) + u16(0) + u16(0) + u32(0) + u32(0) + name;
const end = "PK\\u0005\\u0006" + u16(0) + u16(0) + u16(1) + u16(1) + u32(central.length)
  + u32(local.length) + u16(0);
pm.request.body.update({ mode: "raw", raw: local + central + end });
"""

_UPLOAD_TESTS = """\
pm.test("the zip is accepted (status 200)", function () { pm.response.to.have.status(200); });
"""

# Asks again (in a collection run) while the job is not complete, then checks the result.
_POLL_STATUS = """\
pm.test("status 200", function () { pm.response.to.have.status(200); });
const body = pm.response.json();
const polls = Number(pm.collectionVariables.get("status_polls") || 0);
if (pm.response.code === 200 && body.job_complete !== true && polls < STATUS_POLLS) {
  pm.collectionVariables.set("status_polls", String(polls + 1));
  pm.execution.setNextRequest(pm.info.requestId);
  setTimeout(function () {}, 1000);
} else {
  pm.collectionVariables.set("status_polls", "0");
  pm.test("the job is complete", function () { pm.expect(body.job_complete).to.eql(true); });
  pm.test("the job's result", function () {
    if (expected.job_success === null) {
      pm.expect(body.job_success).to.be.a("boolean");
    } else {
      pm.expect(body.job_success).to.eql(expected.job_success);
    }
    pm.expect(expected.result_codes).to.include(body.result.ResultCode);
    pm.expect(body.result.PartnerParams.job_id).to.eql(pm.variables.get("job_id"));
    Object.keys(expected.actions || {}).forEach(function (action) {
      pm.expect(body.result.Actions[action], action).to.eql(expected.actions[action]);
    });
  });
}
"""


# --- Folders ---------------------------------------------------------------------------------


def _folders() -> list[dict[str, Any]]:
    return [
        _smart_selfie_registration(),
        _biometric_kyc(),
        _document_verification(),
        _enhanced_kyc(),
        _basic_kyc(),
        _business_verification(),
        _aml(),
        _smile_links(),
        _utilities(),
        _v3(),
    ]


def _folder(name: str, description: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "description": description, "item": items}


def _smart_selfie_registration() -> dict[str, Any]:
    folder = "SmartSelfie™ Registration"
    job_type = JobType.SMART_SELFIE_REGISTRATION
    return _folder(
        folder,
        "Registers a user's selfie (job_type 4): prepare the upload, upload the zip, read the result.",
        _upload_job(
            folder,
            job_type,
            images=[(2, "selfie_image")],
            expected={
                "job_success": True,
                "result_codes": ["0840"],
                "actions": {"Register_Selfie": "Approved"},
            },
            zip_name="Upload Registration ZIP File",
        ),
    )


def _biometric_kyc() -> dict[str, Any]:
    folder = "Biometric KYC"
    return _folder(
        folder,
        "Looks the ID number up and compares the selfie with the holder's photo (job_type 1). The "
        "sandbox's test number ending in 0 has a record.",
        _upload_job(
            folder,
            JobType.BIOMETRIC_KYC,
            images=[(2, "selfie_image")],
            id_info={**_ID_FIELDS, "entered": True},
            expected={
                "job_success": True,
                "result_codes": ["0810"],
                "actions": {"Verify_ID_Number": "Verified", "Register_Selfie": "Approved"},
            },
        ),
    )


def _document_verification() -> dict[str, Any]:
    folder = "Document Verification"
    return _folder(
        folder,
        "Checks an ID document and compares its portrait with the selfie (job_type 6). In the sandbox "
        "the document's authenticity is not judged.",
        _upload_job(
            folder,
            JobType.DOCUMENT_VERIFICATION,
            images=[(2, "selfie_image"), (3, "id_card_image")],
            id_info={"country": "NG", "id_type": "PASSPORT"},
            expected={
                "job_success": True,
                "result_codes": ["0810"],
                "actions": {"Verify_Document": "Passed", "Document_Check": "Passed"},
            },
        ),
    )


def _upload_job(
    folder: str,
    job_type: JobType,
    *,
    images: list[tuple[int, str]],
    expected: dict[str, Any],
    id_info: dict[str, Any] | None = None,
    zip_name: str = "Upload ZIP File",
) -> list[dict[str, Any]]:
    """Request Upload URL → Upload ZIP File → OPT Job Status, as the SDKs run a v1 job."""
    partner_params = {
        "user_id": "{{user_id}}",
        "job_id": "{{job_id}}",
        "job_type": int(job_type),
        "sandbox_result": "0",
    }
    spec = {
        "job_type": int(job_type),
        "partner_params": {"sandbox_result": "0"},
        "id_info": id_info or {},
        "images": [list(image) for image in images],
    }
    prep = _item(
        folder,
        "Request Upload URL",
        "POST",
        "/v1/upload",
        body={
            "source_sdk": "rest_api",
            "source_sdk_version": "1.0.0",
            "file_name": "job.zip",
            "smile_client_id": "{{partner_id}}",
            "signature": "{{signature}}",
            "timestamp": "{{timestamp}}",
            "partner_params": partner_params,
            "model_parameters": {},
            "callback_url": "{{callback_url}}",
        },
        prerequest=_NEW_JOB,
        tests=_PREP_UPLOAD_TESTS,
        description="Creates the job and answers the URL its zip is PUT to (code 2202). "
        '`sandbox_result` "0" forces approval in the sandbox; leave it out to have the images judged.',
    )
    upload = _item(
        folder,
        zip_name,
        "PUT",
        UPLOAD_URL,
        raw="",
        content_type="application/zip",
        prerequest=f"const spec = {json.dumps(spec)};\n{_BUILD_ZIP}",
        tests=_UPLOAD_TESTS,
        description="PUTs the job's zip (info.json with the images as base64) to the upload URL; "
        "the pre-request script builds it from `selfie_image` and `id_card_image`.",
    )
    return [prep, upload, _job_status_item(folder, expected)]


def _job_status_item(folder: str, expected: dict[str, Any]) -> dict[str, Any]:
    """``expected``: ``result_codes``, ``job_success`` (a boolean, or None for either) and
    ``actions`` (Actions that must have these values)."""
    tests = f"const expected = {json.dumps(expected)};\n" + _POLL_STATUS.replace(
        "STATUS_POLLS", str(STATUS_POLLS)
    )
    return _item(
        folder,
        "OPT Job Status",
        "POST",
        "/v1/job_status",
        body={
            "partner_id": "{{partner_id}}",
            "timestamp": "{{timestamp}}",
            "signature": "{{signature}}",
            "user_id": "{{user_id}}",
            "job_id": "{{job_id}}",
            "image_links": False,
            "history": False,
        },
        tests=tests,
        description="The job's state and result, signed. You can ask for any earlier job's too.",
    )


# The sandbox's record for its test numbers ending in 0 (authorities/sandbox.py).
_ID_FIELDS = {
    "country": "NG",
    "id_type": "NIN",
    "id_number": "00000000000",
    "first_name": "Joe",
    "middle_name": "Leo",
    "last_name": "Doe",
    "dob": "1990-01-01",
    "gender": "M",
}


def _signed(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "partner_id": "{{partner_id}}",
        "timestamp": "{{timestamp}}",
        "signature": "{{signature}}",
        **fields,
    }


def _status_ok(extra: str) -> str:
    return (
        'pm.test("status 200", function () { pm.response.to.have.status(200); });\n'
        "const body = pm.response.json();\n" + extra
    )


_ASYNC_ACCEPTED = _status_ok(
    'pm.test("accepted: the result goes to callback_url", function () '
    "{ pm.expect(body.success).to.eql(true); });\n"
)


def _sync_result_tests(result_type: str, result_code: str, extra: str = "") -> str:
    return _status_ok(
        'pm.test("the result", function () {\n'
        f"  pm.expect(body.ResultType).to.eql({json.dumps(result_type)});\n"
        f"  pm.expect(body.ResultCode).to.eql({json.dumps(result_code)});\n"
        '  pm.expect(body.PartnerParams.job_id).to.eql(pm.variables.get("job_id"));\n'
        f"{extra}"
        "});\n"
        'pm.collectionVariables.set("smile_job_id", body.SmileJobID);\n'
    )


def _lookup_folder(
    folder: str,
    description: str,
    *,
    path: str,
    async_path: str,
    job_type: JobType,
    fields: dict[str, Any],
    tests: str,
    expected_status: dict[str, Any],
) -> dict[str, Any]:
    def body(asynchronous: bool) -> dict[str, Any]:
        # The async job has ids of its own: Job Status below reads the synchronous one.
        ids = ("user-{{$guid}}", "job-{{$guid}}") if asynchronous else ("{{user_id}}", "{{job_id}}")
        partner_params = {"user_id": ids[0], "job_id": ids[1], "job_type": int(job_type)}
        extra = {"callback_url": "{{callback_url}}"} if asynchronous else {}
        return _signed(
            {
                "partner_params": partner_params,
                "source_sdk": "rest_api",
                "source_sdk_version": "1.0.0",
                **fields,
                **extra,
            }
        )

    sync = _item(folder, f"Run {folder}", "POST", path, body=body(False), prerequest=_NEW_JOB, tests=tests)
    asynchronous = _item(
        folder,
        f"OPT Run {folder} (Async)",
        "POST",
        async_path,
        body=body(True),
        prerequest=_NEEDS_CALLBACK,
        tests=_ASYNC_ACCEPTED,
        description="The same job; the signed result is POSTed to `callback_url`.",
    )
    status = _job_status_item(folder, expected_status)
    return _folder(folder, description, [sync, asynchronous, status])


def _enhanced_kyc() -> dict[str, Any]:
    return _lookup_folder(
        "Enhanced KYC",
        "Looks an ID number up and returns the holder's record (job_type 5). Sandbox: NG NIN "
        "00000000000 has a record; ending in 1 none, 2 invalid, 3 authority unavailable.",
        path="/v1/id_verification",
        async_path="/v1/async_id_verification",
        job_type=JobType.ENHANCED_KYC,
        fields={"country": "NG", "id_type": "NIN", "id_number": "00000000000"},
        tests=_sync_result_tests(
            "ID Verification",
            "1012",
            '  pm.expect(body.Actions.Verify_ID_Number).to.eql("Verified");\n'
            '  pm.expect(body.FullName).to.be.a("string").and.not.empty;\n',
        ),
        expected_status={
            "job_success": True,
            "result_codes": ["1012"],
            "actions": {"Verify_ID_Number": "Verified"},
        },
    )


def _basic_kyc() -> dict[str, Any]:
    return _lookup_folder(
        "Basic KYC",
        "Matches the details you send against the ID record, field by field (job_type 5, /v2/verify). "
        'The sandbox record is "Joe Leo Doe", born 1990-01-01.',
        path="/v2/verify",
        async_path="/v2/verify_async",
        job_type=JobType.ENHANCED_KYC,
        fields=_ID_FIELDS,
        tests=_sync_result_tests(
            "ID Verification",
            "1020",
            '  pm.expect(body.Actions.Verify_ID_Number).to.eql("Verified");\n'
            '  pm.expect(body.Actions.Names).to.eql("Exact Match");\n',
        ),
        expected_status={"job_success": True, "result_codes": ["1020"], "actions": {"Names": "Exact Match"}},
    )


def _business_verification() -> dict[str, Any]:
    return _lookup_folder(
        "Business Verification",
        "Looks a business up in its registry (job_type 7). Sandbox: NG BUSINESS_REGISTRATION 0000000 "
        "is a sample company.",
        path="/v1/business_verification",
        async_path="/v1/async_business_verification",
        job_type=JobType.BUSINESS_VERIFICATION,
        fields={
            "country": "NG",
            "id_type": "BUSINESS_REGISTRATION",
            "id_number": "0000000",
            "business_type": "co",
        },
        tests=_sync_result_tests(
            "Business Verification",
            "1012",
            '  pm.expect(body.company_information.legal_name).to.be.a("string").and.not.empty;\n',
        ),
        expected_status={"job_success": True, "result_codes": ["1012"]},
    )


def _aml() -> dict[str, Any]:
    folder = "AML Check"
    check = _item(
        folder,
        "Run AML Check",
        "POST",
        "/v1/aml",
        body=_signed(
            {
                "job_type": int(JobType.AML),
                "user_id": "{{user_id}}",
                "job_id": "{{job_id}}",
                "full_name": "John Leo Doe",
                "birth_year": "1990",
                "countries": ["NG"],
                "search_existing_user": False,
                "strict_match": True,
            }
        ),
        prerequest=_NEW_JOB,
        tests=_status_ok(
            'pm.test("screened against the loaded lists", function () {\n'
            '  pm.expect(["1030", "1031"]).to.include(body.ResultCode);\n'
            "  pm.expect(body.no_of_persons_found).to.eql(body.people.length);\n"
            '  pm.expect(body.PartnerParams.job_id).to.eql(pm.variables.get("job_id"));\n'
            "});\n"
        ),
        description="1030: found on a sanctions or PEP list loaded with `openkyc lists`; 1031: not.",
    )
    # job_success is true only when someone was found (1030).
    status = _job_status_item(folder, {"job_success": None, "result_codes": ["1030", "1031"]})
    return _folder(folder, "Screens a person against sanctions and PEP lists (job_type 10).", [check, status])


def _smile_links() -> dict[str, Any]:
    folder = "Smile Links"
    create = _item(
        folder,
        "Create Smile Link",
        "POST",
        "/v1/smile_links",
        body=_signed(
            {
                "name": "Postman onboarding",
                "company_name": "Postman Example Ltd",
                "id_types": [
                    {"country": "NG", "id_type": "PASSPORT", "verification_method": "doc_verification"},
                    {"country": "NG", "id_type": "NIN", "verification_method": "biometric_kyc"},
                ],
                "callback_url": "{{callback_url}}",
                "data_privacy_policy_url": "https://example.com/privacy",
                "is_single_use": False,
                "partner_params": {"campaign": "postman"},
            }
        ),
        tests=_status_ok(
            'pm.test("a link and its ref_id", function () {\n'
            "  pm.expect(body.success).to.eql(true);\n"
            '  pm.expect(body.link).to.be.a("string").and.include("/verify/");\n'
            '  pm.expect(body.ref_id).to.be.a("string").and.not.empty;\n'
            "});\n"
            'pm.collectionVariables.set("link_ref_id", body.ref_id);\n'
        ),
        description="A verification link to send your customers to, in the environment of the key "
        "that signs. `logo_url` (optional): an http(s) URL of a PNG or JPEG, read once, or a "
        "data:image/png;base64 URL.",
    )
    get = _item(
        folder,
        "OPT Get Smile Link",
        "POST",
        "/v1/smile_links/{{link_ref_id}}",
        body=_signed({}),
        tests=_status_ok(
            'pm.test("the link with its jobs\' figures", function () {\n'
            '  pm.expect(body.ref_id).to.eql(pm.variables.get("link_ref_id"));\n'
            '  pm.expect(body.status).to.eql("active");\n'
            '  pm.expect(body.total_jobs).to.be.a("number");\n'
            '  pm.expect(body.successful_jobs).to.be.a("number");\n'
            '  pm.expect(body.failed_jobs).to.be.a("number");\n'
            "});\n"
        ),
        description="The link as it is now, with how many jobs were submitted through it and how "
        "they ended. GET with the SmileID-* signature headers answers the same.",
    )
    return _folder(
        folder,
        "Verification links: a hosted page that takes your customer through the checks you chose "
        "(document, selfie, ID number), each job's result going to callback_url.",
        [create, get],
    )


def _utilities() -> dict[str, Any]:
    folder = "Utilities"
    services = _item(
        folder,
        "OPT Services",
        "GET",
        "/v1/services",
        tests=_status_ok(
            'pm.test("ID types per country, with the NG NIN", function () {\n'
            '  pm.expect(body.id_types.NG.NIN).to.include("id_number");\n'
            '  pm.expect(body.hosted_web).to.be.an("object");\n'
            "});\n"
        ),
        description="Supported ID types per country and their required fields; no signature.",
    )
    documents = _item(
        folder,
        "OPT Valid Documents",
        "POST",
        "/v1/valid_documents",
        body=_signed({}),
        tests=_status_ok(
            'pm.test("documents per country", function () {\n'
            '  pm.expect(body.valid_documents).to.be.an("array").and.not.empty;\n'
            "});\n"
        ),
        description="The documents Document Verification accepts, per country.",
    )
    token = _item(
        folder,
        "OPT Web Token",
        "POST",
        "/v1/token",
        body=_signed(
            {
                "user_id": "user-{{$guid}}",
                "job_id": "job-{{$guid}}",
                "product": "biometric_kyc",
                "callback_url": "{{callback_url}}",
            }
        ),
        tests=_status_ok(
            'pm.test("a token", function () {\n'
            "  pm.expect(body.success).to.eql(true);\n"
            '  pm.expect(body.token).to.be.a("string").and.not.empty;\n'
            "});\n"
        ),
        description="A token your end user's browser sends instead of a signature.",
    )
    reset = _item(
        folder,
        "OPT ID Number Rate Limit Reset",
        "POST",
        "/v1/id_number_rate_limit_reset",
        body=_signed({"country": "NG", "id_type": "NIN", "id_number": "00000000000"}),
        tests=_status_ok('pm.test("reset", function () { pm.expect(body.success).to.eql("true"); });\n'),
        description="Clears the per-number rate limit (30 look-ups within 3 days of each other).",
    )
    return _folder(
        folder,
        "Lists and housekeeping: services, documents, web tokens, rate limits.",
        [services, documents, token, reset],
    )


# --- V3 ----------------------------------------------------------------------------------------

# The V3 sandbox identity that clears (products/v3_sandbox.py): a job is matched on its
# user_details, whatever the ID number.
V3_USER_DETAILS = {
    "given_names": "Amina Fatou",
    "last_name": "Clearwater",
    "email": "amina.clearwater@example.com",
}
V3_CONSENT = {
    "granted": True,
    "granted_at": "2025-01-01T00:00:00.000Z",  # the pre-request script sets it to now
    "notice_language": "EN",
    "notice_privacy_policy_url": "https://example.com/privacy",
}
# The job ids the V3 entry endpoints answer (TypeIDs, v3/status.py's STATUS_JOB_ID).
V3_JOB_ID = "^job_[0-9a-hjkmnp-tv-z]{26}$"
_V3_TOKEN_HEADER = ("SmileID-Token", "{{v3_token}}")

_V3_SESSION_TESTS = """\
pm.test("status 200", function () { pm.response.to.have.status(200); });
const body = pm.response.json();
pm.test("a session token", function () { pm.expect(body.token).to.be.a("string").and.not.empty; });
pm.collectionVariables.set("v3_token", body.token);
"""

_V3_ENTRY_PREREQUEST = """\
// consent.granted_at: now. callback_url: sent only when it is an https URL (V3 sends its results
// to https receivers only); in the sandbox a job without one is accepted and read with V3 Job Status.
const form = pm.request.body.formdata;
form.each(function (part) {
  if (part.key === "consent") {
    let consent = null;
    try { consent = JSON.parse(part.value); } catch (e) { consent = null; }
    if (consent && typeof consent === "object") {
      consent.granted_at = new Date().toISOString();
      part.value = JSON.stringify(consent);
    }
  }
  if (part.key === "callback_url") {
    part.disabled = !/^https:\\/\\//i.test(String(pm.variables.get("callback_url") || ""));
  }
});
"""

_V3_ACCEPTED_TESTS = """\
pm.test("status 202", function () { pm.response.to.have.status(202); });
const body = pm.response.json();
pm.test("accepted, with a job_id", function () {
  pm.expect(body.status).to.eql("accepted");
  pm.expect(body.job_id).to.match(new RegExp(V3_JOB_ID));
  pm.expect(body.user_id).to.be.a("string").and.not.empty;
});
pm.collectionVariables.set("v3_job_id", body.job_id);
pm.collectionVariables.set("status_polls", "0");
"""

# Asks again (in a collection run) while the job is processing (202), then expects its status.
_V3_POLL_STATUS = """\
pm.test("status 200, or 202 while processing", function () {
  pm.expect(pm.response.code).to.be.oneOf([200, 202]);
});
const body = pm.response.json();
const polls = Number(pm.collectionVariables.get("status_polls") || 0);
if (body.status === "processing" && polls < STATUS_POLLS) {
  pm.collectionVariables.set("status_polls", String(polls + 1));
  pm.execution.setNextRequest(pm.info.requestId);
  setTimeout(function () {}, 1000);
} else {
  pm.collectionVariables.set("status_polls", "0");
  pm.test("the job is EXPECTED", function () {
    pm.response.to.have.status(200);
    pm.expect(body.status).to.eql("EXPECTED");
    pm.expect(body.job_id).to.eql(pm.variables.get("v3_job_id"));
  });
}
"""


def _v3() -> dict[str, Any]:
    folder = "V3 API"
    token = _item(
        folder,
        "V3 Token",
        "POST",
        "/v3/token",
        headers=[("smileid-partner-id", "{{partner_id}}"), ("smileid-api-key", "{{api_key}}")],
        tests=_V3_SESSION_TESTS,
        description="Exchanges `partner_id` and `api_key` for a session token, kept in `v3_token`. "
        "The key's environment is the token's. A multipart body (`user_id`, `product`, "
        "`partner_params`, `payload`) may scope the token to one user or product.",
    )
    enhanced_kyc = _item(
        folder,
        "V3 Enhanced KYC",
        "POST",
        "/v3/enhanced_kyc",
        headers=[_V3_TOKEN_HEADER],
        formdata=[
            _text_part("country", "NG"),
            _text_part("id_type", "NIN"),
            _text_part("id_number", "12345678901"),
            _json_part("user_details", V3_USER_DETAILS),
            _json_part("consent", V3_CONSENT),
            _text_part("callback_url", "{{callback_url}}"),
        ],
        prerequest=_V3_ENTRY_PREREQUEST,
        tests=_V3_ACCEPTED_TESTS.replace("V3_JOB_ID", json.dumps(V3_JOB_ID)),
        description="Queues an ID number look-up (202; the job's id is kept in `v3_job_id`). In the "
        "sandbox the result follows `user_details`: Amina Fatou Clearwater clears; the other test "
        "identities are in openkyc's docs/v3.md (Sandbox). The pre-request script stamps `consent.granted_at` and sends "
        "`callback_url` only when it is an https URL.",
    )
    status = _item(
        folder,
        "V3 Job Status",
        "GET",
        "/v3/status/{{v3_job_id}}",
        headers=[_V3_TOKEN_HEADER],
        tests=_V3_POLL_STATUS.replace("STATUS_POLLS", str(STATUS_POLLS)).replace("EXPECTED", "clear"),
        description="Where the job is: `processing` (202) until its result is final, then `clear`, "
        "`attention`, `block` or `error` (200). The result itself goes to the callback URL.",
    )
    id_types = _item(
        folder,
        "OPT V3 Supported ID Types",
        "GET",
        "/v3/services/supported_id_types?country=NG",
        tests=_status_ok(
            'pm.test("the ID types of NG, with the NIN", function () {\n'
            '  pm.expect(body.id_types).to.be.an("array").and.not.empty;\n'
            '  body.id_types.forEach(function (entry) { pm.expect(entry.country).to.eql("NG"); });\n'
            '  const nin = body.id_types.find(function (entry) { return entry.type === "NIN"; });\n'
            '  pm.expect(nin.required_fields).to.include("id_number");\n'
            "});\n"
        ),
        description="The ID types the look-ups accept, with their number format; no token.",
    )
    return _folder(
        folder,
        "Smile ID's V3 API: a session token from your `partner_id` and `api_key` (V3 Token), an "
        "Enhanced KYC job sent as multipart/form-data with the `SmileID-Token` header, its status "
        "read until it is final (V3 Job Status), and the supported ID types. The request and "
        "answer schemas of every V3 operation, as Smile ID publishes them, are at `/docs` "
        "(and `/openapi.json`).",
        [token, enhanced_kyc, status, id_types],
    )


def _text_part(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": value, "type": "text"}


def _json_part(key: str, value: dict[str, Any]) -> dict[str, Any]:
    """A multipart field holding JSON, as the V3 endpoints read ``user_details`` and ``consent``."""
    return {"key": key, "value": json.dumps(value), "type": "text", "contentType": "application/json"}


# --- Items -----------------------------------------------------------------------------------


def _event(listen: str, script: str) -> dict[str, Any]:
    return {"listen": listen, "script": {"type": "text/javascript", "exec": script.rstrip("\n").split("\n")}}


def _item(
    folder: str,
    name: str,
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    raw: str | None = None,
    formdata: list[dict[str, Any]] | None = None,
    content_type: str = "application/json",
    headers: list[tuple[str, str]] | None = None,
    prerequest: str = "",
    tests: str,
    description: str = "",
) -> dict[str, Any]:
    """One request: ``path`` is appended to ``{{base_url}}`` unless it is a variable itself.

    A ``formdata`` body is sent as multipart/form-data (Postman sets its Content-Type)."""
    url = path if path.startswith("{{") else BASE_URL + path
    header = [{"key": key, "value": value} for key, value in headers or []]
    request: dict[str, Any] = {
        "method": method,
        "header": header,
        "url": _url(url),
        "description": description,
    }
    if formdata is not None:
        request["body"] = {"mode": "formdata", "formdata": formdata}
    elif body is not None or raw is not None:
        request["header"] = [{"key": "Content-Type", "value": content_type}, *header]
        text = json.dumps(body, indent=2, ensure_ascii=False) if body is not None else (raw or "")
        request["body"] = {"mode": "raw", "raw": text}
        if body is not None:
            request["body"]["options"] = {"raw": {"language": "json"}}
    events = [_event("test", tests)]
    if prerequest:
        events.insert(0, _event("prerequest", prerequest))
    return {
        "id": str(uuid.uuid5(_ID_NAMESPACE, f"{folder}/{name}")),
        "name": name,
        "event": events,
        "request": request,
    }


def _var(name: str) -> str:
    return "{{" + name + "}}"


def _url(raw: str) -> dict[str, Any]:
    """Postman's URL object; ``raw`` is what Postman shows, ``host``, ``path`` and ``query`` what
    newman sends."""
    if raw.startswith(BASE_URL):
        address, _, query = raw[len(BASE_URL) :].partition("?")
        url: dict[str, Any] = {
            "raw": raw,
            "host": [BASE_URL],
            "path": [part for part in address.split("/") if part],
        }
        if query:
            url["query"] = [
                {"key": key, "value": value}
                for key, _, value in (pair.partition("=") for pair in query.split("&"))
            ]
        return url
    return {"raw": raw, "host": [raw]}
