"""openkyc.offload: blocking work on small named pools, never on the event loop."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time

from openkyc.offload import bounded_pool, run_bounded

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def test_run_bounded_runs_at_most_size_calls_at_once_off_the_loop() -> None:
    running, most = 0, 0
    lock = threading.Lock()

    def work(index: int) -> tuple[int, int]:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return index, threading.get_ident()

    async def many() -> tuple[int, list[tuple[int, int]]]:
        return threading.get_ident(), await asyncio.gather(
            *(run_bounded("test-bounded", 3, work, index) for index in range(9))
        )

    loop_thread, results = asyncio.run(many())
    assert [index for index, _ in results] == list(range(9))
    assert most == 3
    assert loop_thread not in {thread for _, thread in results}


def test_run_bounded_keeps_the_callers_context_for_log_lines() -> None:
    async def in_request() -> str:
        _request_id.set("req-42")
        return await run_bounded("test-context", 1, _request_id.get)

    assert asyncio.run(in_request()) == "req-42"


def test_pools_are_shared_per_name_and_size() -> None:
    assert bounded_pool("test-shared", 2) is bounded_pool("test-shared", 2)
    assert bounded_pool("test-shared", 2) is not bounded_pool("test-other", 2)
