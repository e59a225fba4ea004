"""Sub-commands imported only when a command line names them (openkyc.cli.lazy).

Checked on what a fresh interpreter has imported (sys.modules), not on time: `openkyc --help`
must not pay for the engine (OpenCV, ONNX), the web app or the database models.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from openkyc.cli import COMMANDS

# What the root's listing must not import: the engine and its native libraries, the web app, the
# database layer, the settings (built when a command asks for them).
HEAVY = (
    "cv2",
    "numpy",
    "onnxruntime",
    "openkyc.engine",
    "openkyc.app",
    "fastapi",
    "starlette",
    "sqlalchemy",
    "openkyc.db",
    "openkyc.config",
    "openkyc.runtime",
    # Tables, consoles and progress bars: for the commands that print them.
    "openkyc.cli.output",
)
ENGINE = ("cv2", "onnxruntime", "openkyc.engine")


def imported_after(args: list[str] | None) -> list[str]:
    """The modules a fresh interpreter holds after importing openkyc.cli and, unless ``args`` is
    None, running `openkyc ARGS` in-process (its listing checked on the way)."""
    code = "import json, sys\nimport openkyc.cli\n"
    if args is not None:
        code += (
            "from typer.testing import CliRunner\n"
            f"result = CliRunner().invoke(openkyc.cli.app, {args!r})\n"
            "assert 'Usage' in result.output and result.exit_code in (0, 2), result.output\n"
        )
    code += "print(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    modules: list[str] = json.loads(done.stdout.splitlines()[-1])
    return modules


def under(modules: list[str], packages: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)]


@pytest.mark.parametrize(
    "args", [None, ["--help"], []], ids=["import", "help", "no-arguments (prints the help)"]
)
def test_the_root_and_its_listing_import_no_engine_web_app_or_models(args: list[str] | None) -> None:
    assert under(imported_after(args), HEAVY) == []


# Groups and commands whose modules (imported by their --help) leave the engine alone. Not here:
# `inspect` (it runs the engine), and `jobs`, `registry`, `retention`, whose domain modules import
# openkyc.products (review reasons, ID records, upload limits), which builds on the engine's types.
@pytest.mark.parametrize(
    "name", ["serve", "worker", "partners", "keys", "users", "db", "lists", "encryption", "audit"]
)
def test_a_command_that_does_not_verify_images_does_not_import_the_engine(name: str) -> None:
    assert under(imported_after([name, "--help"]), ENGINE) == []


def test_inspect_imports_the_engine_when_named() -> None:
    assert under(imported_after(["inspect", "--help"]), ("openkyc.engine",))


def test_every_entry_names_a_command_that_loads_with_the_listed_help() -> None:
    from openkyc.cli.lazy import load

    for name, entry in COMMANDS.items():
        command = load(name, entry)
        assert command.name == name
        assert command.hidden == entry.hidden
        assert (command.short_help or command.help) == entry.help
        offers_data_dir = any("--data-dir" in param.opts for param in command.params)
        assert offers_data_dir == entry.data_dir, name
