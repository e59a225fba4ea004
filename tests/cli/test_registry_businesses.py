"""`openkyc registry import-businesses` and `count-businesses` (run in-process with typer's runner)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openkyc.cli import app

runner = CliRunner()

LINE = {
    "country": "KE",
    "id_type": "BUSINESS_REGISTRATION",
    "id_number": "PVT-AB1234",
    "company_information": {"legal_name": "LOVELACE ENGINES LIMITED"},
    "directors": [{"name": "ADA LOVELACE"}],
}


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_import_businesses_count_and_replace(tmp_path: Path) -> None:
    businesses = tmp_path / "businesses.jsonl"
    businesses.write_text(json.dumps(LINE) + "\n", encoding="utf-8")
    data_dir = ("--data-dir", str(tmp_path / "data"))
    assert invoke("registry", "count-businesses", *data_dir).strip() == "0"
    assert (
        invoke("registry", "import-businesses", str(businesses), *data_dir).strip()
        == "imported 1, replaced 0"
    )
    assert (
        invoke("registry", "import-businesses", str(businesses), *data_dir).strip()
        == "imported 0, replaced 1"
    )
    assert invoke("registry", "count-businesses", *data_dir).strip() == "1"
    assert invoke("registry", "count", *data_dir).strip() == "0"  # the people's registry is another


def test_an_invalid_line_exits_1_naming_the_line_not_its_data(tmp_path: Path) -> None:
    businesses = tmp_path / "businesses.jsonl"
    bad = {**LINE, "directors": [{"id_number": "SECRET-ID-99"}]}
    businesses.write_text(json.dumps(LINE) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    data_dir = ("--data-dir", str(tmp_path / "data"))
    result = runner.invoke(app, ["registry", "import-businesses", str(businesses), *data_dir])
    assert result.exit_code == 1 and "line 2:" in result.output
    assert "SECRET-ID-99" not in result.output and "LOVELACE" not in result.output
    assert invoke("registry", "count-businesses", *data_dir).strip() == "0"
