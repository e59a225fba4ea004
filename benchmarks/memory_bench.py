"""Peak memory of a verification worker on the largest accepted upload, before and after decoding
large images small.

The upload: a Document Verification zip (job type 6) holding three 6300 x 6300 JPEGs (39.7 MP
each, under the 40 MP a single image may have; 119 MP together, under the job's 150 MP; the zip
just under its 30 MiB limit): a selfie (a shared face photo, scaled up), the front of a passport
data page (rendered, with another photo of the same person as its portrait, photographed on a
desk) and its back. Sensor-like noise makes the files as large as a phone's.

Each run is a fresh process that does what a worker does: load every model (a small warm-up job),
then take the zip in (``read_job_payload``) and run the Document Verification engine on it. Its
peak resident set (VmHWM) is read at the end. Two ways of decoding are measured side by side:

* ``full``: the decoder as it was (every image decoded at full size, then turned upright and
  converted to BGR), patched in for this run;
* ``reduced``: the decoder now (JPEGs decoded at 1/2, 1/4 or 1/8 of their size by DCT scaling,
  then brought to 2400 px).

The API's own checks of an upload (``uploads.check_payload``, before the job is queued) decode the
images too; their peak is measured the same way, in a process without models.

    .venv/bin/python -m benchmarks.memory_bench [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import statistics
import time
import warnings
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from benchmarks.common import TESTDATA, out_path

FACES = TESTDATA / "faces" / "ageitgey+face_recognition" / "examples"
SIDE = 6300
MAX_ZIP_BYTES = 30 * 1024 * 1024  # ZipLimits.max_zip_bytes


def _jpeg(bgr: NDArray[np.uint8], quality: int) -> bytes:
    ok, buffer = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buffer.tobytes()


def _noisy(bgr: NDArray[np.uint8], seed: int) -> NDArray[np.uint8]:
    """Phone-sensor-like noise (sigma 3), which keeps the JPEG as large as a real photo's."""
    noise = np.random.default_rng(seed).normal(0.0, 3.0, bgr.shape).astype(np.float32)
    return np.clip(bgr.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def _square_face(path: Path) -> NDArray[np.uint8]:
    photo = cv2.imread(str(path))
    height, width = photo.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    crop = photo[top : top + side, left : left + side]
    return np.asarray(cv2.resize(crop, (SIDE, SIDE), interpolation=cv2.INTER_CUBIC), np.uint8)


def _on_desk(document: NDArray[np.uint8], seed: int) -> NDArray[np.uint8]:
    """The document photographed on a wooden-brown desk, filling 90% of a 6300 x 6300 frame."""
    rng = np.random.default_rng(seed)
    desk = np.empty((SIDE, SIDE, 3), np.uint8)
    desk[:] = (60, 90, 130)
    grain = cv2.resize(rng.normal(0, 12, (64, 64)).astype(np.float32), (SIDE, SIDE))
    desk = np.clip(desk.astype(np.float32) + grain[:, :, None], 0, 255).astype(np.uint8)
    width = int(SIDE * 0.9)
    height = round(document.shape[0] * width / document.shape[1])
    scaled = cv2.resize(document, (width, height), interpolation=cv2.INTER_CUBIC)
    top, left = (SIDE - height) // 2, (SIDE - width) // 2
    desk[top : top + height, left : left + width] = scaled
    return desk


def build_zip() -> tuple[bytes, dict[str, int]]:
    """The zip, and the byte size of each image in it."""
    from testkit.documents import DocumentSpec, render_document

    selfie = _noisy(_square_face(FACES / "obama2.jpg"), 1)
    portrait = cv2.imread(str(FACES / "obama.jpg"))
    spec = DocumentSpec(surname="OBAMA", given_names="BARACK")
    front = _noisy(_on_desk(render_document(spec, portrait_bgr=portrait), 2), 3)
    back = _noisy(_on_desk(render_document(spec, portrait_bgr=portrait)[:, ::-1].copy(), 4), 5)
    images = {"selfie.jpg": selfie, "id_front.jpg": front, "id_back.jpg": back}
    for quality in (95, 93, 91, 89, 87, 85, 80, 75):
        encoded = {name: _jpeg(bgr, quality) for name, bgr in images.items()}
        info = {
            "package_information": {"apiVersion": {"buildNumber": 0, "majorVersion": 2, "minorVersion": 0}},
            "misc_information": {
                "retry": "false",
                "partner_params": {"user_id": "user-1", "job_id": "job-1", "job_type": 6},
                "smile_client_id": "2343",
                "callback_url": "https://partner.example/callback",
            },
            "id_info": {"country": "US", "id_type": "PASSPORT", "entered": "false"},
            "images": [
                {"image_type_id": 0, "file_name": "selfie.jpg"},
                {"image_type_id": 1, "file_name": "id_front.jpg"},
                {"image_type_id": 5, "file_name": "id_back.jpg"},
            ],
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("info.json", json.dumps(info))
            for name, data in encoded.items():
                archive.writestr(name, data)
        if len(buffer.getvalue()) <= MAX_ZIP_BYTES - 64 * 1024:
            return buffer.getvalue(), {name: len(data) for name, data in encoded.items()}
    raise RuntimeError("no JPEG quality fits the zip limit")


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _reset_peak() -> None:
    """Start VmHWM again from the current RSS (Linux: write 5 to clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def _old_load_image(source: Any, *, limits: Any = None) -> Any:
    """The decoder before images were decoded small: full size, then upright, then BGR (a copy
    of ``openkyc.engine.images.decode.load_image`` as it was, less its error mapping)."""
    from PIL import Image, ImageOps

    from openkyc.engine.images.decode import DecodedImage, ImageLimits, _exif_orientation, _to_rgb

    limits = limits or ImageLimits()
    data = bytes(source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = Image.open(io.BytesIO(data))
    with image:
        image.load()
        stored_grayscale = image.mode in {"1", "L", "LA", "I", "I;16", "F"}
        orientation = _exif_orientation(image)
        upright = ImageOps.exif_transpose(image) if orientation not in (None, 1) else image
        rgb = _to_rgb(upright)
    bgr = np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])
    return DecodedImage(
        bgr=bgr,
        format=str(image.format),
        byte_size=len(data),
        stored_grayscale=stored_grayscale,
        exif_rotated=orientation not in (None, 1),
    )


def worker_run(zip_bytes: bytes, mode: str) -> dict[str, Any]:
    """One worker process: models loaded, then the job taken in and verified."""
    from openkyc.engine.document_verification import assess_document_verification
    from openkyc.engine.images import load_image
    from openkyc.jobs.intake import IntakeLimits, read_job_payload
    from openkyc.jobs.intake import images as intake_images

    if mode == "full":
        intake_images.load_image = _old_load_image  # type: ignore[attr-defined]
    # Load every model with a small job, as a worker that has run jobs before.
    small_face = load_image(FACES / "obama2.jpg")
    small_doc = cv2.imread(str(FACES / "obama.jpg"))
    from testkit.documents import DocumentSpec, render_document

    doc = render_document(DocumentSpec(), portrait_bgr=small_doc, long_side=1200)
    assess_document_verification(load_image(_jpeg(doc, 90)), small_face, declared_id_type="PASSPORT")
    loaded = _peak_mb()
    _reset_peak()
    started = time.perf_counter()
    payload = read_job_payload(zip_bytes, IntakeLimits())
    intake_s = time.perf_counter() - started
    intake_peak = _peak_mb()
    images = payload.images
    assert images.selfie is not None and images.id_front is not None
    evidence = assess_document_verification(
        images.id_front.decoded,
        images.selfie.decoded,
        back=images.id_back.decoded if images.id_back else None,
        declared_id_type="PASSPORT",
    )
    total_s = time.perf_counter() - started
    return {
        "loaded": loaded,
        "intake_peak": intake_peak,
        "peak": max(_peak_mb(), loaded),
        "intake_s": intake_s,
        "total_s": total_s,
        "working_size": [list(image.decoded.bgr.shape[:2]) for image in images.all],
        "decision": evidence.decision.value,
        "reasons": [r.code for r in evidence.reasons],
        "mrz_valid": evidence.document.mrz.valid if evidence.document.mrz else None,
        "face_match": evidence.document.face_match.outcome.value if evidence.document.face_match else None,
    }


def api_run(zip_bytes: bytes, mode: str) -> dict[str, Any]:
    """The API's checks of the upload, in a process without models."""
    from openkyc.engine.images.decode import ImageLimits
    from openkyc.jobs import uploads
    from openkyc.jobs.intake import IntakeLimits, read_job_payload
    from openkyc.jobs.intake import images as intake_images

    before = _peak_mb()
    started = time.perf_counter()
    if mode == "full":
        intake_images.load_image = _old_load_image  # type: ignore[attr-defined]
        read_job_payload(zip_bytes, IntakeLimits(image=ImageLimits(max_long_side=None)))
    else:
        assert uploads.refuse_request_errors(zip_bytes) is not None
    return {"before": before, "peak": _peak_mb(), "seconds": time.perf_counter() - started}


def _fresh(function: Any, *args: Any) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result: dict[str, Any] = pool.submit(function, *args).result()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    print("building the upload ...")
    zip_bytes, sizes = build_zip()
    print(
        f"  zip {len(zip_bytes) / 2**20:.1f} MiB (limit 30): "
        + ", ".join(f"{name} {size / 2**20:.1f} MiB" for name, size in sizes.items())
        + f"; each {SIDE} x {SIDE} ({SIDE * SIDE / 1e6:.1f} MP)"
    )
    rows: dict[str, list[dict[str, Any]]] = {"full": [], "reduced": []}
    api: dict[str, list[dict[str, Any]]] = {"full": [], "reduced": []}
    for run in range(args.runs):
        for mode in ("full", "reduced"):  # interleaved, so both see the same machine state
            rows[mode].append(_fresh(worker_run, zip_bytes, mode))
            api[mode].append(_fresh(api_run, zip_bytes, mode))
            r = rows[mode][-1]
            print(
                f"  run {run + 1} {mode:>7}: worker peak {r['peak']:.0f} MB (models loaded {r['loaded']:.0f}, "
                f"during intake {r['intake_peak']:.0f}), intake {r['intake_s']:.2f} s, job {r['total_s']:.1f} s; "
                f"API check peak {api[mode][-1]['peak']:.0f} MB"
            )

    def median(mode: str, key: str, source: dict[str, list[dict[str, Any]]] = rows) -> float:
        return float(statistics.median(r[key] for r in source[mode]))

    print(f"\nmedian of {args.runs} fresh processes each:")
    print(f"{'':>34} {'full decode':>12} {'reduced':>10}")
    for label, key, source, unit in (
        ("worker peak RSS (MB)", "peak", rows, "{:.0f}"),
        ("worker RSS, models loaded (MB)", "loaded", rows, "{:.0f}"),
        ("worker peak during intake (MB)", "intake_peak", rows, "{:.0f}"),
        ("intake decode time (s)", "intake_s", rows, "{:.2f}"),
        ("whole job (s)", "total_s", rows, "{:.1f}"),
        ("API upload check peak RSS (MB)", "peak", api, "{:.0f}"),
        ("API upload check time (s)", "seconds", api, "{:.2f}"),
    ):
        full, reduced = median("full", key, source), median("reduced", key, source)
        print(f"{label:>34} {unit.format(full):>12} {unit.format(reduced):>10}")
    for mode in ("full", "reduced"):
        last = rows[mode][-1]
        print(
            f"  {mode}: working sizes {last['working_size']}; decision {last['decision']} {last['reasons']}, "
            f"MRZ valid {last['mrz_valid']}, portrait match {last['face_match']}"
        )
    peak = median("reduced", "peak")
    print(f"target: worker peak RSS <= 1024 MB: {peak:.0f} MB ({'met' if peak <= 1024 else 'NOT met'})")
    path = out_path("memory_bench.json")
    path.write_text(json.dumps({"worker": rows, "api": api, "zip_bytes": len(zip_bytes)}, indent=1))
    print(f"raw figures: {path}")


if __name__ == "__main__":
    main()
