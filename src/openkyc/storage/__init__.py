"""Blob storage for job payloads and images: a local directory (default) or S3."""

from openkyc.storage.base import BlobNotFound, BlobStore
from openkyc.storage.factory import build_blob_store, parse_storage_url
from openkyc.storage.keys import UPLOADS_PREFIX
from openkyc.storage.local import LocalBlobStore
from openkyc.storage.s3 import S3BlobStore, UploadTooLarge, make_s3_client

__all__ = [
    "UPLOADS_PREFIX",
    "BlobNotFound",
    "BlobStore",
    "LocalBlobStore",
    "S3BlobStore",
    "UploadTooLarge",
    "build_blob_store",
    "make_s3_client",
    "parse_storage_url",
]
