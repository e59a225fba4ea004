"""End-to-end evidence latency of a SmartSelfie job and a Document Verification job, and memory.

Each job starts from JPEG bytes (what a partner uploads) and ends with the engine's evidence:
decoding, face detection and embedding, quality, liveness, document location, OCR, MRZ, visual
zone, checks and the selfie-to-portrait comparison. Models are loaded (and timed) once first, as a
worker process would; then each job runs ``--runs`` times and p50/p95 are printed.

Material: the SmartSelfie job is a genuine selfie + 8 liveness frames cut from a face track of the
shared video (480x640 crops, as the SDKs send); the Document Verification job is a synthetic
passport data page (2200 px, the seeds' capture spec) carrying a shared face photo as its portrait,
plus a selfie that is another photo of the same person.

    .venv/bin/python -m benchmarks.engine_latency [--runs 15]
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.common import TESTDATA, out_path, percentile, timing_summary
from openkyc.engine.document_verification import assess_document_verification
from openkyc.engine.images import load_image
from openkyc.engine.smart_selfie import assess_smart_selfie
from openkyc.testing import attacks
from openkyc.testing.documents import DocumentSpec, render_document

FACES = TESTDATA / "faces" / "ageitgey+face_recognition" / "examples"
VIDEO = TESTDATA / "liveness" / "timesler+facenet-pytorch_examples_video.mp4"


def jpeg_bytes(bgr: np.ndarray, quality: int = 92) -> bytes:
    ok, buffer = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buffer.tobytes()


def smart_selfie_job() -> tuple[bytes, list[bytes]]:
    frames = attacks.read_video(VIDEO)
    tracks = attacks.face_tracks(frames, indices=range(0, len(frames), 2), min_length=9)
    longest = max(tracks, key=lambda t: len(t.frame_indices))
    sample = attacks.track_sequences(frames, longest, n_frames=8, stride=1)[0]
    return jpeg_bytes(sample.selfie), [jpeg_bytes(f) for f in sample.frames]


def document_job() -> tuple[bytes, bytes]:
    portrait = cv2.imread(str(FACES / "obama.jpg"))
    document = render_document(DocumentSpec(surname="OBAMA", given_names="BARACK"), portrait_bgr=portrait)
    selfie = cv2.imread(str(FACES / "obama2.jpg"))
    return jpeg_bytes(document, 90), jpeg_bytes(selfie)


def time_runs(job: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = job()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    print("preparing material ...")
    selfie, frames = smart_selfie_job()
    document, doc_selfie = document_job()
    print(f"  SmartSelfie: selfie {len(selfie) // 1024} KB + {len(frames)} frames")
    print(f"  DocV: document {len(document) // 1024} KB, selfie {len(doc_selfie) // 1024} KB")
    baseline = rss_mb()

    def run_smart_selfie() -> Any:
        return assess_smart_selfie(load_image(selfie), [load_image(f) for f in frames])

    def run_document() -> Any:
        return assess_document_verification(
            load_image(document), load_image(doc_selfie), declared_id_type="PASSPORT"
        )

    # The first run of each loads the models (once per process, as in a worker).
    cold = {}
    for name, job in (("SmartSelfie", run_smart_selfie), ("Document Verification", run_document)):
        started = time.perf_counter()
        evidence = job()
        cold[name] = (time.perf_counter() - started) * 1000
        print(f"{name}: first run (loads models) {cold[name]:.0f} ms -> decision {evidence.decision.value}")
    loaded = rss_mb()

    selfie_ms, selfie_evidence = time_runs(run_smart_selfie, args.runs)
    document_ms, document_evidence = time_runs(run_document, args.runs)
    print()
    print(f"SmartSelfie (selfie + {len(frames)} frames), {args.runs} runs: {timing_summary(selfie_ms)}")
    print(f"  decision {selfie_evidence.decision.value}; stages (last run) {selfie_evidence.timings_ms}")
    print(f"Document Verification (document + selfie), {args.runs} runs: {timing_summary(document_ms)}")
    print(f"  decision {document_evidence.decision.value} {[r.code for r in document_evidence.reasons]}")
    print(
        f"  stages (last run) {document_evidence.timings_ms} document {document_evidence.document.timings_ms}"
    )
    print(
        f"peak RSS: {rss_mb():.0f} MB (before models {baseline:.0f} MB, after loading all models {loaded:.0f} MB)"
    )
    print(
        f"targets: SmartSelfie p50 {percentile(selfie_ms, 50):.0f} ms (<= 1500), "
        f"DocV p50 {percentile(document_ms, 50):.0f} ms (<= 2500), RSS {rss_mb():.0f} MB (<= 1536)"
    )
    plot(selfie_ms, document_ms)


def plot(selfie_ms: list[float], document_ms: list[float]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.boxplot(
        [selfie_ms, document_ms], tick_labels=["SmartSelfie\n(selfie + 8 frames)", "Document Verification"]
    )
    ax.axhline(1500, color="tab:blue", linestyle="--", linewidth=1, label="SmartSelfie target p50")
    ax.axhline(2500, color="tab:orange", linestyle="--", linewidth=1, label="DocV target p50")
    ax.set_ylabel("ms per job (evidence from JPEG bytes)")
    ax.legend()
    fig.tight_layout()
    path = out_path("engine_latency.png")
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")
    return path


if __name__ == "__main__":
    main()
