"""Smile ID's official V3 Python SDK, ``usesmileid`` 12.1.0, driven unmodified over TLS against a
real ``openkyc serve``.

One deployment for the module, serving HTTPS with a certificate from a development CA, and an
HTTPS callback receiver (:mod:`tests.v3.e2e_server`, the ``v3_server`` fixture).

The SDK's own end-to-end test (``tests/test_e2e_sandbox.py`` of smileidentity/smileid-sdk-python,
run by its CI against ``SMILE_BASE_URL``/``SMILE_PARTNER_ID``/``SMILE_API_KEY``) is replayed as it
is written: the SDK's default HTTP client trusting the CA through ``SSL_CERT_FILE``, Enhanced KYC of
the "clear" sandbox identity, ``wait_until_complete`` every 2 s. The other flows hand the SDK an
``httpx.Client`` trusting the CA whose every answer is checked against the vendored spec
(:func:`tests.v3.contract.watch`), so each call here is also a contract check over the wire.

Each flow is one test; they share the deployment, not state. A flow lands here as a function
using the ``smile`` client (see the existing ones for the images and identities).
"""

from __future__ import annotations

import io
import os
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import httpx
import pytest
import usesmileid
from PIL import Image
from sqlalchemy import select
from usesmileid.errors import InvalidRequestError

from openkyc.db import make_engine, make_session_factory
from openkyc.jobs.models import Job, JobState
from testkit import attacks
from testkit.deployment import openkyc_command
from testkit.documents import DocumentSpec, render_document
from tests.v3.contract import watch
from tests.v3.e2e_server import V3Server, enable_production, verify_signature

pytestmark = pytest.mark.slow

# The SDK's e2e identity: the V3 sandbox's "clear" test person, matched on names and email.
CLEARWATER = {
    "given_names": "Amina Fatou",
    "last_name": "Clearwater",
    "email": "amina.clearwater@example.com",
}
NIN = "12345678901"
# How long a flow waits for a job: the SDK's own e2e test allows 120 s.
JOB_TIMEOUT = 120.0
# Polling interval of the flows other than the SDK's own (which keeps its 2 s).
POLL = 0.5


def consent() -> usesmileid.Consent:
    return usesmileid.Consent.granted(
        granted_at=datetime.now(UTC),
        notice_language="EN",
        notice_privacy_policy_url="https://example.com/privacy",
    )


@pytest.fixture(scope="module")
def smile(v3_server: V3Server) -> Iterator[usesmileid.Client]:
    """The SDK on an httpx client that trusts the CA and checks every answer against the spec."""
    trusting = ssl.create_default_context(cafile=str(v3_server.certificates.ca_cert))
    with watch(httpx.Client(verify=trusting)) as http, v3_server.client(http) as client:
        yield client


@pytest.fixture(scope="module")
def photos(faces_dir: Path) -> dict[str, Path]:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    return {"selfie": examples / "obama.jpg", "other": examples / "obama2.jpg"}


