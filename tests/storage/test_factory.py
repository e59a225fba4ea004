from __future__ import annotations

from pathlib import Path

import pytest

from openkyc.config import Settings
from openkyc.crypto import SecretBox
from openkyc.storage import LocalBlobStore, S3BlobStore, build_blob_store, parse_storage_url

from .conftest import BUCKET


def test_the_default_is_the_local_blob_directory(tmp_path: Path, box: SecretBox) -> None:
    settings = Settings(data_dir=tmp_path)
    store = build_blob_store(settings, box)
    assert isinstance(store, LocalBlobStore)
    assert store.root == settings.blob_dir


def test_an_s3_url_with_an_endpoint_gives_a_working_path_style_store(
    tmp_path: Path, box: SecretBox, s3_endpoint: str
) -> None:
    settings = Settings(data_dir=tmp_path, storage_url=f"s3://{BUCKET}/factory/", s3_endpoint_url=s3_endpoint)
    store = build_blob_store(settings, box)
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == (BUCKET, "factory")
    store.check()
    store.put("jobs/1/selfie", b"selfie")
    assert store.get("jobs/1/selfie") == b"selfie"
    url = store.direct_upload_url("uploads/job.zip", settings.upload_url_ttl)
    assert url is not None
    assert url.startswith(f"{s3_endpoint}/{BUCKET}/factory/uploads/job.zip?")
    config = store.client.meta.config
    # botocore reads retries["max_attempts"] as retries after the first try: 6 attempts in all.
    assert config.retries == {"total_max_attempts": 6, "mode": "standard"}
    assert (config.connect_timeout, config.read_timeout, config.signature_version) == (5, 30, "s3v4")
    assert config.s3 == {"addressing_style": "path"}


def test_aws_s3_keeps_the_default_addressing_and_the_region(tmp_path: Path, box: SecretBox) -> None:
    settings = Settings(data_dir=tmp_path, storage_url="s3://my-bucket", s3_region="eu-west-1")
    store = build_blob_store(settings, box)
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == ("my-bucket", "")
    assert store.client.meta.region_name == "eu-west-1"
    assert store.client.meta.config.s3 is None


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://bkt", "bkt", ""),
        ("s3://bkt/", "bkt", ""),
        ("s3://bkt/a/b/", "bkt", "a/b"),
        ("s3://my.bkt-1/p", "my.bkt-1", "p"),
    ],
)
def test_storage_urls_are_parsed(url: str, bucket: str, prefix: str) -> None:
    assert parse_storage_url(url) == (bucket, prefix)


@pytest.mark.parametrize("url", ["s3://", "s3:///prefix"])
def test_an_s3_url_without_a_bucket_is_refused(tmp_path: Path, box: SecretBox, url: str) -> None:
    with pytest.raises(ValueError, match="no bucket"):
        build_blob_store(Settings(data_dir=tmp_path, storage_url=url), box)


@pytest.mark.parametrize(
    "url", ["s3://Bad_Bucket/p", "s3://user:pw@bkt/p", "s3://bkt/p?x=1", "s3://bkt/a//b"]
)
def test_malformed_s3_urls_are_refused(tmp_path: Path, box: SecretBox, url: str) -> None:
    with pytest.raises(ValueError, match=r"storage URL|unsafe blob key"):
        build_blob_store(Settings(data_dir=tmp_path, storage_url=url), box)


@pytest.mark.parametrize("url", ["S3://bkt/p", "gs://bkt/p", "/var/blobs"])
def test_unsupported_storage_urls_are_refused_not_ignored(tmp_path: Path, box: SecretBox, url: str) -> None:
    with pytest.raises(ValueError, match="unsupported storage URL"):
        build_blob_store(Settings(data_dir=tmp_path, storage_url=url), box)
