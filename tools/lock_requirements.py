"""Writes requirements.txt: the server's whole dependency tree pinned, less what openkyc never loads.

pip cannot leave out a dependency's dependency. ``mediapipe==0.10.21`` (BlazeFace and the 478-point
face mesh) requires jax, jaxlib, opencv-contrib-python, sounddevice and sentencepiece for
its other solutions and its model-making tools, and ``rapidocr-onnxruntime`` requires opencv-python
(a full cv2 with GUI libraries) beside our opencv-python-headless: a plain ``pip install -e .`` puts
1.6 GB in the venv, most of it never imported. The README's install is therefore
``pip install --no-deps -r requirements.txt -e .``: every distribution pinned, nothing resolved,
the distributions in :data:`CUT` left out. A plain ``pip install openkyc`` still works (it brings
them all); ``pip check`` in the lean venv names the cut ones as missing, by design.

The file is the closure of pyproject.toml's ``dependencies`` over the metadata of an environment
in which they are all installed (a fresh ``pip install -e .``), not descending into :data:`CUT`:

    python3 -m venv /tmp/full && /tmp/full/bin/pip install -e .
    .venv/bin/python -m tools.lock_requirements --site-packages /tmp/full/lib/python3.11/site-packages

tests/tools/test_lock_requirements.py checks that the file is that closure of the installed
metadata, pins what pyproject pins and satisfies every requirement between the distributions kept.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO / "requirements.txt"

# Distributions a dependency requires that no code path of the server imports, and why. The face
# mesh and BlazeFace run through mediapipe.python.solutions; ``import mediapipe`` also imports its
# drawing utilities (cv2 and matplotlib.pyplot, so matplotlib and its fontTools stay) and its tasks
# package, which never imports jax, sounddevice or sentencepiece (the liveness and face tests pass
# in a venv installed from this file). Its cv2 comes from our opencv-python-headless.
CUT: dict[str, str] = {
    "jax": "mediapipe's model-maker and LLM converters; the face graphs never import it",
    "jaxlib": "jax's compiled half (345 MB)",
    "opencv-contrib-python": "mediapipe's cv2, a second copy of cv2/ beside the opencv-python-headless openkyc pins",
    "opencv-python": "rapidocr-onnxruntime's cv2, a third copy, with the GUI libraries a server never loads",
    "sounddevice": "mediapipe's audio tasks",
    "sentencepiece": "mediapipe's text and LLM tasks",
}


def canonical(name: str) -> str:
    """A distribution name in PEP 503 normal form."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Lock:
    """Distributions kept (canonical name -> (name, version)) and the requirements between them."""

    pins: dict[str, tuple[str, str]] = field(default_factory=dict)
    edges: list[tuple[str, Requirement]] = field(default_factory=list)
    cut_seen: set[str] = field(default_factory=set)


def project_requirements(pyproject: Path = REPO / "pyproject.toml") -> list[Requirement]:
    """pyproject.toml's run-time ``dependencies`` (the extras are not the server's)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return [Requirement(line) for line in project["dependencies"]]


def closure(roots: Iterable[Requirement], dists: Iterable[metadata.Distribution]) -> Lock:
    """What ``roots`` need, transitively, in the installed ``dists``, stopping at :data:`CUT`."""
    installed = {canonical(dist.metadata["Name"]): dist for dist in dists}
    lock = Lock()
    queue: list[tuple[str, Requirement]] = [("openkyc", req) for req in roots]
    done: set[tuple[str, frozenset[str]]] = set()
    while queue:
        requirer, req = queue.pop(0)
        name = canonical(req.name)
        if name in CUT:
            lock.cut_seen.add(name)
            continue
        lock.edges.append((requirer, req))
        key = (name, frozenset(req.extras))
        if key in done:
            continue
        done.add(key)
        if name not in installed:
            raise LookupError(f"{req.name} (required by {requirer}) is not installed where the lock is read")
        dist = installed[name]
        lock.pins[name] = (dist.metadata["Name"], dist.version)
        for line in dist.requires or ():
            child = Requirement(line)
            wanted = child.marker is None or any(
                child.marker.evaluate({"extra": extra}) for extra in (*req.extras, "")
            )
            if wanted:
                queue.append((name, child))
    return lock


def render(lock: Lock) -> str:
    """requirements.txt's text: a header saying how to install and what is left out, then the pins."""
    lines = [
        "# The server's whole dependency tree, pinned; written by tools/lock_requirements.py from",
        "# pyproject.toml's dependencies. Install with pip's --no-deps so that nothing else is resolved:",
        "#     .venv/bin/pip install --no-deps -r requirements.txt -e .",
        "# Left out (required by a dependency, never loaded by openkyc; `pip check` names them):",
    ]
    lines += [f"#   {name}: {why}" for name, why in sorted(CUT.items()) if name in lock.cut_seen]
    lines += [
        f"{name}=={version}" for name, version in sorted(lock.pins.values(), key=lambda p: p[0].lower())
    ]
    return "\n".join(lines) + "\n"


def read_pins(path: Path = REQUIREMENTS) -> dict[str, str]:
    """canonical name -> version of each ``name==version`` line of a requirements file."""
    pins: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonical(name)] = version
    return pins


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--site-packages", type=Path, help="read the metadata here (default: this interpreter's environment)"
    )
    parser.add_argument("--stdout", action="store_true", help="print instead of writing requirements.txt")
    args = parser.parse_args(argv)
    paths = [str(args.site_packages)] if args.site_packages else sys.path
    text = render(closure(project_requirements(), metadata.distributions(path=paths)))
    if args.stdout:
        sys.stdout.write(text)
    else:
        REQUIREMENTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
