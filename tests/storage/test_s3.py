from __future__ import annotations

import hashlib
import hmac
import io
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest
from botocore.exceptions import ClientError

from openkyc.crypto import SecretBox
from openkyc.storage import BlobNotFound, S3BlobStore, UploadTooLarge
from testkit.s3 import REGION, TEST_ENVIRONMENT

from .conftest import BUCKET


def a_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("info.json", '{"package_information": {}}')
    return buffer.getvalue()


def raw_object(store: S3BlobStore, key: str) -> bytes:
    body: bytes = store.client.get_object(Bucket=BUCKET, Key=f"{store.prefix}/{key}")["Body"].read()
    return body


def sigv4_accepts(url: str, method: str, headers: dict[str, str], secret: str, now: datetime) -> bool:
    """Whether S3 would accept this presigned request: SigV4 query auth, recomputed independently.

    moto checks neither presigned signatures nor expiry, so the URL is verified here instead.
    """
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    signature = query.pop("X-Amz-Signature")
    signed = query["X-Amz-SignedHeaders"].split(";")
    issued = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if now > issued + timedelta(seconds=int(query["X-Amz-Expires"])):
        return False
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    canonical = "\n".join(
        [
            method,
            parts.path,
            "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items())),
            "".join(f"{name}:{lowered[name]}\n" for name in signed),
            ";".join(signed),
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = query["X-Amz-Credential"].split("/", 1)[1]
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", query["X-Amz-Date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = f"AWS4{secret}".encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def test_blobs_round_trip_as_ciphertext_in_the_bucket(s3_store: S3BlobStore, box: SecretBox) -> None:
    s3_store.put("jobs/1/selfie", b"\xff\xd8 a selfie")
    assert s3_store.get("jobs/1/selfie") == b"\xff\xd8 a selfie"
    assert s3_store.exists("jobs/1/selfie")
    stored = raw_object(s3_store, "jobs/1/selfie")
    assert b"a selfie" not in stored
    assert box.decrypt(stored) == b"\xff\xd8 a selfie"


def test_missing_and_deleted_blobs(s3_store: S3BlobStore) -> None:
    with pytest.raises(BlobNotFound):
        s3_store.get("jobs/nope")
    assert not s3_store.exists("jobs/nope")
    s3_store.delete("jobs/nope")
    s3_store.put("jobs/a", b"1")
    s3_store.delete("jobs/a")
    assert not s3_store.exists("jobs/a")
    with pytest.raises(BlobNotFound):
        s3_store.get("jobs/a")


def test_keys_are_listed_page_by_page_without_the_store_prefix(s3_client: Any, box: SecretBox) -> None:
    store = S3BlobStore(BUCKET, f"t-{uuid.uuid4().hex}/nested/", box, s3_client, page_size=7)
    expected = sorted(f"jobs/{n:02d}/selfie" for n in range(30))
    for key in expected:
        store.put(key, b"x")
    store.put("users/p/1/selfie", b"x")
    # A neighbour whose prefix merely starts like ours is not ours.
    S3BlobStore(BUCKET, f"{store.prefix}-other", box, s3_client).put("jobs/99/selfie", b"x")
    listings: list[dict[str, Any]] = []
    s3_client.meta.events.register("before-call.s3.ListObjectsV2", lambda **event: listings.append(event))

    assert list(store.keys("jobs/")) == expected
    assert len(listings) == 5  # 30 keys, 7 per page
    assert list(store.keys("jobs/1")) == [key for key in expected if key.startswith("jobs/1")]
    assert list(store.keys()) == [*expected, "users/p/1/selfie"]
    assert list(store.keys("nothing/")) == []


def test_objects_that_are_not_blob_keys_are_not_listed(s3_store: S3BlobStore) -> None:
    s3_store.put("jobs/1/selfie", b"x")
    s3_store.client.put_object(Bucket=BUCKET, Key=f"{s3_store.prefix}/jobs/", Body=b"")  # a console "folder"
    assert list(s3_store.keys()) == ["jobs/1/selfie"]


@pytest.mark.parametrize("key", ["../escape", "/abs", "jobs/../../x", "", ".hidden", "a//b", "a\n", "a b"])
def test_unsafe_keys_are_refused(s3_store: S3BlobStore, key: str) -> None:
    for call in (
        lambda: s3_store.put(key, b"x"),
        lambda: s3_store.get(key),
        lambda: s3_store.exists(key),
        lambda: s3_store.delete(key),
        lambda: s3_store.uploaded_size(key),
        lambda: s3_store.direct_upload_url(key, timedelta(minutes=5)),
    ):
        with pytest.raises(ValueError, match="unsafe"):
            call()
    if key:  # "" is a valid listing prefix: everything
        with pytest.raises(ValueError, match="unsafe"):
            list(s3_store.keys(key))


def test_blobs_and_direct_uploads_do_not_share_keys(s3_store: S3BlobStore) -> None:
    with pytest.raises(ValueError, match="direct-upload namespace"):
        s3_store.put("uploads/job.zip", b"x")
    with pytest.raises(ValueError, match="direct-upload namespace"):
        s3_store.get("uploads/job.zip")
    with pytest.raises(ValueError, match="is not under 'uploads/'"):
        s3_store.direct_upload_url("jobs/job.zip", timedelta(minutes=5))
    with pytest.raises(ValueError, match="is not under 'uploads/'"):
        s3_store.read_upload("jobs/job.zip", 100)


@pytest.mark.parametrize("content_type", ["application/zip", "application/octet-stream", None])
def test_a_partner_puts_a_zip_to_the_presigned_url(s3_store: S3BlobStore, content_type: str | None) -> None:
    key = f"uploads/{uuid.uuid4().hex}.zip"
    assert s3_store.uploaded_size(key) is None
    url = s3_store.direct_upload_url(key, timedelta(hours=1))
    assert url is not None
    payload = a_zip()
    headers = {"Content-Type": content_type} if content_type else {}

    response = httpx.put(url, content=payload, headers=headers)

    assert response.status_code == 200, response.text
    assert s3_store.uploaded_size(key) == len(payload)
    assert s3_store.read_upload(key, max_bytes=len(payload)) == payload
    assert raw_object(s3_store, key) == payload  # stored as sent, not encrypted
    s3_store.delete(key)
    assert s3_store.uploaded_size(key) is None


def test_the_presigned_url_signs_only_the_host_and_expires(s3_store: S3BlobStore) -> None:
    url = s3_store.direct_upload_url("uploads/job.zip", timedelta(minutes=15))
    assert url is not None
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    assert parts.path == f"/{BUCKET}/{s3_store.prefix}/uploads/job.zip"  # path-style for a custom endpoint
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Expires"] == "900"
    assert query["X-Amz-SignedHeaders"] == "host"  # any Content-Type is accepted
    assert query["X-Amz-Credential"].endswith(f"/{REGION}/s3/aws4_request")

    secret = TEST_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"]
    headers = {"Host": parts.netloc, "Content-Type": "application/zip"}
    now = datetime.now(UTC)
    assert sigv4_accepts(url, "PUT", headers, secret, now)
    assert sigv4_accepts(url, "PUT", {**headers, "Content-Type": "text/plain"}, secret, now)
    assert not sigv4_accepts(url, "PUT", headers, secret, now + timedelta(minutes=16))
    assert not sigv4_accepts(url, "GET", headers, secret, now)
    assert not sigv4_accepts(url.replace("job.zip", "other.zip"), "PUT", headers, secret, now)
    assert not sigv4_accepts(url, "PUT", headers, "another secret", now)


@pytest.mark.parametrize("ttl", [timedelta(0), timedelta(days=8)])
def test_presigned_lifetimes_outside_sigv4_limits_are_refused(s3_store: S3BlobStore, ttl: timedelta) -> None:
    with pytest.raises(ValueError, match="7 days"):
        s3_store.direct_upload_url("uploads/job.zip", ttl)


def test_oversized_and_missing_uploads_are_refused(s3_store: S3BlobStore) -> None:
    key = "uploads/big.zip"
    with pytest.raises(BlobNotFound):
        s3_store.read_upload(key, max_bytes=10)
    s3_store.client.put_object(Bucket=BUCKET, Key=f"{s3_store.prefix}/{key}", Body=b"x" * 11)
    with pytest.raises(UploadTooLarge):
        s3_store.read_upload(key, max_bytes=10)
    assert s3_store.read_upload(key, max_bytes=11) == b"x" * 11


def test_an_upload_that_grows_after_its_size_was_checked_is_still_refused(
    s3_store: S3BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "uploads/raced.zip"
    s3_store.client.put_object(Bucket=BUCKET, Key=f"{s3_store.prefix}/{key}", Body=b"x" * 1000)
    # As if the partner PUT a bigger zip between the HEAD and the GET.
    monkeypatch.setattr(s3_store, "uploaded_size", lambda key: 10)
    with pytest.raises(UploadTooLarge, match="grew"):
        s3_store.read_upload(key, max_bytes=10)


def test_check_reaches_the_bucket(s3_store: S3BlobStore, s3_client: Any, box: SecretBox) -> None:
    s3_store.check()
    with pytest.raises(ClientError):
        S3BlobStore("no-such-bucket", "", box, s3_client).check()


def test_a_store_without_prefix_uses_the_bucket_root(s3_client: Any, box: SecretBox) -> None:
    store = S3BlobStore(BUCKET, "", box, s3_client)
    key = f"jobs/{uuid.uuid4().hex}/selfie"
    store.put(key, b"x")
    assert box.decrypt(s3_client.get_object(Bucket=BUCKET, Key=key)["Body"].read()) == b"x"
    assert key in list(store.keys("jobs/"))
    store.delete(key)
