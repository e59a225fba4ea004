"""The README's quick start, run as written, so that it cannot drift from what openkyc does.

Each snippet is a fenced block of README.md preceded by ``<!-- quickstart:NAME -->``; blocks of one
name are joined in order, the way a reader pastes them one after the other. They run against a real
embedded `openkyc serve` (testkit.deployment), from a directory laid out as the README's reader has
it: `.venv` (this interpreter's environment) and `openkyc-data` (the server's data) side by side.
The snippets read the server and the pictures from the environment variables the README has the
reader export (OPENKYC_URL, PARTNER_ID, API_KEY, SELFIE, SELFIE_2, ID_IMAGE).

The Ruby snippet is not run: the machines this suite runs on cannot reach rubygems.org, so the
SDK's gem cannot be installed; the README says so next to it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import httpx
import pytest

from openkyc.signing import compute_signature
from testkit.deployment import Deployment, TlsOptions, start_deployment
from testkit.documents import DocumentSpec, render_document

README = Path(__file__).resolve().parents[2] / "README.md"
SNIPPET = re.compile(r"<!-- quickstart:(?P<name>[a-z0-9-]+) -->\n```[a-z]*\n(?P<body>.*?)\n```\n", re.DOTALL)
# "v3" and "v3-tls" are run by tests/v3/test_usesmileid_e2e.py, against its HTTPS server.
NAMES = {"keys", "curl", "python", "tls", "node", "ruby", "links", "v3", "v3-tls"}
# A snippet polls or waits on the SDK's own polling (Python ~74 s at most, Node ~76 s): cap each run.
RUN_TIMEOUT_S = 240

# What every run must show: the registration enrols, the same person authenticates, the document
# of that person verifies (the sandbox compares the selfie with the document's portrait).
EXPECTED_RESULTS = [
    (4, "0840", "Enroll User"),
    (2, "0820", "Authenticate User"),
    (6, "0810", "Document Verified"),
]


def readme_snippets(text: str) -> dict[str, str]:
    """The quick-start snippets of README text by name, blocks of one name joined in order."""
    snippets: dict[str, list[str]] = {}
    for match in SNIPPET.finditer(text):
        snippets.setdefault(match["name"], []).append(match["body"])
    return {name: "\n\n".join(bodies) for name, bodies in snippets.items()}


@pytest.fixture(scope="module")
def snippets() -> dict[str, str]:
    return readme_snippets(README.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Pictures:
    selfie: Path
    selfie_2: Path
    id_image: Path

    def env(self) -> dict[str, str]:
        return {"SELFIE": str(self.selfie), "SELFIE_2": str(self.selfie_2), "ID_IMAGE": str(self.id_image)}


@pytest.fixture(scope="module")
def pictures(faces_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Pictures:
    """Two selfies of one man and a generated passport carrying the first as its portrait."""
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    selfie = examples / "knn_examples" / "test" / "obama1.jpg"
    passport = tmp_path_factory.mktemp("readme-pictures") / "passport.jpg"
    page = render_document(DocumentSpec(), portrait_bgr=cv2.imread(str(selfie)))
    assert cv2.imwrite(str(passport), page, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return Pictures(selfie=selfie, selfie_2=examples / "obama2.jpg", id_image=passport)


def reader_directory(base: Path, deployment: Deployment) -> Path:
    """A directory as the README's reader has it: `.venv` beside the server's `./openkyc-data`."""
    venv_openkyc = Path(sys.prefix) / "bin" / "openkyc"
    if not venv_openkyc.exists():
        pytest.fail(
            f"the README runs .venv/bin/openkyc; this interpreter's environment has no {venv_openkyc}"
        )
    workdir = base / "reader"
    workdir.mkdir()
    (workdir / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    (workdir / "openkyc-data").symlink_to(deployment.data_dir, target_is_directory=True)
    return workdir


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without openkyc's settings (the snippets must not need them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENKYC_", "NODE_"))}
    return {**env, **extra}


def require_tools(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"the README's quick start needs {', '.join(missing)} on PATH")


def run(command: list[str], *, cwd: Path, env: dict[str, str], script: str) -> str:
    """Run a snippet; its stdout (a failure shows both streams)."""
    done = subprocess.run(
        command, input=script, cwd=cwd, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )
    assert done.returncode == 0, f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


@dataclass(frozen=True)
class Reader:
    """Someone following the quick start: their directory, server and freshly made partner."""

    workdir: Path
    url: str
    partner_id: str
    api_key: str

    def env(self, pictures: Pictures, **extra: str) -> dict[str, str]:
        return clean_environment(
            OPENKYC_URL=self.url, PARTNER_ID=self.partner_id, API_KEY=self.api_key, **pictures.env(), **extra
        )


def make_reader(workdir: Path, deployment: Deployment, keys_snippet: str) -> Reader:
    """Run the README's keys snippet in the reader's directory and read back what it exported."""
    require_tools("bash", "jq")
    script = f'{keys_snippet}\nprintf "%s\\n" "$PARTNER_ID" "$API_KEY"\n'
    partner_id, api_key = run(["bash"], cwd=workdir, env=clean_environment(), script=script).split()
    # A partner of the reader's own, not the one the deployment started with.
    assert partner_id != deployment.partner_id and api_key not in (deployment.sandbox_key, "null")
    return Reader(workdir, deployment.base_url, partner_id, api_key)


@pytest.fixture(scope="module")
def http_reader(snippets: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reader]:
    base = tmp_path_factory.mktemp("readme-http")
    deployment = start_deployment("embedded", base / "openkyc-data")
    try:
        yield make_reader(reader_directory(base, deployment), deployment, snippets["keys"])
    finally:
        deployment.stop()


def json_documents(text: str) -> list[Any]:
    """Every JSON value printed one after the other (jq's pretty output), skipping other lines."""
    decoder, found, position = json.JSONDecoder(), [], 0
    while position < len(text):
        start = text.find("{", position)
        if start < 0:
            break
        try:
            value, position = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            position = start + 1
            continue
        found.append(value)
    return found


def assert_sdk_lines(stdout: str, *, true: str) -> None:
    """The SDK snippets' lines: `JOB_TYPE SUCCESS CODE TEXT` per job, then the job status line."""
    lines = stdout.strip().splitlines()
    assert lines[:3] == [f"{job_type} {true} {code} {text}" for job_type, code, text in EXPECTED_RESULTS], (
        stdout
    )
    assert re.fullmatch(rf"job_status {true} 0840 .*selfie_image.*", lines[3]), stdout


def test_the_snippets_are_found() -> None:
    found = readme_snippets(README.read_text(encoding="utf-8"))
    assert set(found) == NAMES
    # The test command line and the install/serve command stay in the README as they are.
    text = README.read_text(encoding="utf-8")
    assert (
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && .venv/bin/python -m pytest" in text
    )
    assert (
        "python3 -m venv .venv && .venv/bin/pip install --no-compile --no-deps -r requirements.txt -e . "
        "&& .venv/bin/openkyc serve" in text
    )


# The snippets need command-line tools beside the suite (bash, curl, openssl, jq; Node for its own),
# so, like the Node SDK's tests, they are `services` tests: `-m "not services"` leaves them out.
@pytest.mark.services
def test_the_curl_signature_one_liner_is_the_servers_signature(
    snippets: dict[str, str], tmp_path: Path
) -> None:
    require_tools("bash", "openssl", "base64")
    sign = next(line for line in snippets["curl"].splitlines() if line.startswith("sign()"))
    env = clean_environment(PARTNER_ID="1234", API_KEY="e2b1c0c5-9d3e-4f59-9c1f-5a6f9d0e7b21")
    timestamp, signature = run(["bash"], cwd=tmp_path, env=env, script=f"{sign}\nsign\n").split()
    assert signature == compute_signature(env["API_KEY"], env["PARTNER_ID"], timestamp)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", timestamp)


@pytest.mark.slow
@pytest.mark.services
def test_curl(http_reader: Reader, pictures: Pictures, snippets: dict[str, str]) -> None:
    require_tools("bash", "curl", "openssl", "jq", "python3")
    stdout = run(["bash"], cwd=http_reader.workdir, env=http_reader.env(pictures), script=snippets["curl"])
    documents = json_documents(stdout)
    results = [doc for doc in documents if "job_success" in doc]
    assert [(doc["job_success"], doc["ResultCode"], doc["ResultText"]) for doc in results] == [
        (True, code, text) for _, code, text in EXPECTED_RESULTS
    ], stdout
    assert results[0]["Actions"]["Register_Selfie"] == "Approved"
    assert results[1]["Actions"]["Selfie_To_Registered_Selfie_Compare"] == "Completed"
    assert results[2]["Actions"]["Selfie_To_ID_Card_Compare"] == "Completed"
    # `openkyc jobs show` of the last job: the operator's view, with the evidence reasons.
    shown = [doc for doc in documents if "reasons" in doc]
    assert shown and shown[-1]["result"]["ResultCode"] == "0810", stdout


@pytest.mark.slow
@pytest.mark.services
def test_python_sdk(http_reader: Reader, pictures: Pictures, snippets: dict[str, str]) -> None:
    stdout = run(
        [sys.executable, "-"],
        cwd=http_reader.workdir,
        env=http_reader.env(pictures),
        script=snippets["python"],
    )
    assert_sdk_lines(stdout, true="True")


@pytest.mark.services
def test_links_snippet(http_reader: Reader, pictures: Pictures, snippets: dict[str, str]) -> None:
    """The verification-link snippet creates a link whose page names the company, and reads it back."""
    stdout = run(
        [sys.executable, "-"],
        cwd=http_reader.workdir,
        env=http_reader.env(pictures),
        script=snippets["links"],
    )
    url, figures = stdout.strip().splitlines()[-2:]
    assert url.startswith(f"{http_reader.url}/verify/")
    assert figures == "active 0 0 0"
    page = httpx.get(url, timeout=30)
    assert page.status_code == 200 and "Acme Ltd" in page.text and "https://acme.example/privacy" in page.text


def test_the_ruby_snippet_parses(snippets: dict[str, str], tmp_path: Path) -> None:
    """Syntax only, where Ruby is installed: the SDK's gem cannot be installed here (see the module)."""
    ruby = shutil.which("ruby")
    if ruby is None:
        pytest.skip("no ruby on PATH: the README's Ruby snippet is not checked")
    script = tmp_path / "quickstart.rb"
    script.write_text(snippets["ruby"] + "\n")
    done = subprocess.run([ruby, "-c", str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "Syntax OK" in done.stdout, done.stdout + done.stderr


@pytest.mark.slow
def test_node_sdk_over_tls(
    node_sdk: Path, pictures: Pictures, snippets: dict[str, str], tmp_path: Path
) -> None:
    require_tools("bash", "openssl", "jq")
    # The README's certificate, made by its own command line, is the one the server presents.
    run(["bash"], cwd=tmp_path, env=clean_environment(), script=snippets["tls"])
    cert, key = tmp_path / "openkyc-cert.pem", tmp_path / "openkyc-key.pem"
    deployment = start_deployment(
        "embedded", tmp_path / "openkyc-data", tls=TlsOptions(cert=cert, key=key, ca=cert)
    )
    try:
        reader = make_reader(reader_directory(tmp_path, deployment), deployment, snippets["keys"])
        assert reader.url.startswith("https://")
        env = reader.env(pictures, NODE_EXTRA_CA_CERTS=str(cert), NODE_PATH=str(node_sdk / "node_modules"))
        node = shutil.which("node")
        assert node is not None
        stdout = run([node, "-"], cwd=reader.workdir, env=env, script=snippets["node"])
    finally:
        deployment.stop()
    assert_sdk_lines(stdout, true="true")
