"""Build the labelled face material that benchmarks/face_bench.py measures on, beyond ../shared.

The images come from public GitHub repositories (see SOURCES: repository, commit, paths, licence).
They are not committed: this script copies them out of local git snapshots of those repositories
into a git-ignored cache (benchmarks/data/faces/cache/) and checks every file against the sha256
recorded in benchmarks/data/faces/manifest.csv, which is committed with the labels. A later
session or CI run with the same snapshots rebuilds exactly the same material; without them the
benchmark runs on the shared set alone and says so.

    .venv/bin/python -m tools.face_material --mirrors /work/.mirror      # build the cache
    .venv/bin/python -m tools.face_material --mirrors DIR --write-manifest  # (re)record sha256s

``--mirrors`` is a folder holding one bare or working git repository per source, named
``owner+name`` (or ``owner+name/repo``), at (or containing) the recorded commit.

Besides copies, the script derives **ID-portrait** images: a London-set neutral photo printed as the
small portrait of an identity card (downscaled to ~100-140 px face width, desaturated and
colour-cast like a laminated print, halftone-like noise, JPEG at quality 35-60, placed on a pale
card background). Each is paired with the same person's smiling photo (a "selfie"), the pair a
Biometric KYC or Document Verification job compares. They are deterministic (seeded per image).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "benchmarks" / "data" / "faces"
CACHE_DIR = DATA_DIR / "cache"
MANIFEST = DATA_DIR / "manifest.csv"
MANIFEST_FIELDS = ("image", "identity", "source", "role", "repo", "commit", "path", "sha256", "licence")


@dataclass(frozen=True)
class Source:
    """One set of images in one repository at one commit, all under one licence."""

    name: str  # the benchmark's source name (leave-one-source-out unit)
    repo: str
    commit: str
    patterns: tuple[str, ...]
    licence: str
    role: str = "face"  # face | no_face

    def identity(self, path: str) -> str:
        """The person a file shows, from its name (each source's own naming scheme)."""
        stem = Path(path).stem
        parent = Path(path).parent.name
        if self.name == "facelab_london":
            return f"london_{stem.split('_')[0]}"  # 001_03 (neutral) and 001_08 (smiling)
        if self.name == "facelab_canada":
            return f"canada_{stem}"
        if self.name in ("facelab_lisa", "facelab_zoom"):
            # README: "four images of the same person" each; by viewing, both sets show one person.
            return "facelab_lisa"
        if self.name == "kpop_idols":
            return f"kpop_{parent.replace(' ', '_').lower()}"
        if self.name == "kinfacew2":
            # fd_001_1.jpg: relation fd, family 001, member 1 (parent) or 2 (child).
            return f"kin2_{stem}"
        if self.name == "human_samples":
            if stem.startswith("stock-emotions-"):
                return f"human_{stem.rsplit('-', 1)[0]}"
            if stem.startswith("person-vlado"):
                return "human_person-vlado"
        if self.role == "no_face":
            return ""
        raise ValueError(f"{self.name}: no identity rule for {path}")


WEBMORPH = ("debruine/webmorphR.stim", "fa8b78fda2d659bb74ce62fcd99c4407551d2a77")
SOURCES: tuple[Source, ...] = (
    Source(
        "facelab_london",
        *WEBMORPH,
        ("inst/neutral_front/[0-9]*.jpg", "inst/smiling_front/[0-9]*.jpg"),
        "CC-BY-4.0: DeBruine & Jones (2017) Face Research Lab London Set, doi:10.6084/m9.figshare.5047666.v5",
    ),
    Source(
        "facelab_canada",
        *WEBMORPH,
        ("inst/canada/*.jpg",),
        "CC-BY-4.0: DeBruine & Jones (2017) Young Adult White Faces, doi:10.6084/m9.figshare.4220517.v1",
    ),
    Source("facelab_lisa", *WEBMORPH, ("inst/lisa/*.jpg",), "CC0-1.0 (webmorphR.stim README)"),
    Source("facelab_zoom", *WEBMORPH, ("inst/zoom/*.jpg",), "CC0-1.0 (webmorphR.stim README)"),
    Source(
        "pixabay_no_face",
        *WEBMORPH,
        ("inst/rainbow/*.jpg",),
        "Pixabay Licence (webmorphR.stim rainbow set; animals, flowers, landscapes: no faces)",
        role="no_face",
    ),
    Source(
        "kpop_idols",
        "WeiMing1100/FYP-2-Korean-Idol-Face-Recognition-with-Explanation-",
        "d5dc9b70dac004ef6f61b467952362d013d41640",
        ("pairs/*/*.png",),
        "repository MIT; photos of public figures, copyright of their photographers: measurement only",
    ),
    Source(
        "kinfacew2",
        "simran029/KinVerCNN",
        "6c2712e5053b88437d9978b3d3edf01a2eef8a39",
        ("KinFaceW-II/KinFaceW-II/images/*/*.jpg",),
        "KinFaceW-II (Lu et al., CVPR 2012), released for research: measurement only, never training",
    ),
    Source(
        "human_samples",
        "vladmandic/human",
        "151df64d",
        ("samples/in/stock-emotions-*.jpg", "samples/in/person-vlado*.jpg"),
        "repository MIT; stock photos: measurement only",
    ),
)


@dataclass(frozen=True)
class Item:
    image: str  # path under CACHE_DIR: <source>/<file>
    identity: str
    source: str
    role: str
    repo: str
    commit: str
    path: str
    licence: str


def find_mirror(mirrors: Path, repo: str) -> Path:
    base = mirrors / repo.replace("/", "+")
    for candidate in (base / "repo", base):
        if (candidate / "HEAD").exists() or (candidate / ".git").exists():
            return candidate
    raise FileNotFoundError(f"no git snapshot of {repo} under {mirrors}")


def git(mirror: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(mirror), *args], check=True, capture_output=True).stdout