@pytest.fixture(scope="module")
def documents(docs_dir: Path) -> dict[str, bytes]:
    """Passport specimens at 60 % of their size (a 1334 px page costs the document engine some
    15 s a job on two busy cores, 800 px some 7 s; the MRZ stays readable), as JPEG and PNG bytes."""
    passports = docs_dir / "konstantint+PassportEye" / "tests" / "data"

    def scaled(name: str, kind: str) -> bytes:
        with Image.open(passports / name) as page:
            smaller = page.convert("RGB").resize((page.width * 3 // 5, page.height * 3 // 5))
        out = io.BytesIO()
        smaller.save(out, kind)
        return out.getvalue()

    return {
        "passport": scaled("passport-td3.jpg", "JPEG"),
        "passport_png": scaled("passport-td3.jpg", "PNG"),
        "visa": scaled("passport-td2.jpg", "JPEG"),
    }


@pytest.fixture(scope="module")
def liveness(faces_dir: Path) -> list[Path]:
    """Six frames of the selfie's face (the SDK sends 6 to 8), small ones: every frame is analysed,
    and a 240-480 p frame costs the engine a fraction of a full-size photo. Read in place by the SDK."""
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    return [examples / name for name in ("obama-240p.jpg", "obama_small.jpg", "obama-480p.jpg")] * 2


def completed(client: usesmileid.Client, job_id: str, *, interval: float = POLL) -> usesmileid.JobStatus:
    return client.verifications.wait_until_complete(job_id, interval=interval, timeout=JOB_TIMEOUT)


# --- The SDK's own end-to-end test ------------------------------------------------------------


def test_the_sdks_own_e2e_flow_clears_the_clearwater_identity(
    v3_server: V3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """smileid-sdk-python's tests/test_e2e_sandbox.py, its logic as written, SMILE_BASE_URL = us."""
    monkeypatch.setenv("SSL_CERT_FILE", str(v3_server.certificates.ca_cert))
    with usesmileid.Client(
        partner_id=v3_server.partner_id,
        api_key=v3_server.api_key,
        environment="sandbox",
        base_url=v3_server.deployment.base_url,
    ) as client:
        accepted = client.enhanced_kyc.verify(
            country="NG",
            id_type="NIN",
            id_number=NIN,
            user_details=CLEARWATER,
            consent=consent(),
        )
        assert accepted.is_accepted
        assert accepted.job_id

        status = client.verifications.wait_until_complete(accepted.job_id, interval=2.0, timeout=120.0)
        assert status.is_complete
        assert status.status == "clear"


# --- Enhanced KYC, its callback, status and replay ---------------------------------------------


def test_enhanced_kyc_is_called_back_signed_over_https_and_replayed(
    smile: usesmileid.Client, v3_server: V3Server
) -> None:
    accepted = smile.enhanced_kyc.verify(
        country="NG",
        id_type="NIN",
        id_number=NIN,
        user_details=CLEARWATER,
        consent=consent(),
        partner_params={"order": "e2e-1"},
        user_id="e2e-ekyc-user",
    )
    assert accepted.is_accepted and accepted.user_id == "e2e-ekyc-user"
    assert accepted.job_id is not None and accepted.job_id.startswith("job_")

    status = completed(smile, accepted.job_id)
    assert (status.status, status.job_id, status.user_id) == ("clear", accepted.job_id, "e2e-ekyc-user")
    # The ID type's status counts the look-ups of the last hour: this one, at least.
    health = smile.services.id_status(country="NG", id_type="NIN")
    assert (health.last_check_status, health.last_known_status) == ("success", "online")

    first = v3_server.callback(accepted.job_id)
    verify_signature(v3_server, first)
    assert first.body["status"] == "clear" and first.body["product"] == "enhanced_kyc"
    assert first.body["user_id"] == "e2e-ekyc-user"
    assert first.body["partner_params"] == {"order": "e2e-1"}

    replay = smile.verifications.replay(accepted.job_id)
    assert replay.status.lower() == "accepted"
    again = v3_server.callback(accepted.job_id, after=1)
    verify_signature(v3_server, again)
    assert again.body["job_id"] == accepted.job_id and again.body["status"] == "clear"


def test_an_unknown_job_is_not_found_and_a_bad_request_raises(smile: usesmileid.Client) -> None:
    missing = smile.verifications.retrieve("job_" + "0" * 26)
    assert missing.status == "not_found" and missing.is_not_found
    with pytest.raises(InvalidRequestError) as refused:
        smile.enhanced_kyc.verify(
            country="NG", id_type="NIN", id_number="123", user_details=CLEARWATER, consent=consent()
        )
    assert refused.value.status_code == 400


# --- Services -------------------------------------------------------------------------------


def test_the_services_look_ups(smile: usesmileid.Client) -> None:
    # openkyc holds no bank list (Smile ID documents none): an empty list, in the spec's shape.
    banks = smile.services.bank_codes(country="NG")
    assert all(bank.country == "NG" for bank in banks.bank_codes)
    id_types = smile.services.supported_id_types(country="NG")
    assert "NIN" in {id_type.type for id_type in id_types.id_types}
    documents = smile.services.supported_documents(country_code="NG")
    assert documents.valid_documents and documents.valid_documents[0].country.code == "NG"


# --- Biometric products, with real images ------------------------------------------------------

Submit = Callable[[], usesmileid.AcceptedResponse]


def all_complete(smile: usesmileid.Client, submissions: dict[str, Submit]) -> dict[str, str]:
    """Submit every job first, then wait for each (the server works on them side by side): the
    final status of each."""
    accepted = {name: submit() for name, submit in submissions.items()}
    for name, answer in accepted.items():
        assert answer.is_accepted and answer.job_id, name
    return {name: completed(smile, str(answer.job_id)).status for name, answer in accepted.items()}


def test_biometric_kyc_and_compare_complete(
    smile: usesmileid.Client, photos: dict[str, Path], liveness: list[Path]
) -> None:
    statuses = all_complete(
        smile,
        {
            "biometric_kyc": lambda: smile.biometric_kyc.verify(
                selfie_image=photos["selfie"],
                liveness_images=liveness,
                consent=consent(),
                country="NG",
                id_type="NIN",
                id_number=NIN,
                user_details=CLEARWATER,
            ),
            "compare": lambda: smile.biometric.compare(
                selfie_image=photos["selfie"],
                comparison_image=photos["other"],
                comparison_image_type="PORTRAIT",
                consent=consent(),
                user_details=CLEARWATER,
            ),
        },
    )
    assert statuses == {"biometric_kyc": "clear", "compare": "clear"}


def test_registration_then_authentication(
    smile: usesmileid.Client, photos: dict[str, Path], liveness: list[Path]
) -> None:
    user_id = f"e2e-enrollee-{time.monotonic_ns()}"
    enrolled = smile.biometric.enroll(
        selfie_image=photos["selfie"],
        liveness_images=liveness,
        consent=consent(),
        user_details=CLEARWATER,
        user_id=user_id,
    )
    assert enrolled.is_accepted and enrolled.user_id == user_id
    assert completed(smile, str(enrolled.job_id)).status == "clear"

    authenticated = smile.biometric.authenticate(
        user_id=user_id,
        consent=consent(),
        user_details=CLEARWATER,
        selfie_image=photos["other"],
        liveness_images=liveness,
    )
    assert authenticated.is_accepted and authenticated.user_id == user_id
    assert completed(smile, str(authenticated.job_id)).status == "clear"


# --- Fraud reports ----------------------------------------------------------------------------


def test_a_user_flagged_for_fraud_is_blocked_until_cleared(smile: usesmileid.Client) -> None:
    user_id = f"e2e-fraud-{time.monotonic_ns()}"

    def enhanced_kyc() -> usesmileid.JobStatus:
        accepted = smile.enhanced_kyc.verify(
            country="NG",
            id_type="NIN",
            id_number=NIN,
            user_details=CLEARWATER,
            consent=consent(),
            user_id=user_id,
        )
        return completed(smile, str(accepted.job_id))

    assert enhanced_kyc().status == "clear"
    flagged = smile.users.flag_fraud(user_id, reason="ACCOUNT_TAKEOVER", reported_by="analyst@example.com")
    assert flagged.status.lower() == "accepted" and flagged.user_id == user_id
    assert enhanced_kyc().status == "block"
    cleared = smile.users.clear_fraud(user_id, notes="False alarm", reported_by="analyst@example.com")
    assert cleared.status.lower() == "accepted"
    assert enhanced_kyc().status == "clear"


# --- Production: the engine decides ------------------------------------------------------------

VIDEO = "timesler+facenet-pytorch_examples_video.mp4"
# Someone the sandbox does not know: with a production key the identity decides nothing.
STRANGER = {"given_names": "Ada", "last_name": "Okonkwo", "email": "ada.okonkwo@example.org"}


@pytest.fixture(scope="module")
def live(v3_server: V3Server) -> Iterator[usesmileid.Client]:
    """The SDK with the partner's production key, once the operator has enabled production: every
    decision is the engine's. Production has no default callback URL here: the SDK's default one
    (the receiver) goes with each request."""
    enable_production(v3_server.deployment)
    trusting = ssl.create_default_context(cafile=str(v3_server.certificates.ca_cert))
    with (
        watch(httpx.Client(verify=trusting)) as http,
        usesmileid.Client(
            partner_id=v3_server.partner_id,
            api_key=v3_server.deployment.production_key,
            environment="production",
            base_url=v3_server.deployment.base_url,
            default_callback_url=v3_server.receiver.url,
            http_client=http,
        ) as client,
    ):
        yield client


@dataclass(frozen=True)
class Genuine:
    """A person filmed: two disjoint windows (selfie + 8 frames) of the shared video's one face
    track, and a passport whose portrait is a third frame of them."""

    selfie_a: Path
    frames_a: list[Path]
    selfie_b: Path
    frames_b: list[Path]
    passport: Path


@pytest.fixture(scope="module")
def genuine(testdata_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Genuine:
    out = tmp_path_factory.mktemp("genuine")

    def jpeg(bgr: Any, name: str) -> Path:
        path = out / name
        Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)).save(path, "JPEG", quality=92)
        return path

    frames = attacks.read_video(testdata_dir / "liveness" / VIDEO)
    (track,) = attacks.face_tracks(frames, indices=range(40, 94, 2), min_length=27, max_gap=2)
    first, second, third = attacks.track_sequences(frames, track, n_frames=8, stride=1)[::9]
    spec = DocumentSpec(issuing_country="NGA", nationality="NGA", surname="OKONKWO", given_names="ADA")
    return Genuine(
        selfie_a=jpeg(first.selfie, "a.jpg"),
        frames_a=[jpeg(frame, f"a{index}.jpg") for index, frame in enumerate(first.frames)],
        selfie_b=jpeg(second.selfie, "b.jpg"),
        frames_b=[jpeg(frame, f"b{index}.jpg") for index, frame in enumerate(second.frames)],
        passport=jpeg(render_document(spec, portrait_bgr=third.selfie), "passport.jpg"),
    )


def live_callback(v3_server: V3Server, job_id: str) -> dict[str, Any]:
    """A production job's callback body, its signature checked against the production key."""
    received = v3_server.callback(job_id)
    verify_signature(v3_server, received, v3_server.deployment.production_key)
    return received.body


def test_production_registration_and_authentication_are_the_engines(
    live: usesmileid.Client, v3_server: V3Server, genuine: Genuine, faces_dir: Path
) -> None:
    user_id = f"e2e-live-{time.monotonic_ns()}"
    enrolled = live.biometric.enroll(
        selfie_image=genuine.selfie_a,
        liveness_images=genuine.frames_a,
        consent=consent(),
        user_details=STRANGER,
        user_id=user_id,
    )
    assert completed(live, str(enrolled.job_id)).status == "clear"
    same = live.biometric.authenticate(
        user_id=user_id,
        consent=consent(),
        user_details=STRANGER,
        selfie_image=genuine.selfie_b,
        liveness_images=genuine.frames_b,
    )
    assert completed(live, str(same.job_id)).status == "clear"
    # Another man, his "liveness" the same still photo six times: not the enrolled face.
    stranger = faces_dir / "ageitgey+face_recognition" / "examples" / "biden.jpg"
    impostor = live.biometric.authenticate(
        user_id=user_id,
        consent=consent(),
        user_details=STRANGER,
        selfie_image=stranger,
        liveness_images=[stranger] * 6,
    )
    assert completed(live, str(impostor.job_id)).status == "block"
    for job_id, status in ((enrolled.job_id, "clear"), (same.job_id, "clear"), (impostor.job_id, "block")):
        body = live_callback(v3_server, str(job_id))
        assert (body["status"], body["user_id"]) == (status, user_id)


def test_production_compare_is_the_engines(
    live: usesmileid.Client, v3_server: V3Server, faces_dir: Path
) -> None:
    knn = faces_dir / "ageitgey+face_recognition" / "examples" / "knn_examples"
    # Two photos of one man that the engine's default operating point accepts as one person.
    one_man = knn / "test" / "obama1.jpg", knn / "train" / "obama" / "obama2.jpg"
    two_men = knn / "test" / "obama1.jpg", faces_dir / "ageitgey+face_recognition" / "examples" / "biden.jpg"

    def compare(selfie: Path, other: Path) -> Submit:
        return lambda: live.biometric.compare(
            selfie_image=selfie,
            comparison_image=other,
            comparison_image_type="PORTRAIT",
            consent=consent(),
            user_details=STRANGER,
        )

    statuses = all_complete(live, {"one man": compare(*one_man), "two men": compare(*two_men)})
    assert statuses == {"one man": "clear", "two men": "block"}


def test_production_document_verification_waits_for_a_reviewer_when_the_engine_is_unsure(
    live: usesmileid.Client, v3_server: V3Server, genuine: Genuine
) -> None:
    """V3 has no provisional status: a job the engine sends to a reviewer stays ``processing``
    (and is not called back) until a person decides; here the operator approves it with
    ``openkyc jobs review``. Where the engine is sure, it is ``clear`` at once."""
    accepted = live.documents.verify(
        selfie_image=genuine.selfie_a,
        liveness_images=genuine.frames_a,
        document=genuine.passport,
        consent=consent(),
        country="NG",
        user_details=STRANGER,
    )
    assert accepted.is_accepted and accepted.job_id
    smile_job_id, state = settled(v3_server, accepted.job_id)
    if state == JobState.REVIEW:
        assert live.verifications.retrieve(accepted.job_id).status == "processing"
        reviewed = subprocess.run(
            openkyc_command("jobs", "review", smile_job_id, "--approve"),
            env=v3_server.deployment.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert reviewed.returncode == 0, reviewed.stderr
    assert completed(live, accepted.job_id).status == "clear"
    body = live_callback(v3_server, accepted.job_id)
    assert (body["status"], body["product"]) == ("clear", "document_verification")


def settled(v3_server: V3Server, job_id: str, timeout: float = JOB_TIMEOUT) -> tuple[str, str]:
    """(SmileJobID, state) of the V3 job ``job_id`` once the engine is done with it (complete, or
    waiting for a reviewer), read from the deployment's database."""
    engine = make_engine(v3_server.deployment.database_url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            with make_session_factory(engine)() as session:
                smile_job_id, state = session.execute(
                    select(Job.smile_job_id, Job.state).where(Job.job_id == job_id)
                ).one()
            if state in {JobState.REVIEW, JobState.COMPLETE} or time.monotonic() > deadline:
                return smile_job_id, state
            time.sleep(0.5)
    finally:
        engine.dispose()


# --- Documents (last: what they leave queued stops with the server) ----------------------------


def test_document_verifications_are_accepted(
    smile: usesmileid.Client, photos: dict[str, Path], liveness: list[Path], documents: dict[str, bytes]
) -> None:
    """Enhanced Document Verification (a PNG passport: the SDK's other document type), Document
    Verification and Residency Document Verification (12.1.0's addition, with its visa page), up to
    the server's 202 and a status look-up. Their results are not waited for: the document engine's
    first job in a server process costs 10-15 s here (its OCR models load), more than the rest of
    this module's jobs together (tests/jobs/test_v3_sandbox.py takes a V3 EDocV job through the
    pipeline to its documented outcome).
    Last in the module: what they leave queued stops with the server."""
    common: dict[str, Any] = {
        "selfie_image": photos["selfie"],
        "liveness_images": liveness,
        "consent": consent(),
        "country": "NG",
        "user_details": CLEARWATER,
    }
    submitted = [
        smile.documents.verify_enhanced(document=documents["passport_png"], id_type="PASSPORT", **common),
        smile.documents.verify(document=documents["passport"], **common),
        smile.documents.verify_residency(document=documents["passport"], visa=documents["visa"], **common),
    ]
    for accepted in submitted:
        assert accepted.is_accepted and accepted.job_id and accepted.job_id.startswith("job_")
        assert accepted.user_id and accepted.user_id.startswith("user_")
        assert smile.verifications.retrieve(accepted.job_id).status in {"processing", "clear"}


# --- The README's V3 quick start, run as written -------------------------------------------------


def test_the_readmes_v3_quick_start(v3_server: V3Server, tmp_path: Path) -> None:
    """README "6. The V3 API": its dev-CA command makes the files the script names, and the script
    (a client and an https callback receiver) prints what the README says it prints."""
    from tests.e2e.test_readme_quickstart import README, clean_environment, readme_snippets, run

    snippets = readme_snippets(README.read_text(encoding="utf-8"))
    # The README's own command, in a directory of its own: the files the script reads.
    made = tmp_path / "made"
    made.mkdir()
    cli = clean_environment(PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    run(["bash"], cwd=made, env=cli, script=snippets["v3-tls"].replace(".venv/bin/openkyc", "openkyc"))
    assert {path.name for path in (made / "openkyc-tls").iterdir()} >= {
        "ca.pem",
        "server.pem",
        "server-key.pem",
    }
    # The script runs beside the certificates the server under test was started with.
    reader = tmp_path / "reader"
    shutil.copytree(v3_server.certificates.directory, reader / "openkyc-tls")
    env = clean_environment(
        OPENKYC_URL=v3_server.deployment.base_url,
        SSL_CERT_FILE=str(v3_server.certificates.ca_cert),
        PARTNER_ID=v3_server.partner_id,
        API_KEY=v3_server.api_key,
    )
    stdout = run([sys.executable, "-"], cwd=reader, env=env, script=snippets["v3"])
    assert stdout.splitlines() == [
        "status True clear",
        "callback True enhanced_kyc clear True",
        "replay True clear",
    ]
