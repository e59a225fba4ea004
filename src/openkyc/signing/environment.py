"""The two environments a credential can belong to."""

from __future__ import annotations

from typing import Literal

# A sandbox key runs jobs against test data, a production key against real ID authorities; the
# environment comes from the key that verified, never from the URL or the body.
Environment = Literal["sandbox", "production"]
