"""The queue's task: review one change (mochi.queue.review.run_change), with retries and backoff.

A failure worth trying again (the host or the model answering 5xx, a timeout, a refused connection)
is retried up to `MAX_ATTEMPTS` times, waiting `2 ** (attempt + 1)` seconds more each time; each
attempt resumes the same review row, whose history shows every STARTED and FAILED with its reason.
A failure that would fail again (no credentials, a 4xx from the host, a bad configuration) ends the
job at once; so does the last attempt: the review is FAILED with the reason in review_history.
"""

from __future__ import annotations

import logging
from typing import Any

import procrastinate
from procrastinate import JobContext, RetryStrategy

from mochi.queue.policy import MAX_ATTEMPTS, transient
from mochi.queue.records import record_failure
from mochi.queue.review import Change, WorkerDeps, run_change

logger = logging.getLogger(__name__)


class Transient(Exception):
    """A failure worth trying again (the job is retried with backoff)."""


class Permanent(Exception):
    """A failure that would fail again: the job ends."""


blueprint = procrastinate.Blueprint()


@blueprint.task(
    name="review_change",
    queue="reviews",
    pass_context=True,
    retry=RetryStrategy(max_attempts=MAX_ATTEMPTS - 1, exponential_wait=2, retry_exceptions=[Transient]),
)
def review_change(context: JobContext, /, **args: Any) -> dict[str, Any]:
    """Review the change `args` describes (Change's fields) at its current head."""
    deps: WorkerDeps = context.additional_context["deps"]
    job = context.job
    assert job.id is not None
    change = Change(**args)
    attempt = job.attempts + 1
    logger.info("job %s: %s (attempt %s of %s)", job.id, change.lock, attempt, MAX_ATTEMPTS)
    try:
        outcome = run_change(deps, change, job_id=job.id)
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        if transient(exc) and attempt < MAX_ATTEMPTS:
            logger.warning("job %s failed, will retry: %s", job.id, reason)
            raise Transient(reason) from exc
        logger.warning("job %s failed: %s", job.id, reason)
        record_failure(deps.engine, change, job.id, reason, attempts=attempt)
        raise Permanent(reason) from exc
    if outcome.skipped:
        logger.info("job %s: nothing to do: %s", job.id, outcome.skipped)
    return {"review_id": outcome.review_id, "head_sha": outcome.head_sha, "skipped": outcome.skipped}
