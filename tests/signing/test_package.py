import sys
from pathlib import Path

import openkyc.signing as signing


def test_every_exported_name_exists() -> None:
    missing = [name for name in signing.__all__ if not hasattr(signing, name)]
    assert missing == []


def test_the_package_imports_no_web_framework_or_database() -> None:
    for module in list(sys.modules):
        if module.startswith("openkyc.signing"):
            source = sys.modules[module].__file__ or ""
            text = Path(source).read_text(encoding="utf-8")
            for forbidden in ("fastapi", "starlette", "sqlalchemy"):
                assert f"import {forbidden}" not in text and f"from {forbidden}" not in text, (
                    module,
                    forbidden,
                )
