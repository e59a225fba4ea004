"""The installed package is the product only: the test kit, tests, tools and benchmarks stay in the
repository, and nothing under ``src/openkyc`` depends on them (a static check; no wheel is built)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "openkyc"
# Top-level packages that live beside src/ and must never be imported by the product.
REPOSITORY_ONLY = frozenset({"testkit", "tests", "tools", "benchmarks"})


def imported_top_levels(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_test_harness_is_not_inside_the_package() -> None:
    assert not (PACKAGE / "testing").exists()
    assert not (PACKAGE / "services" / "build_data.py").exists()


def test_no_product_module_imports_the_test_kit_tests_or_tools() -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(imported_top_levels(path) & REPOSITORY_ONLY)
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_wheel_finds_packages_under_src_only() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert config["packages"]["find"]["where"] == ["src"]
    # What setuptools' discovery sees there: the top-level packages under src/.
    assert {init.parent.name for init in (REPO / "src").glob("*/__init__.py")} == {"openkyc"}
    assert not {name.split(".")[0] for name in config.get("package-data", {})} & REPOSITORY_ONLY
