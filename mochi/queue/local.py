"""Webhook reviews without a queue: the embedded SQLite record, `mochi serve` runs them itself.

The same rules as the queue, in one process: one job waiting per change (a newer push replaces
it), one running per change, a few at a time, failures worth it retried with backoff. Nothing
survives a restart: that is what the PostgreSQL queue and `mochi worker` are for.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque

from mochi.queue.enqueue import Enqueued
from mochi.queue.policy import MAX_ATTEMPTS, transient
from mochi.queue.records import record_failure
from mochi.queue.review import Change, WorkerDeps, run_change

logger = logging.getLogger(__name__)


class LocalQueue:
    """`workers` daemon threads running changes (see the module docstring)."""

    def __init__(self, deps: WorkerDeps, *, workers: int = 2, backoff_s: float = 2.0) -> None:
        self.deps = deps
        self.backoff_s = backoff_s
        self._ids = itertools.count(1)
        self._waiting: dict[str, tuple[int, Change]] = {}
        self._ready: deque[str] = deque()
        self._running: set[str] = set()
        self._cond = threading.Condition()
        self._closed = False
        self.done: list[int] = []  # finished job ids, for tests and `/metrics`
        for n in range(workers):
            threading.Thread(target=self._work, name=f"mochi-local-job-{n}", daemon=True).start()

    def submit(self, change: Change) -> Enqueued:
        with self._cond:
            job_id = next(self._ids)
            replaced = self._waiting.get(change.lock)
            self._waiting[change.lock] = (job_id, change)
            if replaced is None and change.lock not in self._running:
                self._ready.append(change.lock)
            self._cond.notify()
        return Enqueued(job_id, (replaced[0],) if replaced else ())

    def depth(self) -> int:
        with self._cond:
            return len(self._waiting)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._ready and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                lock = self._ready.popleft()
                job_id, change = self._waiting.pop(lock)
                self._running.add(lock)
            try:
                self._run(job_id, change)
            finally:
                with self._cond:
                    self._running.discard(lock)
                    if lock in self._waiting:
                        self._ready.append(lock)
                        self._cond.notify()
                    self.done.append(job_id)

    def _run(self, job_id: int, change: Change) -> None:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                outcome = run_change(self.deps, change, job_id=-job_id)  # negative: not a queue job's id
            except Exception as exc:
                if not transient(exc) or attempt == MAX_ATTEMPTS or self._closed:
                    logger.warning("local job %s (%s) failed: %s", job_id, change.lock, exc)
                    record_failure(
                        self.deps.engine, change, -job_id, str(exc) or type(exc).__name__, attempts=attempt
                    )
                    return
                logger.warning("local job %s failed, will retry: %s", job_id, exc)
                time.sleep(self.backoff_s**attempt)
                continue
            if outcome.skipped:
                logger.info("local job %s: nothing to do: %s", job_id, outcome.skipped)
            return
