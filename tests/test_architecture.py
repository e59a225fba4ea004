"""The layers of docs/architecture.md hold: the import-linter contracts in pyproject.toml are kept,
and no top-level package of openkyc reaches back to itself through others' imports.

Imports inside functions count (grimp reads every import statement), so a lazy import does not
hide an upward dependency. A failure prints the offending import chains.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import grimp
import pytest
from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def loggers_kept() -> Iterator[None]:
    """import-linter configures logging with ``disable_existing_loggers``: every logger that exists
    when it runs (openkyc's included) stays disabled afterwards, and tests run later in the same
    process that read openkyc's log lines see none. Put each logger back as it was."""
    loggers = [item for item in logging.root.manager.loggerDict.values() if isinstance(item, logging.Logger)]
    disabled = {logger: logger.disabled for logger in loggers}
    yield
    for logger, was in disabled.items():
        logger.disabled = was


@pytest.mark.usefixtures("loggers_kept")
def test_the_import_contracts_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the contracts are read from the repository's pyproject.toml
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == (
        EXIT_STATUS_SUCCESS
    ), "an import breaks the layers of docs/architecture.md (the broken chains are printed above)"


def package_imports(graph: grimp.ImportGraph, root: str = "openkyc") -> dict[str, set[str]]:
    """Which top-level package (or module) of ``root`` imports which other."""
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        if not module.startswith(root + "."):
            continue
        source = module.split(".")[1]
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith(root + "."):
                target = imported.split(".")[1]
                if target != source:
                    edges.setdefault(source, set()).add(target)
    return edges


def cycles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    nodes = set(edges) | {target for targets in edges.values() for target in targets}
    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def test_no_package_level_import_cycle() -> None:
    # The layers contract lets packages of one ":" layer import each other; this keeps even those
    # acyclic, so every package can be read (and tested) on top of what it imports.
    graph = grimp.build_graph("openkyc", cache_dir=None)
    assert cycles(package_imports(graph)) == []


def test_a_cycle_through_three_packages_is_found() -> None:
    edges = {"jobs": {"users", "products"}, "users": {"retention"}, "retention": {"jobs"}, "products": set()}
    assert cycles(edges) == [["jobs", "retention", "users"]]
    assert cycles({"jobs": {"users"}, "users": {"audit"}}) == []
