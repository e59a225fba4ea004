"""What the install costs: a fresh ``pip install -e .`` timed, and the venv's size per distribution.

Creates a virtual environment in a temporary directory (or ``--venv DIR``, kept afterwards), runs
``pip install -q -e <repo>[extras]`` in it and times it, then prints one row per installed
distribution, largest first: its size on disk (the files its ``RECORD`` lists, read through
``importlib.metadata`` inside the new venv), file count and which requirement brought it in, then
the venv's total size (everything under it, pip's own files included) and the install seconds.
``--lock --no-compile`` installs as the README does: ``pip install --no-compile --no-deps -r
requirements.txt -e .`` (the whole tree pinned, less what openkyc never loads:
tools/lock_requirements.py). ``--measure DIR``
only measures an existing venv, installing nothing (so a shared venv can be sized without being
touched). Two distributions that write the same file (``opencv-python-headless`` and
``opencv-contrib-python`` both write ``cv2/``) each count it, so the rows can add up to more than
the total.

The seconds depend on pip's cache and the index: the figure printed is for this machine as it is
(its pip cache, its index mirror); ``--no-cache`` passes ``--no-cache-dir`` for a cold-cache figure.
pip compiles every module it installs to bytecode (a sixth of the lean venv); ``--no-compile``
leaves that to Python, which writes the ``.pyc`` of the modules actually imported on first use.

    python3 -m benchmarks.install_size [--lock] [--extras dev] [--venv DIR] [--no-cache] [--no-compile]
        [--top 40]
    python3 -m benchmarks.install_size --measure .venv
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import REPO_ROOT

# Run by the venv's own interpreter: each distribution's files, sized, and what it requires.
_PROBE = r"""
import json, os
from importlib import metadata
rows = []
for dist in metadata.distributions():
    size = files = 0
    for item in dist.files or ():
        path = item.locate()
        try:
            size += os.path.getsize(path)
            files += 1
        except OSError:
            pass
    rows.append({"name": dist.metadata["Name"], "version": dist.version, "bytes": size, "files": files,
                 "requires": list(dist.requires or ())})
print(json.dumps(rows))
"""


def _key(name: str) -> str:
    """A distribution name in PEP 503 normal form, so requirements and names compare equal."""
    return name.lower().replace("_", "-").replace(".", "-")


def tree_bytes(root: Path) -> int:
    """Bytes of every regular file under ``root`` (links not followed)."""
    total = 0
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if not path.is_symlink():
                total += path.stat().st_size
    return total


def probe(venv: Path) -> list[dict[str, Any]]:
    """Per-distribution sizes, as the venv's interpreter sees them."""
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", _PROBE], check=True, capture_output=True, text=True
    ).stdout
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


# A Requires-Dist line: the name, the extras it asks of that distribution, and the extra of the
# requiring distribution it belongs to (``name[a,b]>=1; extra == "dev"``). Other markers are not
# evaluated: a requirement whose marker excludes this machine names a distribution not installed.
_REQ_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_REQ_EXTRA = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")


def parse_requirement(line: str) -> tuple[str, frozenset[str], str | None]:
    """(name, extras asked of it, the requirer's extra it belongs to or None) of a Requires-Dist line."""
    match = _REQ_NAME.match(line)
    if match is None:
        raise ValueError(f"not a requirement: {line!r}")
    extras = frozenset(_key(e.strip()) for e in (match.group(2) or "").split(",") if e.strip())
    gate = _REQ_EXTRA.search(line)
    return _key(match.group(1)), extras, _key(gate.group(1)) if gate else None


