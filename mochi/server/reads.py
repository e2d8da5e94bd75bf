"""Where a read endpoint's database work runs: on the event loop, or on a request thread.

A sync FastAPI endpoint runs on a worker thread: the hand-off costs about 0.2 ms of CPU and, under
load, waits for the GIL behind the other threads (each thread may hold it for the 5 ms switch
interval). A read of SQLite takes a few hundred microseconds of CPU and no waiting, so on the event
loop it is cheaper and the tail much shorter (bench/server_load.py, 50 clients: p99 121 -> 19 ms on
one process). A query that waits on the network (PostgreSQL, most of all a distant one) would hold
up every other request on the loop, so there the reads run on the `--threads` threads.
`mochi serve --reads auto|loop|threads` chooses; auto: the loop for SQLite, threads otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from fastapi import Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

T = TypeVar("T")
Reads = Literal["auto", "loop", "threads"]
CHOICES: tuple[Reads, ...] = ("auto", "loop", "threads")


def on_loop(reads: Reads, engine: Engine) -> bool:
    """Whether reads run on the event loop: `reads`, with auto meaning the loop for SQLite only."""
    if reads not in CHOICES:
        raise ValueError(f"reads must be one of {', '.join(CHOICES)}, not {reads!r}")
    return reads == "loop" or (reads == "auto" and engine.dialect.name == "sqlite")


async def read(request: Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(engine, *args, **kwargs)`, a short read of the app's record, where the app runs its reads."""
    state = request.app.state
    if state.reads_on_loop:
        return fn(state.engine, *args, **kwargs)
    return await run_in_threadpool(fn, state.engine, *args, **kwargs)
