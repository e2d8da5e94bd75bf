"""Where webhook reviews go: the PostgreSQL queue (`mochi worker` runs them), or this process."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import procrastinate
    from prometheus_client.registry import Collector
    from sqlalchemy import Engine

    from mochi.queue.enqueue import Enqueued
    from mochi.queue.local import LocalQueue
    from mochi.queue.review import Change

logger = logging.getLogger(__name__)


class Dispatcher(Protocol):
    """Takes a change to review; answers the job it became."""

    kind: str

    def submit(self, change: Change) -> Enqueued:
        """Queue a review of `change` (replacing one of the same change still waiting)."""
        ...

    def close(self) -> None:
        """Stop (at the server's shutdown)."""
        ...

    def collector(self, engine: Engine) -> Collector:
        """Its `/metrics` (mochi.server.queue_metrics)."""
        ...


class QueueDispatcher:
    """Jobs on the procrastinate queue (opened here with a synchronous connector)."""

    kind = "queue"

    def __init__(self, app: procrastinate.App) -> None:
        self.app = app
        app.open()

    def submit(self, change: Change) -> Enqueued:
        from mochi.queue.enqueue import enqueue

        return enqueue(self.app, change)

    def close(self) -> None:
        self.app.close()

    def collector(self, engine: Engine) -> Collector:
        from mochi.queue.app import QUEUE
        from mochi.server.queue_metrics import QueueJobs

        return QueueJobs(engine, QUEUE)


class LocalDispatcher:
    """Jobs in this process (mochi.queue.local)."""

    kind = "in-process"

    def __init__(self, queue: LocalQueue) -> None:
        self.queue = queue

    def submit(self, change: Change) -> Enqueued:
        return self.queue.submit(change)

    def close(self) -> None:
        self.queue.close()

    def collector(self, engine: Engine) -> Collector:
        from mochi.server.queue_metrics import LocalJobs

        return LocalJobs(self.queue.depth)
