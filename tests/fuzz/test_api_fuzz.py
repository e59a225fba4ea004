"""Property-based fuzzing of a real `openkyc serve` (embedded mode) over HTTP.

Each test sends hypothesis-generated requests to one family of endpoints and holds every answer to
the oracle of :mod:`tests.fuzz.harness` (no 5xx, JSON with a documented code, /healthz answering
within 1 s throughout). Endpoints come from the server's own OpenAPI schema plus the two routes it
hides (the upload PUT and the image links). The schema declares no request bodies (the views read
raw bodies leniently, as the SDKs need), so the bodies come from the strategies in
:mod:`tests.fuzz.strategies`, built on the field names the views read: a schema-driven generator
(schemathesis) would have had nothing to generate from.

Signed and unsigned: most bodies carry a *valid* signature of the server's sandbox partner (body
fields or ``SmileID-*`` headers) so the fuzzing reaches past authentication; the signature test
signs hostile timestamps validly so their parsing is reached too; the management test signs KSig1
requests with a credential issued by ``openkyc keys create-management``.

A last test sends batches of v2 requests at once (real faces among faceless images) so that the
engine's shared models are used from several threads together, as under load.

Bounded for CI: about 2,250 requests in 50 s on two shared cores (OPENKYC_FUZZ_SCALE multiplies
the examples). The terminal summary gives the requests made, the seconds taken, the answers by
status, the /healthz figures and every distinct violation; OPENKYC_FUZZ_REPORT=path also writes
them, with the answers per route and code, as JSON.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openkyc.signing import sign_ksig1
from tests.fuzz.harness import STATS, FuzzTarget, fuzz_settings
from tests.fuzz.strategies import (
    body_for,
    encode,
    header_text,
    images,
    json_values,
    odd_strings,
    partner_params,
    real_images,
    signature_values,
    timestamps,
    zip_uploads,
)

pytestmark = pytest.mark.slow

MANAGEMENT_PREFIX = "/v1/management"
MULTIPART_ROUTES = ("/v2/smart-selfie-enroll", "/v2/smart-selfie-authentication", "/v2/smart-selfie-compare")


# --- Fixtures -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fuzz(request: pytest.FixtureRequest, fuzz_target: FuzzTarget) -> Iterator[FuzzTarget]:
    """Names the test in the figures and times it; the test checks its violations at its end."""
    fuzz_target.client.test = request.node.name
    started = time.monotonic()
    with fuzz_target.probe.watching() as stalls:
        fuzz_target.stalls = stalls
        yield fuzz_target
    STATS.seconds_by_test[request.node.name] = time.monotonic() - started


def assert_clean(target: FuzzTarget) -> None:
    """Fail listing every distinct violation of this test and every /healthz stall during it."""
    found = [v.describe() for v in target.client.violations_of(target.client.test)]
    found += list(target.stalls)
    assert not found, f"{len(found)} distinct violation(s):\n" + "\n".join(found)


@pytest.fixture(scope="module")
def operations(fuzz_target: FuzzTarget) -> list[tuple[str, str]]:
    """(method, path template) of every operation in the server's OpenAPI schema."""
    # Named as the request in flight: a /healthz stall it causes is reported against it.
    STATS.in_flight = "GET /openapi.json (the operations fixture)"
    schema = httpx.get(f"{fuzz_target.server.base_url}/openapi.json", timeout=10).json()
    found = [(method.upper(), path) for path, ops in schema["paths"].items() for method in ops]
    assert len(found) >= 20, found
    return found


@pytest.fixture(scope="module")
def signed_routes(operations: list[tuple[str, str]]) -> list[str]:
    """POST routes taking a JSON body signed with the Smile ID ``signature`` scheme."""
    return sorted(
        path
        for method, path in operations
        if method == "POST" and not path.startswith(MANAGEMENT_PREFIX) and path not in MULTIPART_ROUTES
    )


# --- Signing helpers (independent of the server's code) ---------------------------------------------


def sid_signature(api_key: str, partner_id: str, timestamp: str) -> str:
    message = (timestamp + partner_id + "sid_request").encode("utf-8", "surrogatepass")
    return base64.b64encode(hmac.new(api_key.encode(), message, hashlib.sha256).digest()).decode()


