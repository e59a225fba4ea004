"""What a log line is about: the job, request and partner bound to the running code (contextvars).

Context variables follow the code across threads started with a copied context (FastAPI runs sync
endpoints that way) and are separate per thread otherwise, so each worker thread binds its own job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import TypeVar

_job: ContextVar[str | None] = ContextVar("openkyc_smile_job_id", default=None)
request_id_var: ContextVar[str | None] = ContextVar("openkyc_request_id", default=None)
_partner: ContextVar[str | None] = ContextVar("openkyc_partner_id", default=None)

R = TypeVar("R")


@contextmanager
def _bound(var: ContextVar[str | None], value: str | None) -> Iterator[None]:
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def bind_job(smile_job_id: str | None) -> AbstractContextManager[None]:
    """Within the block, log lines carry ``smile_job_id`` (a worker verifying or calling back)."""
    return _bound(_job, smile_job_id)


def bind_request(request_id: str | None) -> AbstractContextManager[None]:
    """Within the block, log lines carry ``request_id`` (the request-id middleware binds it)."""
    return _bound(request_id_var, request_id)


def bind_partner(partner_id: str | None) -> AbstractContextManager[None]:
    """Within the block, log lines carry ``partner_id`` (once a request is authenticated)."""
    return _bound(_partner, partner_id)


def set_partner(partner_id: str | None) -> None:
    """Tag the rest of the current context (e.g. a request, after its signature checked) with a partner."""
    _partner.set(partner_id)


def current_job() -> str | None:
    return _job.get()


def current_fields() -> dict[str, str]:
    """The bound ids, for a log record (absent ones left out)."""
    fields = {"smile_job_id": _job.get(), "request_id": request_id_var.get(), "partner_id": _partner.get()}
    return {name: value for name, value in fields.items() if value is not None}


def with_job_context(process: Callable[[R, str], None]) -> Callable[[R, str], None]:
    """``process(runtime, smile_job_id)`` running with that job bound (for worker entry points)."""

    def bound(runtime: R, smile_job_id: str) -> None:
        with bind_job(smile_job_id):
            process(runtime, smile_job_id)

    return bound
