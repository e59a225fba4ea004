"""`openkyc lists load` and `count`: the AML watch lists, run in-process with typer's runner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from openkyc.cli import app
from tests.aml.samples import OFAC_ALT_CSV, OFAC_SDN_CSV, UN_XML, opensanctions_lines

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_lists_load_and_count(tmp_path: Path) -> None:
    (tmp_path / "sdn.csv").write_bytes(OFAC_SDN_CSV)
    (tmp_path / "alt.csv").write_bytes(OFAC_ALT_CSV)
    (tmp_path / "un.xml").write_bytes(UN_XML)
    (tmp_path / "os.json").write_bytes(opensanctions_lines())
    data = ["--data-dir", str(tmp_path / "data")]
    assert "loaded 1 ofac-csv entries" in invoke(
        "lists", "load", "ofac-csv", str(tmp_path / "sdn.csv"), *data
    )
    assert "loaded 2 un-xml entries" in invoke("lists", "load", "un-xml", str(tmp_path / "un.xml"), *data)
    assert "loaded 2 opensanctions entries" in invoke(
        "lists", "load", "opensanctions", str(tmp_path / "os.json"), *data
    )
    # Reloading a list replaces its entries rather than adding to them.
    invoke("lists", "load", "un-xml", str(tmp_path / "un.xml"), *data)
    counts = invoke("lists", "count", *data)
    assert "ofac-csv\t1" in counts and "un-xml\t2" in counts and "total\t5" in counts


def test_a_file_in_the_wrong_format_is_a_clean_error(tmp_path: Path) -> None:
    (tmp_path / "un.xml").write_bytes(UN_XML)
    result = runner.invoke(
        app, ["lists", "load", "ofac-xml", str(tmp_path / "un.xml"), "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "cannot read un.xml as ofac-xml" in result.output
