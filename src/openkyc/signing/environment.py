"""The two environments a credential (and so a job, a user, a key) can belong to: its one home."""

from __future__ import annotations

from enum import StrEnum


class Environment(StrEnum):
    """A sandbox key runs jobs against test data, a production key against real ID authorities;
    the environment comes from the key that verified, never from the URL or the body. A StrEnum:
    stored and compared as the bare string ("sandbox", "production")."""

    SANDBOX = "sandbox"
    PRODUCTION = "production"
