"""A partner's side of the async job flow, one step at a time (fault tests and the load benchmark).

The official SDK does prep-upload, PUT and polling in one call; tests that kill processes between
those steps, and a benchmark that times them, need each step on its own. Signatures and zips are
made by the official Python SDK (the ``dev`` extra), exactly as partners make them.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


@dataclass
class PartnerClient:
    base_url: str
    partner_id: str
    api_key: str
    callback_url: str = ""
    verify: ssl.SSLContext | bool = True
    timeout: float = 60.0

    def _signed(self) -> dict[str, Any]:
        from smile_id_core.Signature import Signature

        signature: dict[str, Any] = Signature(self.partner_id, self.api_key).generate_signature()
        return signature

    def prep_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/upload; the answer (upload_url, smile_job_id) or an error with the body."""
        response = httpx.post(
            f"{self.base_url}/v1/upload",
            json={
                "smile_client_id": self.partner_id,
                "partner_params": params,
                "callback_url": self.callback_url,
                "source_sdk": "openkyc-tests",
                "source_sdk_version": "1",
                **self._signed(),
            },
            timeout=self.timeout,
            verify=self.verify,
        )
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def make_zip(
        self,
        params: dict[str, Any],
        upload_url: str,
        images: list[tuple[int, Path]],
        id_info: dict[str, Any] | None = None,
    ) -> bytes:
        """The zip the Python SDK would PUT for these images (image_type_id, file)."""
        from smile_id_core.image_upload import generate_zip_file

        return bytes(
            generate_zip_file(
                partner_id=self.partner_id,
                callback_url=self.callback_url,
                upload_url=upload_url,
                partner_params=params,
                image_params=[{"image_type_id": kind, "file_name": str(path)} for kind, path in images],
                id_info_params=id_info or {},
                signature_params=self._signed(),
            )
        )

    def put_zip(self, upload_url: str, payload: bytes) -> httpx.Response:
        """PUT the zip as the SDKs do (to the API or straight to storage)."""
        return httpx.put(
            upload_url,
            content=payload,
            headers={"Content-Type": "application/zip"},
            timeout=self.timeout,
            verify=self.verify,
        )

    def job_status(self, user_id: str, job_id: str, *, history: bool = False) -> dict[str, Any]:
        response = httpx.post(
            f"{self.base_url}/v1/job_status",
            json={
                "partner_id": self.partner_id,
                "user_id": user_id,
                "job_id": job_id,
                "history": history,
                "image_links": False,
                **self._signed(),
            },
            timeout=self.timeout,
            verify=self.verify,
        )
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def submit(
        self, params: dict[str, Any], images: list[tuple[int, Path]], id_info: dict[str, Any] | None = None
    ) -> str:
        """Prep-upload and PUT a job; its SmileJobID."""
        prep = self.prep_upload(params)
        put = self.put_zip(prep["upload_url"], self.make_zip(params, prep["upload_url"], images, id_info))
        put.raise_for_status()
        return str(prep["smile_job_id"])
