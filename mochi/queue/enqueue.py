"""Putting a change on the queue: one waiting job per change, the newest push replacing an older one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mochi.queue.app import QUEUE, TASK
from mochi.queue.review import Change

if TYPE_CHECKING:
    import procrastinate


@dataclass(frozen=True)
class Enqueued:
    job_id: int
    superseded: tuple[int, ...] = ()


def enqueue(app: procrastinate.App, change: Change) -> Enqueued:
    """Defer a review of `change` (`app` opened, synchronous connector).

    Each change has a queueing lock (one job waiting at most) and a lock (one job running at most).
    When a job for the change is waiting already, it is cancelled and the new one takes its place:
    a newer push supersedes an older queued review. (The job would review the current head anyway;
    the new job carries the newest delivery's facts.) A job already running is left alone: the new
    one waits for it, then reviews the newest head, or nothing when that head was just reviewed.
    """
    from procrastinate.exceptions import AlreadyEnqueued

    deferrer = app.configure_task(TASK, queue=QUEUE, lock=change.lock, queueing_lock=change.lock)
    superseded: list[int] = []
    for _ in range(5):  # a race with another server superseding the same change: try again
        try:
            return Enqueued(deferrer.defer(**change.as_args()), tuple(superseded))
        except AlreadyEnqueued:
            for job in app.job_manager.list_jobs(queueing_lock=change.lock, status="todo"):
                if job.id is not None and app.job_manager.cancel_job_by_id(job.id):
                    superseded.append(job.id)
    raise RuntimeError(f"could not queue a review of {change.lock}: another job keeps taking its place")