def brought_by(rows: list[dict[str, Any]]) -> dict[str, str]:
    """For each distribution, the distribution whose requirement brought it in.

    Walks the requirements from openkyc (with all of its extras: a dev install asks for them),
    following a requirement behind an extra only when that extra was asked for (``psycopg[binary]``
    brings ``psycopg-binary``; onnxruntime's ``symbolic`` extra is never asked, so sympy is torch's).
    Among the ways a distribution is reached, the one through the fewest extras wins, then the
    shortest: matplotlib is charged to mediapipe, which always requires it, not to openkyc's dev
    extra; ml_dtypes to onnx (openkyc's own requirement), not to jax (mediapipe's)."""
    by_name = {_key(row["name"]): row for row in rows}
    if "openkyc" not in by_name:
        return {}
    parsed = {name: [parse_requirement(line) for line in row["requires"]] for name, row in by_name.items()}
    root_extras = frozenset(gate for _, _, gate in parsed["openkyc"] if gate)
    # Shortest paths (Dijkstra) by (extras passed through, requirements followed).
    best: dict[str, tuple[int, int]] = {"openkyc": (0, 0)}
    parent: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    heap: list[tuple[int, int, int, str, frozenset[str]]] = [(0, 0, 0, "openkyc", root_extras)]
    pushed = 0
    while heap:
        gates, hops, _, name, extras = heapq.heappop(heap)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        for child, child_extras, gate in parsed[name]:
            if child not in by_name or (gate is not None and gate not in extras):
                continue
            cost = (gates + (gate is not None), hops + 1)
            if cost < best.get(child, (cost[0] + 1, 0)):
                best[child] = cost
                parent[child] = by_name[name]["name"]
            pushed += 1
            heapq.heappush(heap, (*cost, pushed, child, child_extras))
    return parent


def report(venv: Path, seconds: float | None, top: int) -> None:
    rows = sorted(probe(venv), key=lambda row: row["bytes"], reverse=True)
    parent = brought_by(rows)
    print(f"{'distribution':32} {'version':16} {'MB':>8} {'files':>6}  required by")
    for row in rows[:top]:
        print(
            f"{row['name']:32} {row['version']:16} {row['bytes'] / 1e6:8.1f} {row['files']:6}  "
            f"{parent.get(_key(row['name']), '-')}"
        )
    rest = rows[top:]
    if rest:
        print(f"{f'... {len(rest)} more':49} {sum(r['bytes'] for r in rest) / 1e6:8.1f}")
    print(f"distributions: {len(rows)}")
    print(f"venv total: {tree_bytes(venv) / 1e6:.1f} MB ({venv})")
    if seconds is not None:
        print(f"install: {seconds:.1f} s")


def install(venv: Path, extras: str, no_cache: bool, lock: bool, no_compile: bool) -> float:
    """Create the venv and install the repository into it; the seconds pip took."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    target = f"{REPO_ROOT}[{extras}]" if extras else str(REPO_ROOT)
    command = [str(venv / "bin" / "pip"), "install", "-q"]
    if lock:
        command += ["--no-deps", "-r", str(REPO_ROOT / "requirements.txt")]
    command += ["-e", target]
    if no_cache:
        command.append("--no-cache-dir")
    if no_compile:
        command.append("--no-compile")
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--extras", default="", help="extras to install, e.g. dev")
    parser.add_argument("--venv", type=Path, help="create the venv here and keep it (default: a temp dir)")
    parser.add_argument("--measure", type=Path, help="only measure this existing venv")
    parser.add_argument(
        "--lock", action="store_true", help="the README's install: --no-deps -r requirements.txt -e ."
    )
    parser.add_argument("--no-cache", action="store_true", help="install with --no-cache-dir")
    parser.add_argument(
        "--no-compile", action="store_true", help="install with --no-compile (no .pyc until first import)"
    )
    parser.add_argument("--top", type=int, default=40, help="rows to print (the rest are summed)")
    args = parser.parse_args()
    if args.measure:
        report(args.measure.resolve(), None, args.top)
        return
    if args.venv:
        seconds = install(args.venv.resolve(), args.extras, args.no_cache, args.lock, args.no_compile)
        report(args.venv.resolve(), seconds, args.top)
        return
    with tempfile.TemporaryDirectory(prefix="openkyc-venv-") as tmp:
        venv = Path(tmp) / "venv"
        seconds = install(venv, args.extras, args.no_cache, args.lock, args.no_compile)
        report(venv, seconds, args.top)


if __name__ == "__main__":
    main()