def fresh_credentials(target: FuzzTarget) -> dict[str, str]:
    timestamp = datetime.now(UTC).isoformat()
    return {
        "partner_id": target.partner_id,
        "timestamp": timestamp,
        "signature": sid_signature(target.api_key, target.partner_id, timestamp),
    }


def as_headers(credentials: dict[str, Any]) -> dict[str, bytes]:
    """The credentials as SmileID-* headers (values as latin-1 bytes, odd ones made sendable)."""
    names = {
        "partner_id": "SmileID-Partner-ID",
        "timestamp": "SmileID-Timestamp",
        "signature": "SmileID-Request-Signature",
    }
    return {
        names[key]: _header_bytes(value if isinstance(value, str) else encode(value))
        for key, value in credentials.items()
        if key in names
    }


def _header_bytes(value: str) -> bytes:
    # As a client can send it: UTF-8 (a lone surrogate as its own bytes), without the control
    # characters and surrounding blanks that h11 refuses to write.
    raw = value.encode("utf-8", "surrogatepass")
    return bytes(b for b in raw if b >= 0x20 and b != 0x7F).strip()[:8000]


def json_bytes(body: Any) -> bytes:
    return encode(body).encode("utf-8", "surrogatepass")


def upload_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def prep_upload(target: FuzzTarget, params: dict[str, Any]) -> httpx.Response | None:
    body = {**fresh_credentials(target), "smile_client_id": target.partner_id, "partner_params": params}
    return target.client.send("POST", "/v1/upload", content=json.dumps(body).encode())


def unique_params(job_type: int) -> dict[str, Any]:
    token = secrets.token_hex(5)
    return {"user_id": f"fuzz-user-{token}", "job_id": f"fuzz-job-{token}", "job_type": job_type}


# --- Tests ----------------------------------------------------------------------------------------


