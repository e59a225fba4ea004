"""``sandbox_result``: how a sandbox partner forces the outcome of a biometric job (compatibility §10.2)."""

from __future__ import annotations

from enum import StrEnum


class SandboxResult(StrEnum):
    APPROVE = "0"
    REJECT = "1"
    PROVISIONAL = "2"


def parse_sandbox_result(value: str | int | None) -> SandboxResult | None:
    """The forced outcome ``value`` asks for; None when it asks for none.

    partner_params carry it as a string and the v2/v3 multipart APIs as a number part, so both are
    read. Any other value forces nothing and the job is decided on its evidence: request validation
    is the intake's business, and a product must never fail a job over it.
    """
    if value is None:
        return None
    try:
        return SandboxResult(str(value).strip())
    except ValueError:
        return None


# The reason recorded on a forced result, so that a reviewer never mistakes it for the engine's.
def forced_reason(forced: SandboxResult) -> str:
    return f"sandbox.sandbox_result_{forced.value}"