def list_items(mirrors: Path) -> Iterator[tuple[Item, Path]]:
    for source in SOURCES:
        mirror = find_mirror(mirrors, source.repo)
        commit = git(mirror, "rev-parse", f"{source.commit}^{{commit}}").decode().strip()
        paths = git(mirror, "ls-tree", "-r", "--name-only", commit).decode().splitlines()
        for path in sorted(paths):
            # "._name" files are macOS resource forks, not images.
            if Path(path).name.startswith("._") or not any(fnmatch(path, p) for p in source.patterns):
                continue
            relation = Path(path).parent.name if source.name == "kinfacew2" else ""
            # Two KinFaceW-II folders can hold the same file name; keep the relation in the key.
            name = f"{relation}_{Path(path).name}" if relation else Path(path).name
            if source.name == "kpop_idols":
                name = f"{Path(path).parent.name.replace(' ', '_')}_{Path(path).name}"
            identity = source.identity(path)
            if source.name == "kinfacew2":
                identity = f"kin2_{relation}_{Path(path).stem}"
            item = Item(
                image=f"{source.name}/{name}",
                identity=identity,
                source=source.name,
                role=source.role,
                repo=source.repo,
                commit=commit,
                path=path,
                licence=source.licence,
            )
            yield item, mirror


def id_portrait(bgr: NDArray[Any], seed: int) -> NDArray[Any]:
    """The photo as the printed portrait of an ID card, photographed or scanned at a small size."""
    rng = np.random.default_rng(seed)
    height, width = bgr.shape[:2]
    # Portrait crop: head and shoulders, as ID photos are framed (the London photos are centred).
    crop = bgr[int(0.08 * height) : int(0.92 * height), int(0.14 * width) : int(0.86 * width)]
    portrait_width = int(rng.integers(110, 170))
    scale = portrait_width / crop.shape[1]
    small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA).astype(np.float32)
    # Laminated print: lower saturation and contrast, a colour cast, lifted blacks.
    grey = small.mean(axis=2, keepdims=True)
    saturation = rng.uniform(0.35, 0.8)
    small = grey + saturation * (small - grey)
    small = small * rng.uniform(0.75, 0.95) + rng.uniform(15, 40)
    small = small * rng.uniform(0.9, 1.08, size=3).astype(np.float32)
    # Print screen / sensor noise, then the blur of a phone capture.
    small += rng.normal(0, rng.uniform(3, 8), size=small.shape).astype(np.float32)
    small = cv2.GaussianBlur(small, (0, 0), rng.uniform(0.4, 1.0))
    portrait = np.clip(small, 0, 255).astype(np.uint8)
    # On a pale card with a margin, as a crop of a document photo would be.
    margin = int(rng.integers(20, 60))
    card_colour = rng.integers(200, 245, size=3).tolist()
    card = cv2.copyMakeBorder(
        portrait, margin, margin, margin, margin * 3, cv2.BORDER_CONSTANT, value=card_colour
    )
    quality = int(rng.integers(35, 61))
    ok, encoded = cv2.imencode(".jpg", card, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build(mirrors: Path, write_manifest: bool) -> int:
    recorded = {}
    if MANIFEST.exists() and not write_manifest:
        with MANIFEST.open(newline="") as handle:
            recorded = {row["image"]: row["sha256"] for row in csv.DictReader(handle)}
    rows: list[dict[str, str]] = []
    mismatches = 0
    for item, mirror in list_items(mirrors):
        data = git(mirror, "show", f"{item.commit}:{item.path}")
        digest = sha256(data)
        if recorded and recorded.get(item.image) != digest:
            print(f"sha256 differs from the manifest: {item.image}", file=sys.stderr)
            mismatches += 1
            continue
        target = CACHE_DIR / item.image
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        rows.append({**item.__dict__, "sha256": digest})
        if item.source == "facelab_london" and "neutral_front" in item.path:
            derived = id_portrait(
                cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), seed=len(rows)
            )
            name = f"facelab_london_idcard/{Path(item.path).stem}_idcard.jpg"
            ok, encoded = cv2.imencode(".jpg", derived, [cv2.IMWRITE_JPEG_QUALITY, 95])
            if not ok:
                raise RuntimeError("JPEG encoding failed")
            (CACHE_DIR / name).parent.mkdir(parents=True, exist_ok=True)
            (CACHE_DIR / name).write_bytes(encoded.tobytes())
            rows.append(
                {
                    **item.__dict__,
                    "image": name,
                    "role": "id_portrait",
                    "path": f"derived by tools/face_material.py id_portrait() from {item.path}",
                    "sha256": sha256(encoded.tobytes()),
                }
            )
    if write_manifest:
        with MANIFEST.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=MANIFEST_FIELDS)
            writer.writeheader()
            writer.writerows({k: row[k] for k in MANIFEST_FIELDS} for row in rows)
    print(f"{len(rows)} images under {CACHE_DIR}; {mismatches} sha256 mismatches")
    return 1 if mismatches else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mirrors", type=Path, required=True, help="folder of git snapshots, owner+name")
    parser.add_argument("--write-manifest", action="store_true", help="record the sha256s anew")
    args = parser.parse_args()
    raise SystemExit(build(args.mirrors, args.write_manifest))


if __name__ == "__main__":
    main()
