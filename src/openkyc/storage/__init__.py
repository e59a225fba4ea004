"""Blob storage for job payloads and images: a local directory (default); S3 comes later."""

from openkyc.storage.local import BlobNotFound, LocalBlobStore

__all__ = ["BlobNotFound", "LocalBlobStore"]