def test_unauthenticated_junk_to_every_route(fuzz: FuzzTarget, operations: list[tuple[str, str]]) -> None:
    """Any method, any body (hostile JSON, random bytes, chunked), any content type, no signature."""
    paths = [
        path.replace("{key_id}", "k1").replace("{user_id}", "u1").replace("{action}", "disable")
        for _, path in operations
    ]
    paths += [
        "/v1/uploads/not-a-token",
        "/v1/images/0000000001/selfie",
        "/v1/../v1/upload",
        "/%00",
        "/v1/upload%2F",
    ]
    content_types = st.sampled_from(
        [
            None,
            "application/json",
            "text/plain",
            "multipart/form-data",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded",
            "application/json; charset=utf-16",
        ]
    )
    bodies = st.one_of(json_values().map(json_bytes), st.binary(max_size=4096), st.just(b""))

    @fuzz_settings(400)
    @given(
        method=st.sampled_from(["POST", "POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
        path=st.sampled_from(paths),
        body=bodies,
        content_type=content_types,
        chunked=st.booleans(),
    )
    def run(method: str, path: str, body: bytes, content_type: str | None, chunked: bool) -> None:
        headers = {"Content-Type": content_type} if content_type else {}
        content: Any = iter([body[: len(body) // 2], body[len(body) // 2 :]]) if chunked else body
        fuzz.client.send(
            method,
            path,
            headers=headers,
            content=content,
            describe=f"{content_type} chunked={chunked} body={body[:300]!r}",
        )

    run()
    assert_clean(fuzz)


# Headers a client or a proxy in front sets; uvicorn trusts X-Forwarded-* from loopback, as from a
# proxy on the same host, so hostile values reach the URLs the server builds (upload_url, links).
REQUEST_HEADERS = [
    "Host",
    "X-Forwarded-Proto",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "Forwarded",
    "X-Request-ID",
    "Content-Type",
    "Content-Encoding",
    "Accept",
    "Accept-Encoding",
]
ODD_HEADER_VALUES = ["https", "ftp", "javascript", "evil.example", "[::1]:99999", "a" * 300, "gzip", "utf-16"]


def test_validly_signed_hostile_bodies(fuzz: FuzzTarget, signed_routes: list[str]) -> None:
    """Bodies with a valid signature (in the body or the SmileID-* headers) and hostile fields:
    huge numbers, deep nesting, lone surrogates, NUL, wrong types; sometimes hostile request
    headers (Host, X-Forwarded-*, Content-Encoding) too."""
    header_values = st.one_of(header_text(), st.sampled_from(ODD_HEADER_VALUES))

    @fuzz_settings(450)
    @given(
        data=st.data(),
        in_headers=st.booleans(),
        extra_headers=st.one_of(
            st.just({}), st.dictionaries(st.sampled_from(REQUEST_HEADERS), header_values, max_size=2)
        ),
    )
    def run(data: st.DataObject, in_headers: bool, extra_headers: dict[str, str]) -> None:
        route = data.draw(st.sampled_from(signed_routes), label="route")
        body = data.draw(body_for(route), label="body")
        credentials = fresh_credentials(fuzz)
        if route == "/v1/upload":
            body.setdefault("smile_client_id", fuzz.partner_id)
        if in_headers:
            headers: dict[str, bytes] = as_headers(credentials)
        else:
            body = {**body, **credentials}
            headers = {}
        headers.update({name: value.encode("latin-1") for name, value in extra_headers.items()})
        fuzz.client.send("POST", route, headers=headers, content=json_bytes(body))

    run()
    assert_clean(fuzz)


def test_signature_fields_and_timestamps(fuzz: FuzzTarget, signed_routes: list[str]) -> None:
    """partner_id, timestamp and signature of every type and format, in the body or the headers;
    hostile timestamps are validly signed half the time so that their parsing is reached."""

    @fuzz_settings(330)
    @given(
        route=st.sampled_from(signed_routes),
        partner_id=st.one_of(
            st.none(), st.sampled_from(["0", "1001x", " 1001", "-1"]), odd_strings(), st.integers()
        ),
        timestamp=timestamps(),
        signature=signature_values(),
        sign_validly=st.booleans(),
        keep_partner=st.booleans(),
        in_headers=st.booleans(),
        drop=st.sets(st.sampled_from(["partner_id", "timestamp", "signature"]), max_size=2),
    )
    def run(
        route: str,
        partner_id: Any,
        timestamp: Any,
        signature: Any,
        sign_validly: bool,
        keep_partner: bool,
        in_headers: bool,
        drop: set[str],
    ) -> None:
        pid = fuzz.partner_id if keep_partner else partner_id
        if sign_validly and isinstance(pid, str):
            signed_text = timestamp if isinstance(timestamp, str) else encode(timestamp)
            signature = sid_signature(fuzz.api_key, pid, signed_text)
        credentials = {
            k: v
            for k, v in {"partner_id": pid, "timestamp": timestamp, "signature": signature}.items()
            if k not in drop
        }
        body: dict[str, Any] = {**BASE_FOR_SIGNATURE_TEST, "smile_client_id": fuzz.partner_id}
        if in_headers:
            fuzz.client.send("POST", route, headers=as_headers(credentials), content=json_bytes(body))
        else:
            fuzz.client.send("POST", route, content=json_bytes({**body, **credentials}))

    run()
    assert_clean(fuzz)


BASE_FOR_SIGNATURE_TEST = {
    "user_id": "u-1",
    "job_id": "j-1",
    "partner_params": {"user_id": "u", "job_id": "j", "job_type": 4},
}


V2_PARTS = [
    "selfie_image",
    "liveness_images",
    "comparison_image",
    "comparison_image_type",
    "user_id",
    "partner_params",
    "callback_url",
    "sandbox_result",
    "allow_new_enroll",
    "job_id",
    "extra",
]
V2_HEADERS = [
    "SmileID-Partner-ID",
    "SmileID-Timestamp",
    "SmileID-Request-Signature",
    "SmileID-Source-SDK",
    "SmileID-Source-SDK-Version",
    "smileid-timestamp",
    "Content-Type",
]


@st.composite
def v2_requests(draw: st.DrawFn) -> dict[str, Any]:
    """A v2 request: plausible (valid signature, a selfie, 0 or 4-8 frames, the compare parts, a
    few hostile parts at most) or hostile throughout (any headers, parts, or a raw broken body)."""
    plausible = draw(st.sampled_from([True, True, False]), label="plausible")
    text_values = st.one_of(
        odd_strings(),
        json_values(6).map(encode),
        st.sampled_from(
            ["ID_PHOTO", "PORTRAIT", "DOCUMENT", "true", "false", "1", '"quoted"', '{"user_id": "u"}']
        ),
    )
    hostile_texts = st.dictionaries(st.sampled_from(V2_PARTS), text_values, max_size=6)
    if plausible:
        hostile_texts = st.one_of(
            st.just({}), st.dictionaries(st.sampled_from(V2_PARTS), text_values, max_size=1)
        )
    if plausible:
        token = draw(st.text(alphabet="0123456789abcdef", min_size=8, max_size=8), label="token")
        params = draw(
            st.one_of(st.just({"job_id": f"fuzz-v2-job-{token}"}), partner_params()), label="params"
        )
        texts = {
            "user_id": f"fuzz-v2-{token}",
            "partner_params": encode(params),
            "comparison_image_type": draw(st.sampled_from(["ID_PHOTO", "PORTRAIT", "DOCUMENT"])),
            **draw(hostile_texts, label="hostile parts"),
        }
        return {
            "signed": True,
            "headers": {},
            "selfie": draw(st.one_of(real_images(), real_images(), images()), label="selfie"),
            "liveness": draw(
                st.one_of(st.just([]), st.lists(real_images(), min_size=4, max_size=8)), label="liveness"
            ),
            "comparison": draw(st.one_of(real_images(), images()), label="comparison"),
            "texts": texts,
            "raw_body": None,
        }
    return {
        "signed": draw(st.booleans(), label="signed"),
        "headers": draw(
            st.dictionaries(st.sampled_from(V2_HEADERS), header_text(), max_size=3), label="headers"
        ),
        "selfie": draw(st.one_of(st.none(), images()), label="selfie"),
        "liveness": draw(st.lists(images(), max_size=10), label="liveness"),
        "comparison": draw(st.one_of(st.none(), images()), label="comparison"),
        "texts": draw(hostile_texts, label="parts"),
        "raw_body": draw(
            st.one_of(st.none(), st.binary(max_size=1024), st.sampled_from(BROKEN_MULTIPART)),
            label="raw body",
        ),
    }


@pytest.fixture(scope="module")
def enrolled_user(fuzz_target: FuzzTarget, faces_dir: Path) -> str:
    """A user enrolled with a real face, so that authentication requests reach the comparison."""
    user_id = f"fuzz-enrolled-{secrets.token_hex(4)}"
    selfie = (faces_dir / "ageitgey+face_recognition" / "examples" / "obama-480p.jpg").read_bytes()
    answer = fuzz_target.client.send(
        "POST",
        "/v2/smart-selfie-enroll",
        headers=as_headers(fresh_credentials(fuzz_target)),
        files=[("selfie_image", ("selfie.jpg", selfie, "image/jpeg"))],
        data={"user_id": user_id, "partner_params": json.dumps({"job_id": f"{user_id}-job"})},
    )
    assert answer is not None and answer.status_code == 200, answer and answer.text
    return user_id


def test_v2_multipart_forms(fuzz: FuzzTarget, enrolled_user: str) -> None:
    """The v2 SmartSelfie endpoints: SmileID-* headers (valid or hostile), multipart parts of every
    kind (odd images, hostile partner_params and text), and hand-made broken multipart bodies."""

    @fuzz_settings(200)
    @given(route=st.sampled_from(MULTIPART_ROUTES), request=v2_requests())
    def run(route: str, request: dict[str, Any]) -> None:
        headers: dict[str, bytes] = as_headers(fresh_credentials(fuzz)) if request["signed"] else {}
        headers.update({name: value.encode("latin-1") for name, value in request["headers"].items()})
        described = f"headers={ {k: v[:80] for k, v in headers.items()} } "
        raw_body: bytes | None = request["raw_body"]
        if raw_body is not None:
            headers.setdefault("Content-Type", b"multipart/form-data; boundary=BOUNDARY")
            fuzz.client.send(
                "POST",
                route,
                headers=headers,
                content=raw_body,
                describe=described + f"raw={raw_body[:300]!r}",
            )
            return
        selfie, liveness, comparison = request["selfie"], request["liveness"], request["comparison"]
        files: list[tuple[str, tuple[str, bytes, str]]] = []
        if selfie is not None:
            files.append(("selfie_image", ("selfie.jpg", selfie[1], "image/jpeg")))
        files += [
            ("liveness_images", (f"l{i}.jpg", image, "image/jpeg")) for i, (_, image) in enumerate(liveness)
        ]
        if comparison is not None:
            files.append(("comparison_image", ("id.jpg", comparison[1], "image/jpeg")))
        if not files:
            files.append(("nothing", ("n.txt", b"", "text/plain")))  # httpx sends multipart only with a file
        texts: dict[str, str] = request["texts"]
        if (
            route.endswith("authentication")
            and request["signed"]
            and texts.get("user_id", "").startswith("fuzz-v2-")
        ):
            texts = {**texts, "user_id": enrolled_user}
        data = {k: v.encode("utf-8", "surrogatepass") for k, v in texts.items()}
        headers.pop("Content-Type", None)  # httpx writes the multipart boundary
        described += (
            f"selfie={selfie and selfie[0]} liveness={[d for d, _ in liveness]} "
            f"comparison={comparison and comparison[0]} parts={ {k: v[:80] for k, v in texts.items()} }"
        )
        fuzz.client.send("POST", route, headers=headers, files=files, data=data, describe=described)

    run()
    assert_clean(fuzz)


def test_concurrent_verifications(fuzz: FuzzTarget, faces_dir: Path) -> None:
    """Batches of v2 requests sent at once (a real face among faceless selfies and frames), so that
    the engine's shared models are used from several threads together, as under real load."""
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    face = (examples / "obama-240p.jpg").read_bytes()
    # Another photograph of the same person (the same photo would be refused as identical).
    reference = (examples / "obama2.jpg").read_bytes()

    def send(route: str, selfie: bytes, frames: list[bytes], index: int) -> None:
        token = secrets.token_hex(5)
        files = [("selfie_image", ("selfie.jpg", selfie, "image/jpeg"))]
        files += [("liveness_images", (f"l{i}.jpg", frame, "image/jpeg")) for i, frame in enumerate(frames)]
        files.append(("comparison_image", ("id.jpg", reference, "image/jpeg")))
        data = {
            "user_id": f"fuzz-concurrent-{token}",
            "partner_params": json.dumps({"job_id": f"fuzz-concurrent-{token}"}),
            "comparison_image_type": "ID_PHOTO",
        }
        headers = as_headers(fresh_credentials(fuzz))
        fuzz.client.send(
            "POST", route, headers=headers, files=files, data=data, describe=f"batch member {index}"
        )

    @fuzz_settings(6)
    @given(
        batch=st.lists(
            st.tuples(
                st.sampled_from(["/v2/smart-selfie-enroll", "/v2/smart-selfie-compare"]),
                st.one_of(st.just(face), real_images().map(lambda pair: pair[1])),
                st.one_of(
                    st.just([]), st.lists(real_images().map(lambda pair: pair[1]), min_size=4, max_size=6)
                ),
            ),
            min_size=3,
            max_size=4,
        )
    )
    def run(batch: list[tuple[str, bytes, list[bytes]]]) -> None:
        threads = [
            threading.Thread(target=send, args=(route, selfie, frames, index))
            for index, (route, selfie, frames) in enumerate(batch)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    run()
    assert_clean(fuzz)


BROKEN_MULTIPART = [
    b'--BOUNDARY\r\nContent-Disposition: form-data; name="selfie_image"; filename="s.jpg"\r\n\r\n\xff\xd8\xff',
    b"--BOUNDARY\r\nContent-Disposition: form-data\r\n\r\nx\r\n--BOUNDARY--\r\n",
    b"--BOUNDARY\r\n" + b"X-Header: " + b"a" * 20000 + b"\r\n\r\nx\r\n--BOUNDARY--\r\n",
    b'--BOUNDARY\r\nContent-Disposition: form-data; name="partner_params"\r\n\r\n'
    + b"[" * 50000
    + b"\r\n--BOUNDARY--\r\n",
    b"--BOUNDARY--\r\n",
    b'--WRONG\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--WRONG--\r\n',
    b"".join(b'--BOUNDARY\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % i for i in range(200))
    + b"--BOUNDARY--\r\n",
]


def test_zip_uploads(fuzz: FuzzTarget) -> None:
    """A job prepared with a valid signature, then its upload URL PUT with a hostile zip: corrupt,
    truncated, bombs within and over the limits, hostile info.json, odd images, odd names."""
    job_types = st.sampled_from([4, 4, 6, 6, 1, 11, 2, 5])

    @fuzz_settings(150)
    @given(data=st.data(), job_type=job_types, second_put=st.booleans())
    def run(data: st.DataObject, job_type: int, second_put: bool) -> None:
        params = unique_params(job_type)
        prep = prep_upload(fuzz, params)
        if prep is None or prep.status_code != 200:
            return
        path = upload_path(prep.json()["upload_url"])
        upload = data.draw(zip_uploads(fuzz.partner_id, params), label="zip")
        route = "/v1/uploads/{token}"
        described = f"job_type={job_type} zip: {upload.description} ({len(upload.data)} bytes)"
        fuzz.client.send(
            "PUT", path, route=route, content=upload.data, expect="json_or_empty", describe=described
        )
        if second_put:
            fuzz.client.send(
                "PUT",
                path,
                route=route,
                content=upload.data,
                expect="json_or_empty",
                describe="again: " + described,
            )

    run()
    assert_clean(fuzz)


def test_image_link_values(fuzz: FuzzTarget) -> None:
    """GET /v1/images/{smile_job_id}/{kind}?expires=&sig=: a real link from job_status, then every
    part of it replaced with hostile values (percent-encoded raw bytes too)."""
    link = _real_image_link(fuzz)
    parts = urlsplit(link)
    _, _, _, real_job, real_kind = parts.path.split("/")
    query = dict(pair.split("=", 1) for pair in parts.query.split("&"))
    real_expires, real_sig = query["expires"], query["sig"]

    def pct(value: Any) -> str:
        text = value if isinstance(value, str) else encode(value)
        return quote(text.encode("utf-8", "surrogatepass"), safe="")

    values = st.one_of(
        odd_strings().map(lambda text: text[:2000]),  # httpx refuses URLs over 64 kB
        st.integers(min_value=-(2**80), max_value=2**80).map(str),
        st.sampled_from(["", "1e10", "0x10", " 1", "१२३"]),
    )

    @fuzz_settings(240)
    @given(
        job=st.one_of(st.just(real_job), values),
        kind=st.one_of(
            st.just(real_kind),
            st.sampled_from(["selfie", "id_card", "id_card_back", "liveness_0", "..", "%2e%2e"]),
            values,
        ),
        expires=st.one_of(st.just(real_expires), values, st.none()),
        sig=st.one_of(
            st.just(real_sig), st.just(real_sig[:-1] + "A"), st.just(real_sig + "="), values, st.none()
        ),
        raw_extra=st.sampled_from(["", "&sig=x", "&expires=1", "&%FF=%FE", "&sig=%ED%A0%80", "&expires=%00"]),
    )
    def run(job: str, kind: str, expires: str | None, sig: str | None, raw_extra: str) -> None:
        query_parts = [f"expires={pct(expires)}"] if expires is not None else []
        query_parts += [f"sig={pct(sig)}"] if sig is not None else []
        url = f"/v1/images/{pct(job)}/{pct(kind)}?{'&'.join(query_parts)}{raw_extra}"
        fuzz.client.send(
            "GET", url, route="/v1/images/{smile_job_id}/{kind}", expect="json_or_image", describe=url[:400]
        )

    run()
    assert_clean(fuzz)


def _real_image_link(target: FuzzTarget) -> str:
    """Prepare, upload (a small JPEG as the selfie) and ask job_status for the image links."""
    from tests.fuzz.strategies import _jpeg, _zip, info_json

    params = unique_params(4)
    prep = prep_upload(target, params)
    assert prep is not None and prep.status_code == 200, prep and prep.text
    info = info_json(
        target.partner_id, params, [{"image_type_id": 0, "image": "", "file_name": "selfie.jpg"}], {}
    )
    payload = _zip([("info.json", json.dumps(info).encode()), ("selfie.jpg", _jpeg(64, 64, 3))])
    put = target.client.send(
        "PUT",
        upload_path(prep.json()["upload_url"]),
        route="/v1/uploads/{token}",
        content=payload,
        expect="json_or_empty",
    )
    assert put is not None and put.status_code == 200, put and put.text
    # The worker stores the images when it verifies the job: wait for it (a small JPEG without a
    # face is verified, and refused, in moments once the models are loaded).
    deadline = time.monotonic() + 120
    while True:
        status = target.client.send(
            "POST",
            "/v1/job_status",
            content=json.dumps(
                {
                    **fresh_credentials(target),
                    "user_id": params["user_id"],
                    "job_id": params["job_id"],
                    "image_links": True,
                }
            ).encode(),
        )
        assert status is not None and status.status_code == 200, status and status.text
        if status.json()["job_complete"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    links = status.json().get("image_links", {})
    assert "selfie_image" in links, status.text
    link: str = links["selfie_image"]
    got = target.client.send(
        "GET", upload_path(link), route="/v1/images/{smile_job_id}/{kind}", expect="json_or_image"
    )
    assert got is not None and got.status_code == 200 and got.headers["content-type"].startswith("image/")
    return link


def test_management_api(fuzz: FuzzTarget, operations: list[tuple[str, str]]) -> None:
    """The KSig1 management API: hostile KSig1 headers, and validly signed requests with hostile
    bodies and path values. Key ids are never real ones, so the partner keeps its keys."""
    management = [(m, p) for m, p in operations if p.startswith(MANAGEMENT_PREFIX)]
    key = fuzz.management
    elements_all = ["API-Key", "HTTP-Verb", "URL-Path", "Content-MD5", "Timestamp", "Nonce"]

    @fuzz_settings(220)
    @given(
        operation=st.sampled_from(management),
        path_value=st.one_of(
            st.sampled_from(["k1", "disable", "enable", "delete", "u1"]), odd_strings().map(lambda s: s[:200])
        ),
        body=st.one_of(st.just(b""), json_values().map(json_bytes), st.binary(max_size=256)),
        sign=st.sampled_from(["valid", "valid", "hostile", "none"]),
        extra_elements=st.lists(st.sampled_from([*elements_all, "API-Version", "Bogus", ""]), max_size=3),
        hostile=st.dictionaries(
            st.sampled_from(
                [
                    "Authorization",
                    "X-API-Key",
                    "X-API-Auth-Token",
                    "X-API-Signed-Elements",
                    "X-API-Timestamp",
                    "X-API-Nonce",
                    "X-API-Content-Hash",
                    "X-API-Version",
                ]
            ),
            st.one_of(
                header_text(),
                st.sampled_from(
                    [
                        "KSig1-HMAC-SHA256",
                        "KSig1-HMAC-SHA256 " + "A" * 44,
                        "KSig1-HMAC-SHA256  " + "A" * 44 + "=",
                        "99999999999999999999999",
                        "-1",
                    ]
                ),
            ),
            max_size=4,
        ),
    )
    def run(
        operation: tuple[str, str],
        path_value: str,
        body: bytes,
        sign: str,
        extra_elements: list[str],
        hostile: dict[str, str],
    ) -> None:
        method, template = operation
        path = template
        for name in ("{key_id}", "{user_id}", "{action}"):
            path = path.replace(name, quote(path_value.encode("utf-8", "surrogatepass"), safe="") or "x")
        headers: dict[str, bytes] = {}
        if sign == "valid":
            elements = list(
                dict.fromkeys(
                    ["API-Key", *elements_all[1:], *[e for e in extra_elements if e in elements_all]]
                )
            )
            signed = sign_ksig1(
                key.api_key,
                key.secret_key,
                key.auth_token,
                method=method,
                path_and_query=path,
                body=body,
                elements=elements,
                timestamp=int(time.time()),
            )
            headers = {k: v.encode() for k, v in signed.items()}
        if sign == "hostile" or (sign == "valid" and hostile and extra_elements):
            headers.update({k: v.encode("latin-1") for k, v in hostile.items()})
        fuzz.client.send(
            method,
            path,
            route=template,
            headers=headers,
            content=body,
            describe=f"sign={sign} path={path[:200]} headers={headers} body={body[:200]!r}",
        )

    run()
    assert_clean(fuzz)
