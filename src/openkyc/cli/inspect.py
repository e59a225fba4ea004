"""``openkyc inspect``: the verification engine from the command line.

For operators debugging a rejection and for benchmarks. Models load once per call; with
``--json`` every result is one JSON object per line on stdout.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import typer

from openkyc.cli.output import cell_text, emit_json, stderr, stdout, table, with_progress
from openkyc.engine.document.analyse import DocumentEvidence, analyse_document
from openkyc.engine.errors import EngineError
from openkyc.engine.evidence import Decision
from openkyc.engine.face.analyse import FaceAnalysis, analyse_face
from openkyc.engine.face.compare import DEFAULT_OPERATING_POINT, OPERATING_POINTS, compare_analyses
from openkyc.engine.images import load_image
from openkyc.engine.smart_selfie import assess_smart_selfie

inspect_app = typer.Typer(no_args_is_help=True)  # its help: openkyc.cli.COMMANDS

JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per line on stdout.")]


def _read_pairs(pairs: Path, root: Path) -> list[tuple[str, str]]:
    with pairs.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"img_a", "img_b"} <= set(reader.fieldnames):
            raise typer.BadParameter("the pairs CSV needs the columns img_a,img_b", param_hint="--pairs")
        return [(row["img_a"], row["img_b"]) for row in reader]


@inspect_app.command("face")
def inspect_face(
    images: Annotated[
        list[str] | None, typer.Argument(help="Two images to compare (instead of --pairs).")
    ] = None,
    pairs: Annotated[
        Path | None, typer.Option(help="CSV with columns img_a,img_b.", exists=True, dir_okay=False)
    ] = None,
    root: Annotated[Path, typer.Option(help="Directory the CSV paths are relative to.")] = Path("."),
    operating_point: Annotated[
        str, typer.Option(help=f"One of: {', '.join(OPERATING_POINTS)}.")
    ] = DEFAULT_OPERATING_POINT,
    json_output: JsonFlag = False,
) -> None:
    """Compare faces 1:1: a similarity score and a match decision per pair."""
    if operating_point not in OPERATING_POINTS:
        raise typer.BadParameter(
            f"choose one of {', '.join(OPERATING_POINTS)}", param_hint="--operating-point"
        )
    if pairs is not None:
        work = _read_pairs(pairs, root)
    elif images and len(images) == 2:
        work, root = [(images[0], images[1])], Path(".")
    else:
        raise typer.BadParameter("give --pairs PAIRS.csv or exactly two images")

    cache: dict[str, FaceAnalysis | EngineError] = {}

    def analysed(name: str) -> FaceAnalysis | EngineError:
        # Each image is decoded and embedded once however many pairs it is in.
        if name not in cache:
            try:
                cache[name] = analyse_face(load_image(root / name).bgr)
            except EngineError as exc:
                cache[name] = exc
        return cache[name]

    # Paths fold onto the next line rather than being cut short (output.table).
    shown = table("img_a", "img_b", "score", "match", "faces", "outcome")
    for img_a, img_b in with_progress(work, len(work), "comparing faces"):
        a, b = analysed(img_a), analysed(img_b)
        row: dict[str, Any] = {"img_a": img_a, "img_b": img_b}
        if isinstance(a, EngineError) or isinstance(b, EngineError):
            error = next(item for item in (a, b) if isinstance(item, EngineError))
            row |= {
                "score": None,
                "match": False,
                "faces": None,
                "outcome": "error",
                "error": error.code,
                "message": error.message,
            }
        else:
            evidence = compare_analyses(a, b, operating_point=operating_point)
            row |= {
                "score": evidence.score,
                "match": evidence.match,
                "faces": list(evidence.faces),
                "outcome": evidence.outcome.value,
                "threshold": evidence.threshold,
                "operating_point": evidence.operating_point,
                "reasons": [r.code for r in evidence.reasons],
            }
        if json_output:
            emit_json(row)
        else:
            score = "-" if row["score"] is None else f"{row['score']:.4f}"
            outcome = f"error: {row['error']}" if "error" in row else row["outcome"]
            shown.add_row(img_a, img_b, score, str(row["match"]), cell_text(row["faces"]), outcome)
    if not json_output:
        stdout().print(shown)
        stderr().print(f"operating point {operating_point}: threshold {OPERATING_POINTS[operating_point]}")


def _mrz_summary(evidence: DocumentEvidence) -> dict[str, Any]:
    mrz = evidence.mrz
    fields = None
    if mrz is not None:
        f = mrz.fields
        fields = {
            "document_code": f.document_code,
            "issuing_country": f.issuing_country,
            "document_number": f.document_number,
            "surname": f.surname,
            "given_names": f.given_names,
            "nationality": f.nationality,
            "birth_date": f.birth_date,
            "expiry_date": f.expiry_date,
            "sex": f.sex,
        }
    reading = evidence.mrz_reading
    return {
        "type": mrz.type if mrz is not None else None,
        "lines": list(evidence.mrz_lines),
        "valid": bool(mrz is not None and mrz.valid),
        "checks": dict(mrz.checks) if mrz is not None else {},
        "fields": fields,
        "side": evidence.mrz_side,
        # Why a reading with holding check digits is not valid (impossible structure, doubtful
        # characters no check digit covers), how sure the recogniser was, and what was changed.
        "problems": list(mrz.problems) if mrz is not None else [],
        "confidence": reading.confidence if reading is not None else None,
        "unvouched_confidence": reading.unvouched_confidence if reading is not None else None,
        "repaired": bool(reading is not None and reading.repaired),
        "repairs": [r.model_dump() for r in reading.repairs] if reading is not None else [],
    }


def document_report(name: str, evidence: DocumentEvidence) -> dict[str, Any]:
    """The JSON object ``inspect document`` prints for one image."""
    dump = evidence.model_dump(mode="json", exclude={"mrz", "mrz_lines", "mrz_side", "mrz_reading"})
    return {
        "image": name,
        "decision": evidence.decision.value,
        "reasons": [r.code for r in evidence.reasons],
        "mrz": _mrz_summary(evidence),
        "kind": evidence.kind.kind.value,
        "kind_matches_declared": evidence.kind_matches_declared,
        "quality": dump.pop("quality"),
        **{
            k: v
            for k, v in dump.items()
            if k not in {"decision", "reasons", "signals", "kind", "kind_matches_declared"}
        },
        "kind_evidence": dump["kind"],
    }


@inspect_app.command("document")
def inspect_document(
    images: Annotated[list[Path], typer.Argument(help="Document images (front sides).")],
    selfie: Annotated[Path | None, typer.Option(help="A selfie to compare with the portrait.")] = None,
    id_type: Annotated[str | None, typer.Option(help="Declared id_type, e.g. PASSPORT.")] = None,
    country: Annotated[str | None, typer.Option(help="Declared issuing country (ISO alpha-2).")] = None,
    json_output: JsonFlag = False,
) -> None:
    """Find, crop and read identity documents: MRZ, visual zone, kind, quality and checks."""
    selfie_bgr = load_image(selfie).bgr if selfie is not None else None
    for path in with_progress(images, len(images), "reading documents"):
        try:
            evidence = analyse_document(
                load_image(path), selfie_bgr=selfie_bgr, declared_id_type=id_type, declared_country=country
            )
        except EngineError as exc:
            row: dict[str, Any] = {
                "image": str(path),
                "error": exc.code,
                "message": exc.message,
                "mrz": {"type": None, "lines": [], "valid": False, "fields": None},
            }
        else:
            row = document_report(str(path), evidence)
        if json_output:
            emit_json(row)
        else:
            _print_document(row)


def _print_document(row: dict[str, Any]) -> None:
    # The image's path is a row, not the title: a title is cut short where a cell folds.
    shown = table("field", "value", show_header=False)
    shown.add_row("image", row["image"])
    if "error" in row:
        shown.add_row("error", f"{row['error']}: {row['message']}")
    else:
        mrz = row["mrz"]
        shown.add_row("decision", f"{row['decision']} {', '.join(row['reasons'])}")
        shown.add_row("kind", row["kind"])
        shown.add_row("mrz", f"{mrz['type']} valid={mrz['valid']}" if mrz["type"] else "not found")
        for line in mrz["lines"]:
            shown.add_row("", line)
        for key, value in (mrz["fields"] or {}).items():
            shown.add_row(key, str(value))
        shown.add_row(
            "quality", f"{row['quality']['decision']} ({row['quality']['width']}x{row['quality']['height']})"
        )
    stdout().print(shown)


@inspect_app.command("liveness")
def inspect_liveness(
    selfie: Annotated[Path, typer.Argument(help="The selfie.")],
    frames: Annotated[
        list[Path] | None, typer.Argument(help="4-8 liveness frames; none: passive checks only.")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Liveness of a selfie plus liveness frames (or passive checks on a lone selfie)."""
    try:
        selfie_image = load_image(selfie)
        frame_images = [load_image(f) for f in frames or []]
    except EngineError as exc:
        emit_json({"error": exc.code, "message": exc.message})
        raise typer.Exit(2) from exc
    evidence = assess_smart_selfie(selfie_image, frame_images)
    liveness = evidence.liveness
    report: dict[str, Any] = {
        "decision": liveness.decision.value if liveness else Decision.FAIL.value,
        "mode": liveness.mode if liveness else ("active" if frame_images else "passive"),
        "signals": {
            name: {
                "score": s.score,
                "threshold": s.threshold,
                "passed": s.passed,
                "higher_is_better": s.higher_is_better,
            }
            for name, s in (liveness.signals.items() if liveness else [])
        },
        "reasons": [r.code for r in (liveness.reasons if liveness else evidence.face.reasons)],
        "frames_received": len(frame_images),
        "frames_with_face": liveness.frames_with_face if liveness else 0,
        "frame_similarities": liveness.frame_similarities if liveness else [],
        "selfie_faces": evidence.face.faces,
        "timings_ms": evidence.timings_ms,
    }
    if json_output:
        emit_json(report)
        return
    shown = table(
        "signal", "score", "threshold", "passed", title=f"liveness: {report['decision']} ({report['mode']})"
    )
    for name, s in report["signals"].items():
        shown.add_row(name, f"{s['score']:.4f}", f"{s['threshold']:.4f}", str(s["passed"]))
    console = stdout()
    console.print(shown)
    if report["reasons"]:
        console.print("reasons: " + ", ".join(report["reasons"]))
