"""Blocking work (image decoding, verification) off the event loop, on small named thread pools.

Starlette's own thread pool (``run_in_threadpool``) holds 40 threads: fine for database calls of a
few milliseconds, not for work that takes a core and hundreds of MB per call. Forty concurrent
uploads or synchronous SmartSelfie requests on it would run forty decodes or verifications at once
and take the process's memory with them. Such work goes to a pool of its own whose size comes
from a setting; further requests wait for a free thread while the loop keeps answering (health
checks, other partners' job_status).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# One pool per (name, size), shared by every runtime of the process (an API process has one).
_pools: dict[tuple[str, int], ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def bounded_pool(name: str, size: int) -> ThreadPoolExecutor:
    """The process's pool ``name`` of ``size`` threads (created on first use)."""
    with _pools_lock:
        pool = _pools.get((name, size))
        if pool is None:
            pool = _pools[name, size] = ThreadPoolExecutor(size, thread_name_prefix=f"openkyc-{name}")
        return pool


async def run_bounded(name: str, size: int, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``call(*args, **kwargs)`` on the pool ``name`` of ``size`` threads, awaited from the loop.

    The call keeps the request's context (request id and partner on its log lines)."""
    context = contextvars.copy_context()
    bound = functools.partial(context.run, call, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(bounded_pool(name, size), bound)


__all__ = ["bounded_pool", "run_bounded"]
