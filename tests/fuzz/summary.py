"""Where the fuzz harness's summary lines wait for the terminal summary.

In one process the session that ran the fuzz tests leaves them in the config's stash; under
pytest-xdist the worker hands them to the controller under the workeroutput key, and the
controller's hook (tests/conftest.py) puts them in its own stash.
"""

from __future__ import annotations

import pytest

FUZZ_LINES = pytest.StashKey[list[str]]()
FUZZ_SUMMARY = "openkyc_fuzz_summary"
