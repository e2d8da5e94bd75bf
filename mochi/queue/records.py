"""What the queue asks of the record: which review a job started, and whether a head was reviewed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from mochi.store.models import ReviewRow

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mochi.queue.review import Change


def tag_job(engine: Engine, review_id: int, job_id: int, change: Change) -> None:
    """Record in the review's options which job made it, and what triggered it."""
    from mochi.store.reviews import add_options

    add_options(
        engine,
        review_id,
        dict(job=job_id, trigger=change.action or None, delivery=change.delivery, host=change.host),
    )


def job_review(engine: Engine, change: Change, job_id: int) -> int | None:
    """The review an earlier attempt of job `job_id` recorded for `change` (to resume), if any."""
    with Session(engine) as session:
        rows = session.execute(
            select(ReviewRow.id, ReviewRow.options)
            .where(ReviewRow.repository == change.project, ReviewRow.pr_number == change.number)
            .order_by(ReviewRow.id.desc())
            .limit(200)
        )
        for review_id, options in rows:
            if isinstance(options, dict) and options.get("job") == job_id:
                return int(review_id)
    return None


def reviewed_head(engine: Engine, project: str, number: int, head_sha: str) -> int | None:
    """The COMPLETED review of `project`'s change `number` at `head_sha`, if there is one."""
    if not head_sha:
        return None
    with Session(engine) as session:
        found = session.scalar(
            select(ReviewRow.id)
            .where(
                ReviewRow.repository == project,
                ReviewRow.pr_number == number,
                ReviewRow.head_commit == head_sha,
                ReviewRow.status == "COMPLETED",
            )
            .order_by(ReviewRow.id.desc())
            .limit(1)
        )
    return int(found) if found is not None else None
