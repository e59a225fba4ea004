"""The install-size report's bookkeeping: who brought each distribution in, and bytes on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.install_size import brought_by, parse_requirement, tree_bytes


def row(name: str, *requires: str) -> dict[str, Any]:
    return {"name": name, "version": "1", "bytes": 0, "files": 0, "requires": list(requires)}


def test_a_requirement_line_gives_its_name_the_extras_it_asks_and_its_gate() -> None:
    assert parse_requirement("psycopg[binary,pool]==3.3.9") == (
        "psycopg",
        frozenset({"binary", "pool"}),
        None,
    )
    assert parse_requirement(
        'psycopg-binary==3.3.9; implementation_name != "pypy" and extra == "binary"'
    ) == (
        "psycopg-binary",
        frozenset(),
        "binary",
    )
    assert parse_requirement("Typing_Extensions (>=4.0)") == ("typing-extensions", frozenset(), None)


def test_each_distribution_is_charged_to_the_requirement_that_brought_it() -> None:
    rows = [
        row(
            "openkyc",
            "mediapipe==0.10.21",
            "psycopg[binary]==3.3.9",
            "onnxruntime",
            "onnx",
            'matplotlib; extra == "dev"',
            'torch; extra == "dev"',
        ),
        row("mediapipe", "jax", "opencv_contrib_python", "matplotlib"),
        row("onnx", "ml_dtypes"),
        row("jax", "scipy", "ml-dtypes"),
        row("psycopg", 'psycopg-binary==3.3.9; extra == "binary"', 'pytest; extra == "test"'),
        row("onnxruntime", "numpy", 'sympy; extra == "symbolic"'),
        row("torch", "sympy"),
        *(
            row(name)
            for name in ("scipy", "opencv-contrib-python", "psycopg-binary", "ml_dtypes", "matplotlib")
        ),
        *(row(name) for name in ("numpy", "sympy", "pytest", "pip")),
    ]
    assert brought_by(rows) == {
        "mediapipe": "openkyc",
        "psycopg": "openkyc",
        "onnxruntime": "openkyc",
        "torch": "openkyc",
        # Always required by mediapipe: not charged to openkyc's dev extra.
        "matplotlib": "mediapipe",
        "jax": "mediapipe",
        "opencv-contrib-python": "mediapipe",
        "scipy": "jax",
        # Also jax's, but onnx is openkyc's own requirement: the shorter way.
        "ml-dtypes": "onnx",
        "onnx": "openkyc",
        "psycopg-binary": "psycopg",
        "numpy": "onnxruntime",
        # onnxruntime's "symbolic" extra is never asked for; torch requires sympy outright.
        "sympy": "torch",
    }


def test_tree_bytes_counts_files_not_links(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x" * 10)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"y" * 5)
    (tmp_path / "link").symlink_to(tmp_path / "a")
    assert tree_bytes(tmp_path) == 15
