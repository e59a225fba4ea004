"""The official Node SDK (smile-identity-core 3.2.1), unmodified, against `openkyc serve` over TLS.

The Node SDK always prepends ``https://`` to a custom ``sid_server`` (compatibility §12), so it talks
to the `tls_server` fixture and trusts the throwaway CA through ``NODE_EXTRA_CA_CERTS``. Each SDK
call runs `tests/e2e/node/drive.js` in a fresh ``node`` process.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Any

import cv2
import httpx
import pytest
from smile_id_core.Signature import Signature

from testkit.documents import DocumentSpec, render_document
from tests.e2e.conftest import CallbackReceiver, Server, TlsFiles

pytestmark = pytest.mark.slow

# The JS SDK's option names (web-api.js `validateBooleans`); `return_images` becomes `image_links`.
OPTIONS = {
    "return_job_status": True,
    "return_history": True,
    "return_images": True,
    "use_enrolled_image": False,
}
# The SDK polls for ~76 s and retries failed job_status calls forever (§7): cap each run.
NODE_TIMEOUT_S = 150


class NodeSdk:
    def __init__(self, node_dir: Path, server: Server, tls: TlsFiles, callbacks: CallbackReceiver) -> None:
        self.node_dir = node_dir
        self.server = server
        self.tls = tls
        self.callbacks = callbacks
        host_port = server.base_url.removeprefix("https://")
        self.sid_server = f"{host_port}/v1"  # scheme-less, as the SDK README shows for custom servers

    def call(self, action: str, **request: Any) -> Any:
        payload = {
            "action": action,
            "partner_id": self.server.partner_id,
            "api_key": self.server.sandbox_key,
            "sid_server": self.sid_server,
            "callback_url": self.callbacks.url,
            **request,
        }
        node = shutil.which("node")
        assert node is not None
        env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(self.tls.ca_cert)}
        env.pop("NODE_TLS_REJECT_UNAUTHORIZED", None)  # the CA must really be trusted
        try:
            done = subprocess.run(
                [node, str(self.node_dir / "drive.js")],
                input=json.dumps(payload),
                cwd=self.node_dir,
                env=env,
                capture_output=True,
                text=True,
                timeout=NODE_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"node SDK {action} did not finish in {NODE_TIMEOUT_S} s\n{self.server_log()}")
        if done.returncode != 0:
            pytest.fail(f"drive.js crashed ({done.returncode}): {done.stderr[-3000:]}\n{self.server_log()}")
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        if not answer["ok"]:
            raise NodeSdkError(answer)
        return answer["result"]

    def submit_job(
        self,
        partner_params: dict[str, Any],
        image_details: list[dict[str, Any]],
        id_info: dict[str, Any],
        options: dict[str, Any],
        **overrides: Any,
    ) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "submit_job",
            partner_params=partner_params,
            image_details=image_details,
            id_info=id_info,
            options=options,
            **overrides,
        )
        return result

    def confirm_signature(self, timestamp: str, signature: str) -> bool:
        return bool(self.call("confirm_signature", timestamp=timestamp, signature=signature))

    def server_log(self) -> str:
        log = self.server.data_dir / "serve.log"
        return "server log tail:\n" + (log.read_text(errors="replace")[-3000:] if log.exists() else "(none)")


class NodeSdkError(Exception):
    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(json.dumps(answer))
        self.answer = answer


@pytest.fixture(scope="module")
def sdk(node_sdk: Path, tls_server: Server, tls_files: TlsFiles, callbacks: CallbackReceiver) -> NodeSdk:
    return NodeSdk(node_sdk, tls_server, tls_files, callbacks)


def params(user_id: str, job_id: str, job_type: int) -> dict[str, Any]:
    return {"user_id": user_id, "job_id": job_id, "job_type": job_type, "app_version": "node-e2e-1"}


def selfie(path: Path) -> dict[str, Any]:
    return {"image_type_id": 0, "image": str(path)}


def fetch(sdk: NodeSdk, url: str) -> bytes:
    assert url.startswith(sdk.server.base_url), url
    return httpx.get(url, verify=ssl.create_default_context(cafile=str(sdk.tls.ca_cert))).content


def assert_signed_callback(sdk: NodeSdk, result: dict[str, Any]) -> dict[str, Any]:
    body = sdk.callbacks.wait_for(result["SmileJobID"])
    assert sdk.confirm_signature(body["timestamp"], body["signature"]), body
    assert Signature(sdk.server.partner_id, sdk.server.sandbox_key).confirm_signature(
        body["timestamp"], body["signature"]
    )
    assert not sdk.confirm_signature(body["timestamp"], base64.b64encode(b"x" * 32).decode())
    assert body["ResultCode"] == result["ResultCode"]
    assert body["PartnerParams"]["app_version"] == "node-e2e-1"  # extra partner_params keys are echoed
    return body


def test_registration_with_file_images_then_authentication(sdk: NodeSdk, examples: Path) -> None:
    registration = sdk.submit_job(
        params("node-user-files", "node-reg-files", 4),
        [selfie(examples / "knn_examples" / "test" / "obama1.jpg")],
        {},
        OPTIONS,
    )
    assert registration["job_complete"] is True
    result = registration["result"]
    assert result["ResultType"] and result["PartnerParams"]["user_id"] == "node-user-files"
    assert result["PartnerParams"]["job_id"] == "node-reg-files"
    assert registration["job_success"] is True, result
    history = registration["history"]
    assert history and history[-1]["ResultCode"] == result["ResultCode"]
    selfie_link = registration["image_links"]["selfie_image"]
    assert fetch(sdk, selfie_link) == (examples / "knn_examples" / "test" / "obama1.jpg").read_bytes()
    assert_signed_callback(sdk, result)

    same_person = sdk.submit_job(
        params("node-user-files", "node-auth-same", 2), [selfie(examples / "obama2.jpg")], {}, OPTIONS
    )
    assert same_person["job_complete"] is True and same_person["job_success"] is True, same_person["result"]
    assert same_person["result"]["Actions"]["Selfie_To_Registered_Selfie_Compare"] == "Completed"

    other_person = sdk.submit_job(
        params("node-user-files", "node-auth-other", 2), [selfie(examples / "biden.jpg")], {}, OPTIONS
    )
    assert other_person["job_complete"] is True and other_person["job_success"] is False, other_person[
        "result"
    ]
    assert other_person["result"]["ResultCode"] != same_person["result"]["ResultCode"]
    assert_signed_callback(sdk, other_person["result"])

    # WebApi.get_job_status afterwards: the SDK verifies the response signature itself.
    status = sdk.call(
        "get_job_status",
        partner_params={"user_id": "node-user-files", "job_id": "node-reg-files"},
        options={"return_history": True, "return_images": True},
    )
    assert status["job_complete"] is True and status["job_success"] is True
    assert status["result"]["SmileJobID"] == result["SmileJobID"]
    assert status["history"] and status["image_links"]["selfie_image"]


def test_registration_with_base64_images(sdk: NodeSdk, examples: Path) -> None:
    encoded = base64.b64encode((examples / "obama2.jpg").read_bytes()).decode()
    answer = sdk.submit_job(
        params("node-user-base64", "node-reg-base64", 4),
        [{"image_type_id": 2, "image": encoded}],
        {},
        OPTIONS,
    )
    assert answer["job_complete"] is True and answer["job_success"] is True, answer["result"]


def test_document_verification_with_and_without_enrolled_image(
    sdk: NodeSdk, examples: Path, tmp_path: Path
) -> None:
    portrait = cv2.imread(str(examples / "knn_examples" / "test" / "obama1.jpg"))
    document = tmp_path / "passport.jpg"
    cv2.imwrite(
        str(document), render_document(DocumentSpec(), portrait_bgr=portrait), [cv2.IMWRITE_JPEG_QUALITY, 92]
    )
    id_info = {"country": "US", "id_type": "PASSPORT"}
    with_selfie = sdk.submit_job(
        params("node-user-docv", "node-docv-selfie", 6),
        [selfie(examples / "obama2.jpg"), {"image_type_id": 1, "image": str(document)}],
        id_info,
        OPTIONS,
    )
    assert with_selfie["job_complete"] is True, with_selfie
    result = with_selfie["result"]
    assert result["ResultType"] == "Document Verification"
    assert result["Actions"]["Selfie_To_ID_Card_Compare"] in ("Passed", "Completed"), result
    assert with_selfie["history"] and with_selfie["image_links"], with_selfie
    assert_signed_callback(sdk, result)

    # use_enrolled_image needs an enrolled user; enrol one here so this test also runs alone.
    sdk.submit_job(
        params("node-user-enrolled", "node-reg-for-docv", 4),
        [selfie(examples / "knn_examples" / "test" / "obama1.jpg")],
        {},
        OPTIONS,
    )
    enrolled = sdk.submit_job(
        params("node-user-enrolled", "node-docv-enrolled", 6),
        [{"image_type_id": 1, "image": str(document)}],
        id_info,
        {**OPTIONS, "use_enrolled_image": True},
    )
    assert enrolled["job_complete"] is True, enrolled
    assert enrolled["result"]["ResultType"] == "Document Verification"
    assert enrolled["result"]["Actions"]["Selfie_To_ID_Card_Compare"] in ("Passed", "Completed"), enrolled[
        "result"
    ]


def test_bad_credentials_are_the_documented_error(sdk: NodeSdk, examples: Path) -> None:
    with pytest.raises(NodeSdkError) as failure:
        sdk.submit_job(
            params("node-u", "node-bad-key", 4),
            [selfie(examples / "knn_examples" / "test" / "obama1.jpg")],
            {},
            OPTIONS,
            api_key="wrong-key",
        )
    answer = failure.value.answer
    assert answer["request"]["url"].endswith("/v1/upload"), answer
    assert answer["status"] in (400, 401, 403) and answer["response"]["code"] == "2205", answer
