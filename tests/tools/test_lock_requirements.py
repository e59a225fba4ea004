"""requirements.txt is the server's dependency closure, pinned, less the distributions openkyc never loads."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from tools.lock_requirements import (
    CUT,
    REPO,
    REQUIREMENTS,
    canonical,
    closure,
    project_requirements,
    read_pins,
    render,
)


def fake_site(root: Path, dists: dict[str, tuple[str, list[str]]]) -> list[metadata.Distribution]:
    """Installed-distribution metadata (name -> version, Requires-Dist lines) under ``root``."""
    for name, (version, requires) in dists.items():
        info = root / f"{name}-{version}.dist-info"
        info.mkdir()
        lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
        lines += [f"Requires-Dist: {req}" for req in requires]
        (info / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return list(metadata.distributions(path=[str(root)]))


def test_the_closure_follows_requested_extras_and_stops_at_the_cut(tmp_path: Path) -> None:
    dists = fake_site(
        tmp_path,
        {
            "mediapipe": ("0.10.21", ["numpy<2", "jax", "absl-py"]),
            "numpy": ("1.26.4", []),
            "absl-py": ("2.5.1", []),
            "jax": ("0.7.1", ["scipy"]),
            "scipy": ("1.17.1", []),
            "psycopg": ("3.3.9", ['psycopg-binary==3.3.9; extra == "binary"', 'pytest; extra == "test"']),
            "psycopg-binary": ("3.3.9", []),
        },
    )
    lock = closure([Requirement("mediapipe==0.10.21"), Requirement("psycopg[binary]==3.3.9")], dists)
    # jax is cut, so scipy (which only jax needs) is not reached; the test extra is not requested.
    assert set(lock.pins) == {"mediapipe", "numpy", "absl-py", "psycopg", "psycopg-binary"}
    assert lock.cut_seen == {"jax"}
    text = render(lock)
    assert "mediapipe==0.10.21\n" in text and "psycopg-binary==3.3.9\n" in text
    assert f"#   jax: {CUT['jax']}" in text and "jaxlib" not in text


def test_a_requirement_missing_from_the_environment_is_an_error(tmp_path: Path) -> None:
    dists = fake_site(tmp_path, {"mediapipe": ("0.10.21", ["absl-py"])})
    with pytest.raises(LookupError, match=r"absl-py \(required by mediapipe\)"):
        closure([Requirement("mediapipe")], dists)


def test_requirements_txt_is_the_closure_of_this_environment() -> None:
    # The dev venv has every run-time dependency installed (a plain install brings the cut ones too).
    lock = closure(project_requirements(), metadata.distributions())
    assert set(read_pins()) == set(lock.pins)
    # Each cut distribution is still required by something: a stale entry would hide a change.
    assert lock.cut_seen == set(CUT)


def test_requirements_txt_pins_what_pyproject_pins_and_meets_every_requirement() -> None:
    pins = read_pins()
    for req in project_requirements():
        assert req.specifier.contains(pins[canonical(req.name)]), req
    lock = closure(project_requirements(), metadata.distributions())
    unmet = [
        f"{requirer}: {req}"
        for requirer, req in lock.edges
        if not req.specifier.contains(pins[canonical(req.name)], prereleases=True)
    ]
    assert unmet == []
    assert not set(pins) & set(CUT)


def test_the_file_is_written_where_the_readme_installs_it_from() -> None:
    assert REQUIREMENTS == REPO / "requirements.txt"
    assert "pip install --no-deps -r requirements.txt -e ." in REQUIREMENTS.read_text(encoding="utf-8")
