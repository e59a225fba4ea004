"""`python -m openkyc.cli` (what tests start when the console script is not on PATH)."""

from openkyc.cli import app

app()
