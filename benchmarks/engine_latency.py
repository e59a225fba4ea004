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
import multiprocessing
import resource
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
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
    """Peak resident set size of this process (VmHWM, in MB).

    Read from /proc rather than getrusage: ru_maxrss survives fork+exec, so a fresh worker would
    report its parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(
    selfie: bytes, frames: list[bytes], document: bytes, doc_selfie: bytes, runs: int
) -> dict[str, Any]:
    """Everything a verification worker process does, measured inside a fresh process.

    A fresh process, so that the peak RSS is that of a worker with every model loaded and not
    that of the benchmark's own preparation (which holds the decoded video in memory).
    """
    baseline = rss_mb()

    def run_smart_selfie() -> Any:
        return assess_smart_selfie(load_image(selfie), [load_image(f) for f in frames])

    def run_document() -> Any:
        return assess_document_verification(
            load_image(document), load_image(doc_selfie), declared_id_type="PASSPORT"
        )

    # The first run of each loads the models (once per process, as in a worker).
    cold: dict[str, float] = {}
    for name, job in (("smart_selfie", run_smart_selfie), ("document", run_document)):
        started = time.perf_counter()
        job()
        cold[name] = (time.perf_counter() - started) * 1000
    loaded = rss_mb()
    selfie_ms, selfie_evidence = time_runs(run_smart_selfie, runs)
    document_ms, document_evidence = time_runs(run_document, runs)
    return {
        "cold": cold,
        "rss_baseline": baseline,
        "rss_loaded": loaded,
        "rss_peak": rss_mb(),
        "selfie_ms": selfie_ms,
        "document_ms": document_ms,
        "selfie_decision": selfie_evidence.decision.value,
        "selfie_reasons": [r.code for r in selfie_evidence.reasons],
        "selfie_stages": selfie_evidence.timings_ms,
        "document_decision": document_evidence.decision.value,
        "document_reasons": [r.code for r in document_evidence.reasons],
        "document_stages": {**document_evidence.timings_ms, **document_evidence.document.timings_ms},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    print("preparing material ...")
    selfie, frames = smart_selfie_job()
    document, doc_selfie = document_job()
    print(f"  SmartSelfie: selfie {len(selfie) // 1024} KB + {len(frames)} frames of 480x640")
    print(
        f"  DocV: document {len(document) // 1024} KB (2200 px passport page), selfie {len(doc_selfie) // 1024} KB"
    )
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        r = pool.submit(worker, selfie, frames, document, doc_selfie, args.runs).result()

    print(
        f"first runs (model loading included): SmartSelfie {r['cold']['smart_selfie']:.0f} ms, DocV {r['cold']['document']:.0f} ms"
    )
    print(f"SmartSelfie (selfie + {len(frames)} frames), {args.runs} runs: {timing_summary(r['selfie_ms'])}")
    print(
        f"  decision {r['selfie_decision']} {r['selfie_reasons']}; stages (last run, ms) {r['selfie_stages']}"
    )
    print(f"Document Verification (document + selfie), {args.runs} runs: {timing_summary(r['document_ms'])}")
    print(f"  decision {r['document_decision']} {r['document_reasons']}")
    print(f"  stages (last run, ms) {r['document_stages']}")
    print(
        f"worker process RSS: {r['rss_baseline']:.0f} MB after imports, {r['rss_loaded']:.0f} MB with all models "
        f"loaded, peak {r['rss_peak']:.0f} MB"
    )
    print(
        f"targets: SmartSelfie p50 {percentile(r['selfie_ms'], 50):.0f} ms (<= 1500), "
        f"DocV p50 {percentile(r['document_ms'], 50):.0f} ms (<= 2500), peak RSS {r['rss_peak']:.0f} MB (<= 1536)"
    )
    plot(r["selfie_ms"], r["document_ms"])


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
