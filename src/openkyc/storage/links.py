"""Expiring capability links (upload URLs are random tokens; image links are signed like this)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from openkyc.crypto import SecretBox
from openkyc.job_types import RECEIPT_JOB_TYPES


class LinkSigner:
    """HMAC-SHA256 over a resource path and its expiry, with a key derived from the master key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_box(cls, box: SecretBox) -> LinkSigner:
        # Deterministic per installation so links survive a restart and work across API processes;
        # derived, not the master key itself, so a leaked link key decrypts nothing.
        seed = box.derive_key(b"openkyc image links v1")
        return cls(seed)

    def sign(self, resource: str, expires: datetime) -> tuple[int, str]:
        expiry = int(expires.timestamp())
        return expiry, self._mac(resource, expiry)

    def verify(self, resource: str, expiry: int, signature: str, now: datetime) -> bool:
        if expiry < int(now.timestamp()):
            return False
        # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a
        # 500), while any bytes compare in constant time and a non-ASCII sig simply does not match.
        received = signature.encode("utf-8", "surrogatepass")
        return hmac.compare_digest(self._mac(resource, expiry).encode("ascii"), received)

    def _mac(self, resource: str, expiry: int) -> str:
        message = f"{resource}\n{expiry}".encode("utf-8", "surrogatepass")
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# KYC receipts (openkyc.receipts): which results have one and the signed link to it live here, below
# both jobs/ (job_status signs a link as it answers) and callbacks/ (each attempt signs one as it
# is sent), so that the two agree and neither imports the other.
RECEIPT_PATH = "/v1/receipts"
# The result key of the link (Smile ID's Document Verification callback example); job_status also
# answers it at the top level as ``kyc_receipt``.
RECEIPT_RESULT_KEY = "KYCReceipt"


def has_receipt(job_type: int, result: Mapping[str, Any] | None) -> bool:
    """Whether a job of ``job_type`` whose current result is ``result`` has a KYC receipt: a final
    result (approved or rejected, never a provisional one awaiting review) of a receipt product."""
    return job_type in RECEIPT_JOB_TYPES and result is not None and result.get("IsFinalResult") == "true"


def receipt_resource(smile_job_id: str) -> str:
    # The colon keeps receipt links apart from image links ("<smile_job_id>/<kind>"): a signature
    # made for one can never open the other.
    return f"receipt:{smile_job_id}"


def receipt_link(signer: LinkSigner, *, base_url: str, smile_job_id: str, expires: datetime) -> str:
    """The expiring signed URL of a job's KYC receipt (GET answers the PDF)."""
    expiry, signature = signer.sign(receipt_resource(smile_job_id), expires)
    return f"{base_url}{RECEIPT_PATH}/{quote(smile_job_id, safe='')}?expires={expiry}&sig={signature}"
