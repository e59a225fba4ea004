"""One row of a result-code table (:class:`ResultEntry`), the outcomes a row can have, and the
builders the tables write their rows with."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """The documentation's result categories, folded into the four a job can end (or wait) in."""

    APPROVED = "Approved"
    APPROVED_WITH_ATTENTION = "Approved with Attention"
    # "Provisionally Approved", "Under Review", "Pending", "Suspected for spoof and sent to
    # document reviewer for final decision": a human reviewer decides next.
    PROVISIONAL = "Provisionally Approved"
    REJECTED = "Rejected"


# The word Smile ID's documentation puts where a result text is completed with the reason for it
# ("Unable to Verify Document - reason").
REASON_PLACEHOLDER = "reason"


@dataclass(frozen=True)
class ResultEntry:
    """One row of a result-code table."""

    code: str
    text: str
    description: str
    # None for request errors (category "-"): they answer a call, they are never a job result.
    outcome: Outcome | None
    # The category exactly as the table prints it.
    category: str = ""
    judgement: str | None = None
    # A human reviewer's decision (IsMachineResult "false").
    human_review: bool = False
    deprecated: bool = False
    # For texts ending in REASON_PLACEHOLDER: the reasons the product may put there.
    reasons: tuple[str, ...] = ()
    # None: the row is quoted from a table of Smile ID's documentation. Otherwise where the row comes
    # from, for rows the documentation prints no table of (Biometric KYC, the ID look-up codes of the
    # enhanced products).
    origin: str | None = None

    @property
    def is_final(self) -> bool:
        return self.outcome is not Outcome.PROVISIONAL

    @property
    def takes_reason(self) -> bool:
        return self.text.endswith(f" - {REASON_PLACEHOLDER}")

    def text_with(self, reason: str | None = None) -> str:
        """The ResultText, with ``reason`` (one of :attr:`reasons`) where the text holds REASON_PLACEHOLDER."""
        if not self.takes_reason:
            if reason is not None:
                raise ValueError(f"{self.code} {self.text!r} takes no reason")
            return self.text
        if reason not in self.reasons:
            raise ValueError(f"{reason!r} is not a documented reason for {self.code}")
        return self.text[: -len(REASON_PLACEHOLDER)] + reason

    def texts(self) -> tuple[str, ...]:
        """Every ResultText this row can produce."""
        if self.takes_reason:
            return tuple(self.text_with(reason) for reason in self.reasons)
        return (self.text,)


def request_error(code: str, text: str, description: str = "") -> ResultEntry:
    return ResultEntry(code=code, text=text, description=description, outcome=None, category="-")


def approved(
    code: str, text: str, description: str, *, judgement: str | None = None, human_review: bool = False
) -> ResultEntry:
    return ResultEntry(
        code,
        text,
        description,
        Outcome.APPROVED,
        category="Approved",
        judgement=judgement,
        human_review=human_review,
    )


def rejected(
    code: str,
    text: str,
    description: str,
    *,
    judgement: str | None = None,
    human_review: bool = False,
    deprecated: bool = False,
    reasons: tuple[str, ...] = (),
) -> ResultEntry:
    return ResultEntry(
        code,
        text,
        description,
        Outcome.REJECTED,
        category="Rejected",
        judgement=judgement,
        human_review=human_review,
        deprecated=deprecated,
        reasons=reasons,
    )


def inferred(
    code: str, text: str, description: str, outcome: Outcome, origin: str, **extra: Any
) -> ResultEntry:
    """A row no table of the documentation prints: its category follows its outcome; ``origin`` says where it comes from."""
    category = {
        Outcome.APPROVED: "Approved",
        Outcome.REJECTED: "Rejected",
        Outcome.PROVISIONAL: "Provisionally Approved",
        Outcome.APPROVED_WITH_ATTENTION: "Approved with Attention",
    }[outcome]
    return ResultEntry(code, text, description, outcome, category=category, origin=origin, **extra)
