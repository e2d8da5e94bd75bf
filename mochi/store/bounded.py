"""A database call that cannot hold a review: each gets a time limit, run in a daemon thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


# A database that stops answering mid-review (a dead host, a hung proxy) must not hold the review:
# each write gets this long, in a thread, and then the review goes on without the record.
RECORD_TIMEOUT_S = 20.0


class RecordTimeoutError(Exception):
    """The database did not answer in time."""


def _bounded(action: Callable[[], T], timeout_s: float, what: str) -> T:
    """`action()`, or RecordTimeoutError when it takes longer than `timeout_s` (it is left behind in
    a daemon thread, which does not hold the process's exit)."""
    result: list[T] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(action())
        except BaseException as exc:
            error.append(exc)

    worker = threading.Thread(target=run, name="mochi-record", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise RecordTimeoutError(f"no answer within {timeout_s:g} s to {what}")
    if error:
        raise error[0]
    return result[0]
