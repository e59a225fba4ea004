"""Blob storage for job payloads and images: a local directory (default) or S3."""

from openkyc.storage.base import BlobNotFound, BlobStore
from openkyc.storage.local import LocalBlobStore

__all__ = ["BlobNotFound", "BlobStore", "LocalBlobStore"]
