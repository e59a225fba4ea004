"""`openkyc registry import` and `count`, run in-process with typer's runner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from openkyc.cli import app

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_registry_import_and_count(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    records.write_text(
        "country,id_type,id_number,full_name\nKE,NATIONAL_ID,12345678,Ada Lovelace\n", encoding="utf-8"
    )
    assert "imported 1, replaced 0" in invoke("registry", "import", str(records), "--data-dir", str(tmp_path))
    assert invoke("registry", "count", "--data-dir", str(tmp_path)).strip() == "1"
    records.write_text("country,id_type,id_number\nKENYA,NATIONAL_ID,1\n", encoding="utf-8")
    result = runner.invoke(app, ["registry", "import", str(records), "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "line 2" in result.output
