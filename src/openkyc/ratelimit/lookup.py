"""The look-up-with-limit flow: count the number, look it up, give the count back if the source failed.

Every look-up that reaches an outside source by number goes through here: ID look-ups
(idverification/, for Enhanced and Basic KYC and, in the worker, Biometric KYC and Enhanced
Document Verification) and business look-ups (business/). The steps:

1. :meth:`LimitedLookup.count` before anything else: a blocked number raises 2222 / HTTP 429 and
   never reaches the source (nor opens a job). The caller may do its own work in between (open the
   job; in the worker, remember that the count was made).
2. :meth:`LimitedLookup.run` asks the source. Every failure becomes a typed
   :class:`~openkyc.products.authority.LookupFailure`, an adapter's bug included (then logged by the
   source's name and the error's type only: its message may quote the number or personal data).
3. A retryable failure (the source unavailable) gives the count back: it was not the partner's
   doing, and the partner may retry without nearing the limit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from openkyc.products.authority import AuthorityUnavailable, LookupFailure
from openkyc.ratelimit.service import check_and_record, release
from openkyc.runtime import Runtime

log = logging.getLogger(__name__)

Answer = TypeVar("Answer")


@dataclass(frozen=True)
class LimitedLookup:
    """One number looked up for a partner's key, under the per-number rate limit."""

    partner_id: str
    environment: str
    country: str
    id_type: str
    id_number: str

    def count(self, runtime: Runtime) -> None:
        """Count the look-up against the limit; raises ApiError 2222 (HTTP 429) when it is blocked."""
        check_and_record(
            runtime,
            partner_id=self.partner_id,
            environment=self.environment,
            country=self.country,
            id_type=self.id_type,
            id_number=self.id_number,
        )

    def run(self, runtime: Runtime, source: str, lookup: Callable[[], Answer]) -> Answer | LookupFailure:
        """``lookup()``'s answer, or why there is none; the count (made by :meth:`count`) is given
        back when the failure is retryable. ``source`` names the source in the log ("authority X")."""
        try:
            return lookup()
        except LookupFailure as refused:
            failure = refused
        except Exception as error:  # an adapter's bug must still give the partner an answer (retryable)
            log.error("%s failed unexpectedly: %s", source, type(error).__name__)
            failure = AuthorityUnavailable(f"{source} unavailable")
        if failure.retryable:
            release(
                runtime,
                partner_id=self.partner_id,
                environment=self.environment,
                country=self.country,
                id_type=self.id_type,
                id_number=self.id_number,
            )
        return failure
