from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import pytest
from typer.testing import CliRunner

from openkyc.cli import app
from testkit.documents import DocumentSpec, render_document

runner = CliRunner()


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_face_pairs_json(faces_dir: Path, tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        "img_a,img_b\n"
        "ageitgey+face_recognition/examples/knn_examples/test/obama1.jpg,"
        "ageitgey+face_recognition/examples/knn_examples/train/obama/obama2.jpg\n"
        "ageitgey+face_recognition/examples/obama.jpg,ageitgey+face_recognition/examples/biden.jpg\n"
        "ageitgey+face_recognition/examples/obama.jpg,missing.jpg\n"
    )
    result = runner.invoke(
        app, ["inspect", "face", "--pairs", str(pairs), "--root", str(faces_dir), "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json_lines(result.stdout)
    assert len(rows) == 3
    same, other, missing = rows
    assert same["match"] is True and other["match"] is False
    assert same["outcome"] == "match" and other["outcome"] == "no_match"
    assert isinstance(same["score"], float) and isinstance(other["score"], float)
    assert same["score"] > other["score"]
    assert same["faces"] == [1, 1]
    assert missing["outcome"] == "error" and missing["match"] is False


def test_face_pairs_csv_needs_columns(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("a,b\nx,y\n")
    result = runner.invoke(app, ["inspect", "face", "--pairs", str(pairs), "--json"])
    assert result.exit_code != 0


@pytest.mark.slow
def test_document_json(tmp_path: Path) -> None:
    spec = DocumentSpec(
        kind="identity_card", mrz_type="TD1", title="IDENTITY CARD", expiry_date=date(2031, 1, 1)
    )
    path = tmp_path / "card.png"
    cv2.imwrite(str(path), render_document(spec))
    result = runner.invoke(app, ["inspect", "document", str(path), "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json_lines(result.stdout)
    assert row["image"] == str(path)
    mrz = row["mrz"]
    assert isinstance(mrz, dict)
    assert mrz["type"] == "TD1"
    assert mrz["valid"] is True
    assert mrz["fields"]["document_number"] == spec.document_number
    assert mrz["fields"]["birth_date"] == "1974-08-12"
    assert row["kind"] == "identity_card"
    assert "sharpness" in row["quality"]


def test_document_error_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    result = runner.invoke(app, ["inspect", "document", str(path), "--json"])
    assert result.exit_code == 0
    (row,) = json_lines(result.stdout)
    assert row["error"].startswith("image.")
    assert row["mrz"]["lines"] == []


def test_liveness_on_lone_selfie(faces_dir: Path) -> None:
    selfie = faces_dir / "ageitgey+face_recognition" / "examples" / "obama.jpg"
    result = runner.invoke(app, ["inspect", "liveness", str(selfie), "--json"])
    assert result.exit_code == 0, result.output
    (report,) = json_lines(result.stdout)
    assert report["mode"] == "passive"
    assert report["decision"] in {"pass", "fail", "review"}
    signals = report["signals"]
    assert isinstance(signals, dict) and signals
    for signal in signals.values():
        assert set(signal) >= {"score", "threshold", "passed"}


def test_liveness_with_too_few_frames_fails(faces_dir: Path) -> None:
    selfie = faces_dir / "ageitgey+face_recognition" / "examples" / "obama.jpg"
    result = runner.invoke(app, ["inspect", "liveness", str(selfie), str(selfie), "--json"])
    (report,) = json_lines(result.stdout)
    assert report["decision"] == "fail"
    assert "liveness.too_few_frames" in report["reasons"]


@pytest.mark.parametrize("columns", ["80", "200"])
def test_face_table_shows_whole_paths(columns: str, tmp_path: Path) -> None:
    """Long paths fold onto more lines rather than ending in an ellipsis, at any width (the files
    need not exist: an unreadable image is a row too)."""
    deep = tmp_path.joinpath(*(f"directory-{i:02d}" for i in range(12)))
    img_a, img_b = str(deep / "first-selfie.jpg"), str(deep / "second-selfie.jpg")
    result = runner.invoke(app, ["inspect", "face", img_a, img_b], env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    assert table_column(result.stdout, 0) == img_a
    assert table_column(result.stdout, 1) == img_b
    assert table_column(result.stdout, 5).replace(" ", "").startswith("error:image.")
    assert max(len(line) for line in result.stdout.splitlines()) <= int(columns)


def table_column(printed: str, index: int) -> str:
    """One column of a printed one-row table, its folded pieces joined back."""
    rows = [line.strip("│").split("│") for line in printed.splitlines() if line.startswith("│")]
    return "".join(row[index].strip() for row in rows)
