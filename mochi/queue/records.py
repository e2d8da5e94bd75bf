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


def record_failure(engine: Engine, change: Change, job_id: int, reason: str, *, attempts: int) -> None:
    """The job's review ends FAILED with `reason` in its history. A job that failed before its review
    was recorded (the host down while the change was read) gets a FAILED review of its own, so that
    every failure is in the record. Never raises: a record that is down is one warning."""
    import logging

    from mochi.models import ReviewTarget, TargetKind
    from mochi.store import reviews

    try:
        review_id = job_review(engine, change, job_id)
        if review_id is None:
            target = ReviewTarget(
                kind=TargetKind.PULL_REQUEST, number=change.number, head_sha=change.head_sha
            )
            review_id = reviews.create_review(
                engine,
                target,
                repository=change.project,
                options={},
                requested_provider=None,
                requested_model=None,
            )
            tag_job(engine, review_id, job_id, change)
        else:
            with Session(engine) as session:
                row = session.get(ReviewRow, review_id)
                if row is not None and row.status == "FAILED" and row.error == reason:
                    return  # the attempt recorded it already
        reviews.fail_review(engine, review_id, reason, details={"job": job_id, "attempts": attempts})
    except Exception as exc:
        logging.getLogger(__name__).warning("could not record the failure of job %s: %s", job_id, exc)
